// The health table as one small ConfigMap the DNS pods watch: a change after a quiet spell is written at once, and
// changes within a short window after a write coalesce into one more write; an unchanged table is never written,
// and the revision annotation only grows (also across restarts: it continues from what the ConfigMap holds). The
// write is the one key of the `health` lane; a failed write is retried with the lane's backoff.
import type { Logger } from 'pino';
import {
  DOCUMENT_LABEL,
  HEALTH_CONFIGMAP,
  HEALTH_DOCUMENT,
  HEALTH_KEY,
  MANAGED_BY_LABEL,
  MANAGER,
  REVISION_ANNOTATION,
} from '../../api/configmaps.ts';
import type { HealthTable } from '../../api/health.ts';
import { canonicalJson } from '../compile/index.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import type { ClusterWriter, ConfigMapObject } from '../cluster-writer.ts';

export interface HealthPublisherOptions {
  writer: ClusterWriter;
  namespace: string;
  log: Logger;
  /** Where the writes are scheduled: the publisher runs the `health` lane on it. */
  lanes: Lanes;
  /** The health ConfigMap as the operator's informer holds it. */
  existing: () => ConfigMapObject | undefined;
  /** Least time between two writes: changes within it become one write (default 50 ms). */
  coalesceMs?: number;
  now?: () => number;
  onWrite?: (verb: 'create' | 'update') => void;
}

export function revisionOf(configMap: ConfigMapObject | undefined): number {
  const value = Number(configMap?.metadata.annotations?.[REVISION_ANNOTATION]);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

const KEY = 'health';

export class HealthPublisher {
  readonly #options: HealthPublisherOptions;
  readonly #lane: WorkQueue;
  #latest: string | undefined;
  #revision = 0;
  /** When the last write started. */
  #lastStarted = -Infinity;
  /** What our last write returned, and the resourceVersion it replaced: the cache lags behind our own writes. */
  #mine: ConfigMapObject | undefined;
  #replaced: string | undefined;

  constructor(options: HealthPublisherOptions) {
    this.#options = options;
    this.#lane = options.lanes.lane(KEY, () => this.#write(), {
      onError: (_key, error) => options.log.error({ err: error }, 'writing the health ConfigMap failed; retrying'),
    });
  }

  setHealth(table: HealthTable): void {
    this.#latest = `${canonicalJson(table)}\n`;
    const now = this.#options.now ?? Date.now;
    // The changes within the window after a write (a reconcile's, a probe round's) make one more write.
    this.#lane.addCoalesced(KEY, this.#lastStarted + (this.#options.coalesceMs ?? 50) - now());
  }

  async #write(): Promise<void> {
    this.#lastStarted = (this.#options.now ?? Date.now)();
    const { writer, namespace } = this.#options;
    const text = this.#latest;
    if (text === undefined) return;
    const cached = this.#options.existing();
    // The cache lags behind our own last write while it shows the version that write replaced. When it shows
    // nothing although we wrote one, it has not seen our create yet, or someone deleted the ConfigMap: ask.
    let current: ConfigMapObject | undefined;
    if (!this.#mine) current = cached;
    else if (cached) current = cached.metadata.resourceVersion === this.#replaced ? this.#mine : cached;
    else current = await writer.readConfigMap(namespace, HEALTH_CONFIGMAP);
    if (current?.data?.[HEALTH_KEY] === text) return;
    const revision = Math.max(this.#revision, revisionOf(current)) + 1;
    const desired: ConfigMapObject = {
      metadata: {
        name: HEALTH_CONFIGMAP,
        namespace,
        labels: { [DOCUMENT_LABEL]: HEALTH_DOCUMENT, [MANAGED_BY_LABEL]: MANAGER },
        annotations: { [REVISION_ANNOTATION]: String(revision) },
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
      },
      data: { [HEALTH_KEY]: text },
    };
    if (current) {
      try {
        this.#mine = await writer.replaceConfigMap(desired);
      } catch (error) {
        // Gone (or changed) under us: the retry starts again from the cache.
        this.#mine = undefined;
        this.#replaced = undefined;
        throw error;
      }
      this.#options.onWrite?.('update');
    } else {
      this.#mine = await writer.createConfigMap(desired);
      this.#options.onWrite?.('create');
    }
    this.#replaced = current?.metadata.resourceVersion;
    this.#revision = revision;
  }
}
