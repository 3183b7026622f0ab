// The in-cluster source of `geodns serve --kube`, and the DNS server's only door to the Kubernetes API (the shared
// plumbing of lib/kube/): it lists and watches, in one namespace, the zone ConfigMaps (label geodns.io/document=zone) and the
// health ConfigMap (geodns-health), so the pods need nothing beyond get/list/watch on ConfigMaps. While the API
// server or the operator is down it keeps serving what it last had. When the API cannot be reached at start-up,
// a mounted copy of the same ConfigMaps (--config DIR) is served until it can.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ZoneSink } from '../../api/sink.ts';
import { DOCUMENT_LABEL, HEALTH_CONFIGMAP, HEALTH_DOCUMENT, ZONE_DOCUMENT } from '../../api/configmaps.ts';
import { collectionClient, type Collection } from '../../lib/kube/collection.ts';
import { describeApiError } from '../../lib/kube/errors.ts';
import { loadKubeConfig } from '../../lib/kube/kubeconfig.ts';
import { resolveNamespace } from '../../lib/kube/namespace.ts';
import { Reflector, type ListWatchClient, type ReflectorHandlers } from '../../lib/kube/reflector.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import { loadConfigDir } from '../config/load.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import { ClusterView } from './cluster-view.ts';
import { MeteredSink } from './metered-sink.ts';
import type { ConfigMapObject } from './zone-configmaps.ts';

export interface ClusterSourceOptions {
  sink: ZoneSink;
  log: Logger;
  metrics?: GeodnsMetrics;
  /** Default: the pod's namespace, else the kubeconfig context's, else 'default'. */
  namespace?: string | undefined;
  /** Default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string | undefined;
  /** A mounted copy of the ConfigMaps, served when the API cannot be reached at start-up. */
  fallbackDir?: string | undefined;
  /** How long start() waits for the API before serving the fallback (or nothing). */
  startTimeoutMs: number;
}

