// The DNS server put together: the GeoIP database, the DNSSEC keys, a source of zones and health, the DNS nodes
// that answer (workers/) and the metrics endpoint, started in that order and stopped in the reverse. Typed options
// in, a running server out: `geodns serve` (cli/commands/serve.ts) only turns its flags into these options, as
// CoreDNS's coremain does for core/dnsserver.
import type { Logger } from 'pino';
import type { CompiledZone } from '../api/compiled.ts';
import type { HealthTable } from '../api/health.ts';
import type { ZoneSink } from '../api/sink.ts';
import { startHttpServer, type ObservabilityServer } from '../lib/http-endpoint.ts';
import { formatListenAddress, type ListenAddress } from '../lib/listen-address.ts';
import { dsText } from '../lib/dnssec/keys.ts';
import type { SigningKey } from '../lib/dnssec/types.ts';
import { embeddedDatabasePath } from './geoip/database.ts';
import {
  loadGeoDatabase,
  watchGeoDatabase,
  type GeoDatabaseWatch,
  type GeoReloadOutcome,
  type LoadedGeoDatabase,
} from './geoip/reload.ts';
import { createLogger } from './observability/log.ts';
import { aggregateMetrics, GeodnsMetrics, workerMetricsSnapshot } from './observability/metrics.ts';
import type { RrlSettings } from './rrl/limiter.ts';
import type { ClusterSourceOptions } from './sources/cluster.ts';
import {
  loadKeyDir,
  watchKeyDir,
  type KeyDirWatch,
  type KeyReloadOutcome,
  type LoadedKeys,
} from './sources/key-dir.ts';
import { describeUnkeyed, unkeyedZones, type UnkeyedZone } from './dnssec/unkeyed.ts';
import type { UdpIo } from './transport/udp.ts';
import type { UdpIoChoice } from './transport/udp-native.ts';
import { newCookieSecret } from './workers/cookies.ts';
import type { BoundAddress } from './workers/node.ts';
import { startDnsNodes, type DnsNodes } from './workers/nodes.ts';
import { NodesSink } from './workers/nodes-sink.ts';
import type { CacheBounds } from './answer/bounds.ts';

/** Where zones and health come from. Started before the nodes, so that they start with what it has. */
export interface ZoneSource {
  start(): Promise<void>;
  close(): void | Promise<void>;
}

/** A source to open once the server has the sink, logger and metrics it publishes through. */
export interface SourceSpec {
  /** What the 'serving' log line says of it. */
  readonly describe: Record<string, unknown>;
  open(sink: ZoneSink, log: Logger, metrics: GeodnsMetrics): Promise<ZoneSource>;
}

// Sources are imported on demand: the Kubernetes client loads only with a cluster source.

/** Compiled documents in a folder (geodns compile --out-dir, the operator's output, a mounted ConfigMap). */
export function configDirSource(dir: string): SourceSpec {
  return {
    describe: { config: dir },
    open: async (sink, log, metrics) =>
      new (await import('./sources/config-dir.ts')).ConfigDirSource({ dir, sink, log, metrics }),
  };
}

/** The operator's ConfigMaps through the Kubernetes API, with a mounted copy as the cold-start fallback. */
export function clusterSource(options: Omit<ClusterSourceOptions, 'sink' | 'log' | 'metrics'>): SourceSpec {
  return {
    describe: { kube: true, ...(options.fallbackDir ? { fallback: options.fallbackDir } : {}) },
    open: async (sink, log, metrics) =>
      new (await import('./sources/cluster.ts')).ClusterSource({ ...options, sink, log, metrics }),
  };
}

export interface DnsServerOptions {
  source: SourceSpec;
  listen: ListenAddress[];
  /**
   * A MaxMind-format database; default: the embedded country database. The file is watched: a new version (a
   * rename over it, as geoipupdate does) is checked and swapped in without a restart.
   */
  geoip?: string | undefined;
  /** Worker threads; 0 answers in the main thread. */
  workers: number;
  /** /metrics, /healthz and /readyz; none when undefined. */
  metrics: ListenAddress | undefined;
  logLevel?: string | undefined;
  /** The server identifier returned to NSID requests (RFC 5001); none when undefined. */
  nsid?: string | undefined;
  querySampleRate: number;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  clientErrorLogRate: number;
  /** Response rate limiting for UDP; off when undefined. */
  rrl?: RrlSettings | undefined;
  /** How long drain() lets answers in flight finish. */
  drainTimeoutMs: number;
  /** A folder of DNSSEC keys (BIND pairs); nothing is signed when undefined. */
  dnssecKeys?: string | undefined;
  dnssecSignRate?: number | undefined;
  /** Each DNS thread's cache bounds (answer/bounds.ts); default DEFAULT_CACHE_BOUNDS. */
  cacheBounds?: CacheBounds | undefined;
  udpIo: UdpIoChoice;
  /**
   * Drains the server when aborted (its reason is logged). Aborted while starting, the server stops once what had
   * started is closed, and startDnsServer resolves undefined.
   */
  signal?: AbortSignal;
}

