// One ConfigMap per compiled zone in the operator's namespace, owned by its GeoZone. Written only when the zone's
// serial or content hash differs from what the ConfigMap holds; a zone too large for one object is not written
// (its last published version keeps serving) and is reported. Writes go through a work queue keyed by zone, so
// one zone's failing write is retried with backoff without holding up the others.
import type { Logger } from 'pino';
import {
  CONFIGMAP_LIMIT_BYTES,
  CONTENT_HASH_ANNOTATION,
  DOCUMENT_LABEL,
  encodeZoneDocument,
  MANAGED_BY_LABEL,
  MANAGER,
  SERIAL_ANNOTATION,
  ZONE_ANNOTATION,
  ZONE_DOCUMENT,
  zoneConfigMapName,
} from '../../api/configmaps.ts';
import type { CompiledZone } from '../../api/compiled.ts';
import { API_VERSION } from '../../api/meta.ts';
import { serializeCompiledZone } from '../compile/index.ts';
import { statusOf, type ClusterWriter, type ConfigMapObject } from '../cluster-writer.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { WorkQueue } from '../queue/work-queue.ts';

export interface PublishedZone {
  serial: number;
  contentHash: string;
}

export interface ZonePublisherOptions {
  writer: ClusterWriter;
  /** Where the writes are scheduled: the publisher runs the `zones` lane on it, one key per GeoZone. */
  lanes: Lanes;
  namespace: string;
  log: Logger;
  /** The zone ConfigMaps as the operator's informer holds them. */
  existing: () => readonly ConfigMapObject[];
  /** The uid of a GeoZone, for the ownerReference (undefined: not known, nothing is written). */
  zoneUid: (geoZone: string) => string | undefined;
  /** Told after each write or refusal, per GeoZone. */
  onResult?: (geoZone: string, result: ZonePublishResult) => void;
  onWrite?: (verb: 'create' | 'update' | 'delete') => void;
  /** The most bytes a zone may take in its ConfigMap (default CONFIGMAP_LIMIT_BYTES). */
  limitBytes?: number;
}

export type ZonePublishResult =
  | { kind: 'written' | 'unchanged'; serial: number }
  | { kind: 'tooLarge'; bytes: number; limit: number }
  | { kind: 'failed'; error: string };

/** The serial and content hash a zone ConfigMap says it holds, by apex. */
export function publishedZones(configMaps: readonly ConfigMapObject[]): Record<string, PublishedZone> {
  const out: Record<string, PublishedZone> = {};
  for (const cm of configMaps) {
    const a = cm.metadata.annotations ?? {};
    const zone = a[ZONE_ANNOTATION];
    const serial = Number(a[SERIAL_ANNOTATION]);
    const contentHash = a[CONTENT_HASH_ANNOTATION];
    if (zone && contentHash && Number.isInteger(serial)) out[zone] = { serial, contentHash };
  }
  return out;
}

export class ZonePublisher {
  readonly #options: ZonePublisherOptions;
  readonly #desired = new Map<string, CompiledZone>();
  readonly #queue: WorkQueue;
  /** Per GeoZone, what our last write returned and the resourceVersion it replaced: the cache lags behind our own
   *  writes, and replacing on the version it still shows would only earn a 409. */
  readonly #mine = new Map<string, { object: ConfigMapObject; replaced: string | undefined }>();

