// The in-cluster source of `geodns serve --kube`, and the DNS server's only code that imports the Kubernetes
// client: it lists and watches, in one namespace, the zone ConfigMaps (label geodns.io/document=zone) and the
// health ConfigMap (geodns-health), so the pods need nothing beyond get/list/watch on ConfigMaps. While the API
// server or the operator is down it keeps serving what it last had. When the API cannot be reached at start-up,
// a mounted copy of the same ConfigMaps (--config DIR) is served until it can.
import { loadKubeConfig } from '../../lib/kube/kubeconfig.ts';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  Observable,
  Watch,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ZoneSink } from '../../api/sink.ts';
import { DOCUMENT_LABEL, HEALTH_CONFIGMAP, HEALTH_DOCUMENT, ZONE_DOCUMENT } from '../../api/configmaps.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import { loadConfigDir } from '../config/load.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import { ClusterView } from './cluster-view.ts';
import { MeteredSink } from './metered-sink.ts';
import { Reflector, statusOf, type ListWatchClient, type ReflectorHandlers } from './reflector.ts';

/** Where a pod's service account token says which namespace it runs in. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A list that takes longer than this is abandoned and retried. */
const LIST_TIMEOUT_MS = 30_000;
/**
 * Watches are asked to end after 20 to 28 s (jittered, so that pods do not renew in step): before client-node's
 * 30 s inactivity timeout, which then only fires when something is wrong. A watch the server ends cleanly confirms
 * the view current, so a quiet health table is still confirmed about every half minute.
 */
const WATCH_TIMEOUT_SECONDS = [20, 28] as const;

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

/** The namespace to watch: the option, else the pod's own, else the kubeconfig context's, else 'default'. */
export function resolveNamespace(explicit: string | undefined, kubeConfig: KubeConfig, file: string): string {
  if (explicit) return explicit;
  try {
    const own = readFileSync(file, 'utf8').trim();
    if (own) return own;
  } catch {
    // Not in a pod.
  }
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || 'default';
}

/** A short account of an API error: the status and the API server's message, or the network error. */
export function describeApiError(error: unknown): string {
  const status = statusOf(error);
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeParse(error.body) : error.body;
    const message =
      typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : undefined;
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${status !== undefined ? `HTTP ${status}: ` : ''}${error.message}${cause}`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Request options that end a list when `signal` aborts (client-node has no timeout of its own). */
function withSignal(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

interface Selection {
  labelSelector: string;
  fieldSelector?: string;
}

/** client-node's list and watch of the ConfigMaps `selection` picks in `namespace`, as the reflector wants them. */
function configMapClient(
  kubeConfig: KubeConfig,
  namespace: string,
  selection: Selection,
): ListWatchClient<V1ConfigMap> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const watcher = new Watch(kubeConfig);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  const [low, high] = WATCH_TIMEOUT_SECONDS;
  return {
    async list(signal) {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(LIST_TIMEOUT_MS)]);
      const list = await core.listNamespacedConfigMap({ namespace, ...selection }, withSignal(bounded));
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    watch(resourceVersion, onEvent, signal, opened) {
      return new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        const onAbort = () => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        };
        const query = {
          ...selection,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: low + Math.floor(Math.random() * (high - low + 1)),
        };
        // client-node resolves once the server has answered 200 (the stream is open).
        watcher.watch(path, query, onEvent, done).then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
          else opened?.();
        }, done);
      });
    },
  };
}

export class ClusterSource {
  readonly #options: ClusterSourceOptions;
  readonly #sink: MeteredSink;
  readonly #startedAt = Date.now();
  #view: ClusterView | undefined;
  #reflectors: Reflector<V1ConfigMap>[] = [];
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
    const namespace = resolveNamespace(this.#options.namespace, kubeConfig, SERVICE_ACCOUNT_NAMESPACE_FILE);
    const view = new ClusterView({ sink: this.#sink, log, namespace });
    this.#view = view;
    this.#options.metrics?.trackClusterSource(this);

    const zones = configMapClient(kubeConfig, namespace, { labelSelector: `${DOCUMENT_LABEL}=${ZONE_DOCUMENT}` });
    const health = configMapClient(kubeConfig, namespace, {
      labelSelector: `${DOCUMENT_LABEL}=${HEALTH_DOCUMENT}`,
      fieldSelector: `metadata.name=${HEALTH_CONFIGMAP}`,
    });
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
    client: ListWatchClient<V1ConfigMap>,
    handlers: Omit<ReflectorHandlers<V1ConfigMap>, 'connection' | 'expired'>,
  ): Reflector<V1ConfigMap> {
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