export interface DnsServer {
  /** The DNS addresses bound, UDP and TCP (port 0 resolved). */
  readonly bound: readonly BoundAddress[];
  /** Where /metrics is served; undefined when off. */
  readonly metricsAddress: ListenAddress | undefined;
  readonly udpIo: UdpIo;
  readonly workers: number;
  /**
   * Stops: /readyz answers 503, the source closes, the nodes stop accepting and finish the answers in flight (for at
   * most drainTimeoutMs), then the metrics endpoint closes. Once: later calls wait for the first.
   */
  drain(reason: string): Promise<void>;
  /** drain() with no time for answers in flight. */
  close(): Promise<void>;
  /** Settles once the server has stopped; `failed` when it stopped because a DNS worker died. */
  readonly stopped: Promise<{ failed: boolean }>;
}

/** Reads (and checks) the database; the workers share these bytes. */
async function loadGeoip(path: string, log: Logger, metrics: GeodnsMetrics): Promise<LoadedGeoDatabase> {
  const database = await loadGeoDatabase(path);
  log.info({ geoip: database.path, type: database.type, built: database.buildEpoch }, 'GeoIP database');
  metrics.setGeoDatabase(database);
  return database;
}

/** Logs and counts what a look at the GeoIP file came to (reloads and failures under source "geoip"). */
function reportGeoReload(outcome: GeoReloadOutcome, log: Logger, metrics: GeodnsMetrics): void {
  switch (outcome.result) {
    case 'swapped': {
      const { path, type, buildEpoch } = outcome.database;
      metrics.setGeoDatabase(outcome.database);
      metrics.countReload('geoip');
      log.info({ geoip: path, type, built: buildEpoch, ms: Math.round(outcome.ms) }, 'GeoIP database swapped in');
      break;
    }
    case 'refused':
      metrics.countReloadFailure('geoip');
      log.error(
        { geoip: outcome.path, reason: outcome.reason },
        'GeoIP database refused: the last good one keeps serving',
      );
      break;
    case 'unchanged':
      log.debug({ geoip: outcome.path }, 'GeoIP database unchanged');
      break;
  }
}

/** What /readyz and the logs say of the database answering now: not its bytes, which a swap must free. */
interface GeoipInfo {
  path: string;
  buildEpoch: Date;
}

/** Watches the --geoip file (the embedded database never changes under a running server). */
function watchGeoip(
  initial: LoadedGeoDatabase,
  nodes: DnsNodes,
  log: Logger,
  metrics: GeodnsMetrics,
  info: GeoipInfo,
): GeoDatabaseWatch {
  const path = initial.path;
  return watchGeoDatabase({
    current: initial,
    swap: (next) => nodes.setGeoDatabase({ path: next.path, bytes: next.bytes }),
    onOutcome: (outcome) => {
      if (outcome.result === 'swapped') info.buildEpoch = outcome.database.buildEpoch;
      reportGeoReload(outcome, log, metrics);
    },
    onWatchError: (message) => log.warn({ geoip: path, message }, 'watching the GeoIP database'),
  });
}

/**
 * Reads and checks the keys here, so that a bad key (or a folder that is not there) stops the server before it
 * answers. An empty folder is a start: a mounted Secret the operator has not filled yet, watched like any other.
 */
async function loadKeys(dir: string, log: Logger): Promise<LoadedKeys> {
  const loaded = await loadKeyDir(dir);
  if (loaded.keys.length === 0) log.warn({ dir }, 'DNSSEC: no keys yet; nothing is signed until keys arrive');
  logKeys(loaded.keys, log);
  return loaded;
}

function logKeys(keys: readonly SigningKey[], log: Logger): void {
  for (const key of keys) {
    const { zone, keyTag, algorithm, flags } = key;
    log.info({ zone, keyTag, algorithm, flags, ds: dsText(zone, key.dnskey) }, 'DNSSEC signing key');
  }
}