  constructor(options: ZonePublisherOptions) {
    this.#options = options;
    this.#queue = options.lanes.lane('zones', (geoZone) => this.#sync(geoZone), {
      concurrency: 2,
      onError: (geoZone, error) => {
        options.log.error({ zone: geoZone, err: error }, 'writing the zone ConfigMap failed; retrying');
        options.onResult?.(geoZone, { kind: 'failed', error: error instanceof Error ? error.message : String(error) });
      },
    });
  }

  /** The zones to serve from now on; zones left out are not touched (their GeoZone's deletion collects them). */
  setZones(zones: readonly CompiledZone[]): void {
    for (const zone of zones) {
      this.#desired.set(zone.source, zone);
      this.#queue.add(zone.source);
    }
  }

  /** Forgets a GeoZone that was deleted, and deletes its ConfigMap now rather than at garbage collection. */
  forget(geoZone: string): void {
    this.#desired.delete(geoZone);
    this.#queue.add(geoZone);
  }

  async #sync(geoZone: string): Promise<void> {
    const { writer, namespace } = this.#options;
    const name = zoneConfigMapName(geoZone);
    const cached = this.#options.existing().find((cm) => cm.metadata.name === name);
    const mine = this.#mine.get(geoZone);
    const lagging = mine && (!cached || cached.metadata.resourceVersion === mine.replaced);
    const current = lagging ? mine.object : cached;
    const zone = this.#desired.get(geoZone);
    if (!zone) {
      this.#mine.delete(geoZone);
      if (current) {
        await ignoreNotFound(writer.deleteConfigMap(namespace, name));
        this.#options.onWrite?.('delete');
      }
      return;
    }
    const annotations = current?.metadata.annotations ?? {};
    if (
      annotations[CONTENT_HASH_ANNOTATION] === zone.contentHash &&
      annotations[SERIAL_ANNOTATION] === String(zone.serial) &&
      annotations[ZONE_ANNOTATION] === zone.zone
    ) {
      this.#options.onResult?.(geoZone, { kind: 'unchanged', serial: zone.serial });
      return;
    }
    const encoded = encodeZoneDocument(zone.zone, serializeCompiledZone(zone));
    const limit = this.#options.limitBytes ?? CONFIGMAP_LIMIT_BYTES;
    if (encoded.size > limit) {
      this.#options.log.error(
        { zone: geoZone, bytes: encoded.size, limit },
        'zone too large for one ConfigMap; the last published version keeps serving',
      );
      this.#options.onResult?.(geoZone, { kind: 'tooLarge', bytes: encoded.size, limit });
      return;
    }
    const uid = this.#options.zoneUid(geoZone);
    if (!uid) return; // the GeoZone is not (yet) in the cache; its add event brings it back here
    const desired: ConfigMapObject = {
      metadata: {
        name,
        namespace,
        labels: { [DOCUMENT_LABEL]: ZONE_DOCUMENT, [MANAGED_BY_LABEL]: MANAGER },
        annotations: {
          [ZONE_ANNOTATION]: zone.zone,
          [SERIAL_ANNOTATION]: String(zone.serial),
          [CONTENT_HASH_ANNOTATION]: zone.contentHash,
        },
        ownerReferences: [
          { apiVersion: API_VERSION, kind: 'GeoZone', name: geoZone, uid, controller: true, blockOwnerDeletion: false },
        ],
      },
      ...(encoded.data ? { data: encoded.data } : {}),
      ...(encoded.binaryData ? { binaryData: encoded.binaryData } : {}),
    };
    if (current) {
      desired.metadata.resourceVersion = current.metadata.resourceVersion;
      let written: ConfigMapObject;
      try {
        written = await writer.replaceConfigMap(desired);
      } catch (error) {
        // Deleted by someone else (or a conflict): the retry starts again from the cache.
        this.#mine.delete(geoZone);
        throw error;
      }
      this.#mine.set(geoZone, { object: written, replaced: current.metadata.resourceVersion });
      this.#options.onWrite?.('update');
    } else {
      const written = await writer.createConfigMap(desired);
      this.#mine.set(geoZone, { object: written, replaced: undefined });
      this.#options.onWrite?.('create');
    }
    this.#options.log.info({ zone: zone.zone, serial: zone.serial, bytes: encoded.size }, 'zone published');
    this.#options.onResult?.(geoZone, { kind: 'written', serial: zone.serial });
  }
}

async function ignoreNotFound(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}