/** The ConfigMaps `selection` picks in `namespace`. */
function configMaps(namespace: string, selection: Omit<Collection, 'path'>): Collection {
  return { path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`, ...selection };
}

/** The zone ConfigMaps and the health ConfigMap of `namespace`: what the source lists and watches. */
function documents(namespace: string): { zones: Collection; health: Collection } {
  return {
    zones: configMaps(namespace, { labelSelector: `${DOCUMENT_LABEL}=${ZONE_DOCUMENT}` }),
    health: configMaps(namespace, {
      labelSelector: `${DOCUMENT_LABEL}=${HEALTH_DOCUMENT}`,
      fieldSelector: `metadata.name=${HEALTH_CONFIGMAP}`,
    }),
  };
}

export interface ClusterReadOptions {
  /** Where refused ConfigMaps and stale health are reported, as the server logs them. */
  log: Logger;
  namespace?: string | undefined;
  kubeconfig?: string | undefined;
}

/** What `serve --kube` would serve now: the zones and the health table, and where they were read. */
export interface ClusterRead {
  server: string | undefined;
  namespace: string;
  zones: CompiledZone[];
  health: HealthTable;
  zoneConfigMaps: number;
  healthConfigMap: boolean;
}

/**
 * One list of what the source lists and watches, made into what it would serve by the same ClusterView (the same
 * decoding, validation, apex resolution and health rules), for `geodns route --kube`. Throws when there is no
 * usable kubeconfig or the API server refuses or cannot be reached.
 */
export async function readClusterOnce(options: ClusterReadOptions): Promise<ClusterRead> {
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const server = kubeConfig.getCurrentCluster()?.server;
  const namespace = resolveNamespace(options.namespace, kubeConfig);
  let zones: CompiledZone[] = [];
  let health: HealthTable = EMPTY_HEALTH;
  const sink = new MeteredSink('cluster', {
    setZones: (served) => (zones = served),
    setHealth: (served) => (health = served),
  });
  const view = new ClusterView({ sink, log: options.log, namespace });
  const collections = documents(namespace);
  const signal = new AbortController().signal;
  const [zoneList, healthList] = await Promise.all([
    collectionClient<ConfigMapObject>(kubeConfig, collections.zones).list(signal),
    collectionClient<ConfigMapObject>(kubeConfig, collections.health).list(signal),
  ]);
  view.zonesListed(zoneList.items);
  view.healthListed(healthList.items);
  await view.served;
  view.close();
  return {
    server,
    namespace,
    zones,
    health,
    zoneConfigMaps: zoneList.items.length,
    healthConfigMap: healthList.items.length > 0,
  };
}

export class ClusterSource {
  readonly #options: ClusterSourceOptions;
  readonly #sink: MeteredSink;
  readonly #startedAt = Date.now();
  #view: ClusterView | undefined;
  #reflectors: Reflector<ConfigMapObject>[] = [];
  #healthConfirmedAt: number | undefined;

  constructor(options: ClusterSourceOptions) {
    this.#options = options;
    this.#sink = new MeteredSink('cluster', options.sink, options.metrics);
  }

  /** Seconds since the API confirmed the health table current (since the start when it never did). */
  healthAgeSeconds(): number {
    return (Date.now() - (this.#healthConfirmedAt ?? this.#startedAt)) / 1000;
  }

  connected(): boolean {
    return this.#reflectors.length > 0 && this.#reflectors.every((r) => r.connected);
  }

  /**
   * Starts listing and watching; resolves once the API's view is served, or after the start timeout (with the
   * fallback served if there is one). Throws when there is no usable kubeconfig.
   */
  async start(): Promise<void> {
    const { log } = this.#options;
    const kubeConfig = loadKubeConfig(this.#options.kubeconfig);
    const server = kubeConfig.getCurrentCluster()?.server;
    const namespace = resolveNamespace(this.#options.namespace, kubeConfig);
    const view = new ClusterView({ sink: this.#sink, log, namespace });
    this.#view = view;
    this.#options.metrics?.trackClusterSource(this);

    const collections = documents(namespace);
    const zones = collectionClient<ConfigMapObject>(kubeConfig, collections.zones);
    const health = collectionClient<ConfigMapObject>(kubeConfig, collections.health);
    this.#reflectors = [
      this.#reflector('zone ConfigMaps', zones, {
        listed: (items) => view.zonesListed(items),
        changed: (type, object) => view.zoneChanged(type, object),
        confirmed: () => undefined,
      }),
      this.#reflector('health ConfigMap', health, {
        listed: (items) => view.healthListed(items),
        changed: (type, object) => view.healthChanged(type, object),
        confirmed: () => {
          this.#healthConfirmedAt = Date.now();
        },
      }),
    ];
    log.info({ source: 'cluster', server, namespace }, 'watching ConfigMaps');
    for (const reflector of this.#reflectors) reflector.start();

    const waitMs = this.#options.startTimeoutMs;
    const timeout = new AbortController();
    const reached = await Promise.race([
      view.served.then(() => true),
      sleep(waitMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    if (reached) return;
    const fallback = this.#options.fallbackDir;
    log.warn(
      { source: 'cluster', server, waitedMs: waitMs, fallback: fallback ?? null },
      fallback
        ? 'the ConfigMaps could not be read from the API server yet; serving the mounted fallback until they can'
        : 'the ConfigMaps could not be read from the API server yet; not ready until they can',
    );
    if (fallback) await this.#serveFallback(fallback);
  }

  async close(): Promise<void> {
    await Promise.all(this.#reflectors.map((r) => r.stop()));
    this.#view?.close();
  }

  #reflector(
    what: string,
    client: ListWatchClient<ConfigMapObject>,
    handlers: Omit<ReflectorHandlers<ConfigMapObject>, 'connection' | 'expired'>,
  ): Reflector<ConfigMapObject> {
    const { log } = this.#options;
    return new Reflector(client, {
      ...handlers,
      connection: (state) => {
        if (state.connected) log.info({ source: 'cluster', watch: what }, 'connected to the API server');
        else {
          log.warn(
            { source: 'cluster', watch: what, error: describeApiError(state.error), retryInMs: state.retryInMs },
            'list/watch failed; serving what was last received',
          );
        }
      },
      expired: () =>
        log.info(
          { source: 'cluster', watch: what },
          'the watch history to resume from is gone (410 Gone); listing again',
        ),
    });
  }

  async #serveFallback(dir: string): Promise<void> {
    const { log, metrics } = this.#options;
    const loaded = await loadConfigDir(dir);
    // The fallback is a folder: its loads count under the config source.
    const sink = new MeteredSink('config', this.#options.sink, metrics);
    if (loaded.errors.length > 0) sink.refused();
    for (const error of loaded.errors) log.error({ source: 'config', dir }, error);
    if (this.#view?.isServed) return;
    if (loaded.zones.length === 0) {
      log.warn({ source: 'config', dir }, 'the fallback holds no zones; not ready until the API server can be reached');
      return;
    }
    sink.setHealth(loaded.health ?? EMPTY_HEALTH);
    sink.setZones(loaded.zones);
    log.info(
      { source: 'config', dir, fallback: true, zones: loaded.zones.map((z) => ({ zone: z.zone, serial: z.serial })) },
      'zones loaded',
    );
  }
}