function reportKeyReload(outcome: KeyReloadOutcome, log: Logger, metrics: GeodnsMetrics): void {
  switch (outcome.result) {
    case 'swapped':
      metrics.countReload('dnssec-keys');
      log.info({ dir: outcome.dir, added: outcome.added, removed: outcome.removed }, 'DNSSEC keys swapped in');
      logKeys(outcome.keys, log);
      break;
    case 'refused':
      metrics.countReloadFailure('dnssec-keys');
      log.error({ dir: outcome.dir, reason: outcome.reason }, 'DNSSEC keys refused: the last good keys keep signing');
      break;
    case 'unchanged':
      log.debug({ dir: outcome.dir }, 'DNSSEC keys unchanged');
      break;
  }
}

/** Watches the --dnssec-keys folder (a Secret mounted into the pod is replaced whole on an update). */
function watchKeys(
  dir: string,
  current: LoadedKeys,
  nodes: DnsNodes,
  log: Logger,
  metrics: GeodnsMetrics,
  onKeys: (keys: readonly SigningKey[]) => void,
): KeyDirWatch {
  return watchKeyDir({
    dir,
    current,
    swap: (next) => nodes.setDnssecKeys(next),
    onOutcome: (outcome) => {
      reportKeyReload(outcome, log, metrics);
      if (outcome.result === 'swapped') onKeys(outcome.keys);
    },
    onWatchError: (message) => log.warn({ dir, message }, 'watching the DNSSEC key folder'),
  });
}

/**
 * Follows which zones marked signed have no key here (dnssec/unkeyed.ts), from the zones the sink gets and the keys
 * the folder gives: logs and counts each change; the server is not ready while any is unkeyed.
 */
class KeyCoverage {
  readonly #sink: NodesSink;
  readonly #log: Logger;
  readonly #metrics: GeodnsMetrics;
  readonly #dir: string | undefined;
  #keyZones: ReadonlySet<string>;
  unkeyed: readonly UnkeyedZone[] = [];

  constructor(
    sink: NodesSink,
    keys: readonly SigningKey[],
    dir: string | undefined,
    log: Logger,
    metrics: GeodnsMetrics,
  ) {
    this.#sink = sink;
    this.#log = log;
    this.#metrics = metrics;
    this.#dir = dir;
    this.#keyZones = new Set(keys.map((k) => k.zone));
    sink.onZones = () => this.#check();
    this.#check();
  }

  setKeys(keys: readonly SigningKey[]): void {
    this.#keyZones = new Set(keys.map((k) => k.zone));
    this.#check();
  }

  #check(): void {
    const next = unkeyedZones(this.#sink.marks, (zone) => this.#keyZones.has(zone));
    if (JSON.stringify(next) === JSON.stringify(this.unkeyed)) return;
    const before = this.unkeyed;
    this.unkeyed = next;
    this.#metrics.setDnssecKeysMissing(next.map((z) => z.zone));
    if (next.length > 0) {
      this.#log.error(
        { zones: next, dir: this.#dir ?? 'none (no --dnssec-keys)', reason: describeUnkeyed(next) },
        'DNSSEC: a zone marked signed has no key here: not ready, and its queries get SERVFAIL until its keys arrive',
      );
    } else if (before.length > 0) {
      this.#log.info({ zones: before.map((z) => z.zone) }, 'DNSSEC: every zone marked signed has its keys');
    }
  }
}

/** /metrics (the main registry summed with every worker's), /healthz, and /readyz while `ready()`. */
function serveMetrics(
  address: ListenAddress,
  nodes: DnsNodes,
  metrics: GeodnsMetrics,
  log: Logger,
  ready: () => boolean,
  geoip: GeoipInfo,
  coverage: KeyCoverage,
): Promise<ObservabilityServer> {
  return startHttpServer({
    ...address,
    ready,
    details: () => ({
      'udp-io': nodes.udpIo,
      geoip: `${geoip.path} (built ${geoip.buildEpoch.toISOString()})`,
      ...(coverage.unkeyed.length > 0 ? { dnssec: describeUnkeyed(coverage.unkeyed) } : {}),
    }),
    metrics: async () => {
      // Workers first: with one inline node this flushes its counts into the main registry.
      const fromWorkers = await nodes.metrics();
      return aggregateMetrics([await workerMetricsSnapshot(metrics), ...fromWorkers]);
    },
    onError: (message) => log.error({ message }, 'metrics failed'),
  });
}

/** Starts the server; throws, with what went wrong, when it cannot (after closing what it had started). */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer | undefined> {
  const log = createLogger({ ...(options.logLevel !== undefined ? { level: options.logLevel } : {}), name: 'geodns' });
  const metrics = new GeodnsMetrics({ defaultMetrics: true });
  const geoip = await loadGeoip(options.geoip ?? embeddedDatabasePath(), log, metrics);
  const dnssecKeys = options.dnssecKeys !== undefined ? await loadKeys(options.dnssecKeys, log) : undefined;

  const sink = new NodesSink();
  const source = await options.source.open(sink, log, metrics);
  try {
    await source.start();
  } catch (error) {
    await source.close();
    throw error;
  }
  if (options.signal?.aborted) {
    await source.close();
    log.info({ signal: String(options.signal.reason) }, 'stopped before serving');
    return undefined;
  }

  let failed = false;
  let draining = false;
  let nodes: DnsNodes | undefined;
  let http: ObservabilityServer | undefined;
  let geoipWatch: GeoDatabaseWatch | undefined;
  let keyWatch: KeyDirWatch | undefined;
  const { promise: stopped, resolve: resolveStopped } = Promise.withResolvers<{ failed: boolean }>();
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, timeoutMs: number): Promise<void> =>
    (stopping ??= (async () => {
      draining = true;
      log.info({ signal: reason, drainTimeoutMs: timeoutMs }, 'draining');
      http?.setDraining();
      geoipWatch?.close();
      keyWatch?.close();
      await source.close();
      await nodes?.drain(timeoutMs);
      await http?.close();
      log.info('stopped');
      resolveStopped({ failed });
    })());

  const started: { zones: CompiledZone[] | undefined; health: HealthTable } = {
    zones: sink.pending,
    health: sink.health,
  };
  try {
    nodes = await startDnsNodes({
      workers: options.workers,
      log,
      metrics,
      listen: options.listen,
      initialZones: started.zones ?? [],
      initialHealth: started.health,
      geoip,
      tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
      tcpMaxConnections: options.tcpMaxConnections,
      querySampleRate: options.querySampleRate,
      clientErrorLogRate: options.clientErrorLogRate,
      ...(options.rrl ? { rrl: options.rrl } : {}),
      logLevel: log.level,
      cookieSecret: newCookieSecret(),
      ...(options.nsid !== undefined ? { nsid: options.nsid } : {}),
      ...(dnssecKeys ? { dnssecKeys: dnssecKeys.texts } : {}),
      ...(options.dnssecSignRate !== undefined ? { dnssecSignRate: options.dnssecSignRate } : {}),
      ...(options.cacheBounds ? { cacheBounds: options.cacheBounds } : {}),
      udpIo: options.udpIo,
      onWorkerExit: (code) => {
        log.fatal({ code }, 'a DNS worker died; exiting');
        failed = true;
        void stop('worker exit', options.drainTimeoutMs);
      },
    });
  } catch (error) {
    await source.close();
    throw new Error(`cannot listen: ${(error as Error).message}`, { cause: error });
  }
  const running = nodes;
  sink.attach(running, started);
  started.zones = undefined; // the nodes have them; this frame lives as long as the server
  const geoipInfo: GeoipInfo = { path: geoip.path, buildEpoch: geoip.buildEpoch };
  if (options.geoip !== undefined) geoipWatch = watchGeoip(geoip, running, log, metrics, geoipInfo);
  const coverage = new KeyCoverage(sink, dnssecKeys?.keys ?? [], options.dnssecKeys, log, metrics);
  if (options.dnssecKeys !== undefined && dnssecKeys) {
    keyWatch = watchKeys(options.dnssecKeys, dnssecKeys, running, log, metrics, (keys) => coverage.setKeys(keys));
  }

  if (options.metrics) {
    try {
      const ready = () => !draining && sink.loaded && coverage.unkeyed.length === 0;
      http = await serveMetrics(options.metrics, running, metrics, log, ready, geoipInfo, coverage);
    } catch (error) {
      geoipWatch?.close();
      keyWatch?.close();
      await source.close();
      await running.drain(0);
      const where = formatListenAddress(options.metrics);
      throw new Error(`cannot serve metrics on ${where}: ${(error as Error).message}`, { cause: error });
    }
  }

  log.info(
    {
      dns: [...new Set(running.bound.map((b) => formatListenAddress(b)))],
      metrics: http ? formatListenAddress(http) : 'off',
      workers: running.size,
      udpIo: running.udpIo,
      ...(options.rrl ? { rrl: options.rrl } : {}),
      source: options.source.describe,
    },
    'serving',
  );

  const drain = (reason: string) => stop(reason, options.drainTimeoutMs);

  const signal = options.signal;
  if (signal?.aborted) void drain(String(signal.reason));
  else signal?.addEventListener('abort', () => void drain(String(signal.reason)), { once: true });

  return {
    bound: running.bound,
    metricsAddress: http ? { host: http.host, port: http.port } : undefined,
    udpIo: running.udpIo,
    workers: running.size,
    drain,
    close: () => stop('close', 0),
    stopped,
  };
}
