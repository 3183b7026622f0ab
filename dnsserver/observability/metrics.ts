// Prometheus metrics with CoreDNS-like names. Label values are bounded: zone only for loaded zones (else
// "other"), query types and rcodes only for common ones (else "other"), policies from the API's list.
// Each DNS worker thread owns a GeodnsMetrics (without process metrics); the main thread owns one with process
// metrics, collects the workers' snapshots and serves the sum (aggregateMetrics).
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { Policies } from '../../api/constants.ts';
import type { DnssecCounts } from '../answer/state.ts';

export type Transport = 'udp' | 'tcp';
/** One registry's metrics as plain data (structured-cloneable, so it crosses worker_threads). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

const OTHER = 'other';

const QTYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  252: 'AXFR',
  251: 'IXFR',
  255: 'ANY',
  257: 'CAA',
};
const QTYPE_LABELS = new Set(Object.values(QTYPE_NAMES));

const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  9: 'NOTAUTH',
  16: 'BADVERS',
};
const RCODE_LABELS = new Set(Object.values(RCODE_NAMES));
const POLICY_LABELS = new Set<string>(Policies);

/** Seconds; most answers come from memory in well under a millisecond. */
export const REQUEST_DURATION_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
];
export const PROBE_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function qtypeLabel(qtype: string | number): string {
  const name = typeof qtype === 'number' ? QTYPE_NAMES[qtype] : qtype.toUpperCase();
  return name !== undefined && QTYPE_LABELS.has(name) ? name : OTHER;
}

export function rcodeLabel(rcode: string | number): string {
  const name = typeof rcode === 'number' ? RCODE_NAMES[rcode] : rcode.toUpperCase();
  return name !== undefined && RCODE_LABELS.has(name) ? name : OTHER;
}

/** What the in-cluster source tells its gauges. */
export interface ClusterSourceState {
  healthAgeSeconds(): number;
  connected(): boolean;
}

export interface GeodnsMetricsOptions {
  /** Add prom-client's process metrics (the main thread only: workers share the process). */
  defaultMetrics?: boolean;
}

export class GeodnsMetrics {
  readonly registry = new Registry();
  readonly #zones = new Set<string>();
  readonly #requests: Counter<'zone' | 'type' | 'transport'>;
  readonly #responses: Counter<'zone' | 'rcode'>;
  readonly #duration: Histogram<'transport'>;
  readonly #answers: Counter<'zone' | 'policy' | 'target'>;
  readonly #ecs: Counter<'zone'>;
  readonly #reloads: Counter<'source'>;
  readonly #reloadFailures: Counter<'source'>;
  readonly #serial: Gauge<'zone'>;
  readonly #targetUp: Gauge<'target'>;
  readonly #probeDuration: Histogram<'result'>;
  readonly #clientErrors: Counter<'transport' | 'reason'>;
  readonly #rrlLimited: Counter<'class'>;
  readonly #rrlSlipped: Counter<'class'>;
  readonly #dnssecSignatures: Counter<'zone' | 'path'>;
  readonly #dnssecCacheHits: Counter<'zone'>;
  readonly #dnssecBudgetExceeded: Counter;
  readonly #dnssecKeysMissing: Gauge<'zone'>;
  readonly #udpIo: Gauge<'path'>;
  readonly #geoipBuilt: Gauge<'path' | 'type'>;
  readonly #udpSendErrors: Counter<'reason'>;
  readonly #udpReceiveErrors: Counter;
  readonly #udpBatches: Counter;
  readonly #udpBatchDatagrams: Counter;
  readonly #udpReplyCache: Counter<'result'>;
  readonly #udpReplyCacheKept: Counter;

  constructor(options: GeodnsMetricsOptions = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'geodns_dns_requests_total',
      help: 'DNS requests received, by zone, query type and transport.',
      labelNames: ['zone', 'type', 'transport'],
      registers,
    });
    this.#responses = new Counter({
      name: 'geodns_dns_responses_total',
      help: 'DNS responses sent, by zone and rcode.',
      labelNames: ['zone', 'rcode'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'geodns_dns_request_duration_seconds',
      help: 'Time from receiving a request to sending its response.',
      labelNames: ['transport'],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.#answers = new Counter({
      name: 'geodns_answers_total',
      help: 'Routed answers, by zone, policy and chosen target.',
      labelNames: ['zone', 'policy', 'target'],
      registers,
    });
    this.#ecs = new Counter({
      name: 'geodns_ecs_requests_total',
      help: 'Requests carrying an EDNS Client Subnet option.',
      labelNames: ['zone'],
      registers,
    });
    this.#reloads = new Counter({
      name: 'geodns_reloads_total',
      help: 'Configuration reloads that handed over a new snapshot, by source.',
      labelNames: ['source'],
      registers,
    });
    this.#reloadFailures = new Counter({
      name: 'geodns_reload_failures_total',
      help: 'Reloads that refused a document or could not read the source, by source.',
      labelNames: ['source'],
      registers,
    });
    this.#serial = new Gauge({
      name: 'geodns_zone_serial',
      help: 'SOA serial of each loaded zone.',
      labelNames: ['zone'],
      aggregator: 'max',
      registers,
    });
    this.#targetUp = new Gauge({
      name: 'geodns_target_up',
      help: 'Whether a target is healthy (1) or not (0).',
      labelNames: ['target'],
      aggregator: 'min',
      registers,
    });
    this.#probeDuration = new Histogram({
      name: 'geodns_probe_duration_seconds',
      help: 'Duration of health probes, by result.',
      labelNames: ['result'],
      buckets: PROBE_DURATION_BUCKETS,
      registers,
    });
    this.#clientErrors = new Counter({
      name: 'geodns_client_errors_total',
      help: 'Errors caused by clients (malformed messages, broken TCP framing, resets, slow connections), by reason.',
      labelNames: ['transport', 'reason'],
      registers,
    });
    this.#rrlLimited = new Counter({
      name: 'geodns_rrl_limited_total',
      help: 'UDP responses over the rate limit (dropped or sent truncated), by response class.',
      labelNames: ['class'],
      registers,
    });
    this.#rrlSlipped = new Counter({
      name: 'geodns_rrl_slipped_total',
      help: 'Responses over the rate limit sent truncated (TC=1) instead of dropped, by response class.',
      labelNames: ['class'],
      registers,
    });
    this.#dnssecSignatures = new Counter({
      name: 'geodns_dnssec_signatures_total',
      help: 'DNSSEC signatures made, by zone and path: inline (a query found none to serve), ahead (signed in advance after a change), refresh (replaced before falling due).',
      labelNames: ['zone', 'path'],
      registers,
    });
    this.#dnssecCacheHits = new Counter({
      name: 'geodns_dnssec_signature_cache_hits_total',
      help: 'DNSSEC signatures taken from the signature cache when a signed answer was built, by zone.',
      labelNames: ['zone'],
      registers,
    });
    this.#dnssecBudgetExceeded = new Counter({
      name: 'geodns_dnssec_budget_exceeded_total',
      help: 'UDP queries with the DO bit answered TC=1 because the signing budget (--dnssec-sign-rate) was spent.',
      registers,
    });
    this.#dnssecKeysMissing = new Gauge({
      name: 'geodns_dnssec_keys_missing',
      help: 'Zones whose document says they are signed and for which this server has no key (1): not ready, SERVFAIL.',
      labelNames: ['zone'],
      aggregator: 'max',
      registers,
    });
    this.#geoipBuilt = new Gauge({
      name: 'geodns_geoip_database_build_timestamp_seconds',
      help: 'Build time (Unix seconds, from its metadata) of the GeoIP database the DNS server answers with.',
      labelNames: ['path', 'type'],
      aggregator: 'max',
      registers,
    });
    this.#udpIo = new Gauge({
      name: 'geodns_udp_io',
      help: 'Which UDP path serves (1): native (the batched recvmmsg/sendmmsg addon) or dgram (Node).',
      labelNames: ['path'],
      aggregator: 'max',
      registers,
    });
    this.#udpSendErrors = new Counter({
      name: 'geodns_udp_send_errors_total',
      help: 'UDP replies not sent, by cause (EAGAIN: socket buffer full, ENOBUFS: kernel out of buffers, other).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['EAGAIN', 'ENOBUFS', 'other']) this.#udpSendErrors.inc({ reason }, 0);
    this.#udpReceiveErrors = new Counter({
      name: 'geodns_udp_receive_errors_total',
      help: 'Failed reads of a UDP socket.',
      registers,
    });
    this.#udpBatches = new Counter({
      name: 'geodns_udp_batches_total',
      help: 'recvmmsg calls that returned datagrams (native UDP path).',
      registers,
    });
    this.#udpBatchDatagrams = new Counter({
      name: 'geodns_udp_batch_datagrams_total',
      help: 'Datagrams read by those calls; over geodns_udp_batches_total, the average batch (native UDP path).',
      registers,
    });
    this.#udpReplyCache = new Counter({
      name: 'geodns_udp_reply_cache_lookups_total',
      help: "Queries looked up in the native UDP path's reply cache: hit (answered from it) or miss (answered by the handler).",
      labelNames: ['result'],
      registers,
    });
    this.#udpReplyCacheKept = new Counter({
      name: 'geodns_udp_reply_cache_kept_total',
      help: "Replies the native UDP path's reply cache kept for queries asked again.",
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The loaded zones: they become the allowed zone labels, and their serials are exported. */
  setZones(zones: readonly { zone: string; serial: number }[]): void {
    const names = new Set(zones.map((z) => z.zone));
    for (const old of this.#zones) if (!names.has(old)) this.#serial.remove({ zone: old });
    this.#zones.clear();
    for (const { zone, serial } of zones) {
      this.#zones.add(zone);
      this.#serial.set({ zone }, serial);
    }
  }

  zoneLabel(zone: string | undefined): string {
    return zone !== undefined && this.#zones.has(zone) ? zone : OTHER;
  }

  countRequest(zone: string | undefined, qtype: string | number, transport: Transport, by = 1): void {
    this.#requests.inc({ zone: this.zoneLabel(zone), type: qtypeLabel(qtype), transport }, by);
  }

  countResponse(zone: string | undefined, rcode: string | number, by = 1): void {
    this.#responses.inc({ zone: this.zoneLabel(zone), rcode: rcodeLabel(rcode) }, by);
  }

  observeRequestDuration(transport: Transport, seconds: number): void {
    this.#duration.observe({ transport }, seconds);
  }

  countAnswer(zone: string | undefined, policy: string, target: string, by = 1): void {
    const policyLabel = POLICY_LABELS.has(policy) ? policy : OTHER;
    this.#answers.inc({ zone: this.zoneLabel(zone), policy: policyLabel, target }, by);
  }

  countEcsRequest(zone: string | undefined, by = 1): void {
    this.#ecs.inc({ zone: this.zoneLabel(zone) }, by);
  }

  countReload(source: string): void {
    this.#reloads.inc({ source });
  }

  countReloadFailure(source: string): void {
    this.#reloadFailures.inc({ source });
  }

  /** Replaces the target health gauges with `targets` (target id → up); targets not listed are dropped. */
  setTargetHealth(targets: Readonly<Record<string, { up: boolean }>>): void {
    this.#targetUp.reset();
    for (const [target, health] of Object.entries(targets)) this.#targetUp.set({ target }, health.up ? 1 : 0);
  }

  /**
   * The in-cluster source's gauges, read at each scrape: how old its health table may be, and whether it is
   * connected to the API server. Registered by that source only (in the main thread), so other modes have none.
   */
  trackClusterSource(state: ClusterSourceState): void {
    new Gauge({
      name: 'geodns_health_age_seconds',
      help: 'Seconds since the API server last confirmed the health table current (a list, watch event or bookmark).',
      registers: [this.registry],
      collect() {
        this.set(state.healthAgeSeconds());
      },
    });
    new Gauge({
      name: 'geodns_cluster_connected',
      help: 'Whether the in-cluster source is connected to the API server (1) or retrying (0).',
      registers: [this.registry],
      collect() {
        this.set(state.connected() ? 1 : 0);
      },
    });
  }

  observeProbe(seconds: number, ok: boolean): void {
    this.#probeDuration.observe({ result: ok ? 'success' : 'failure' }, seconds);
  }

  /** `reason` is one of CLIENT_ERROR_REASONS (client-errors.ts). */
  countClientErrors(transport: Transport, reason: string, by = 1): void {
    this.#clientErrors.inc({ transport, reason }, by);
  }

  /** `responseClass` is one of RRL_CLASSES (rrl/limiter.ts). */
  countRateLimited(responseClass: string, limited: number, slipped: number): void {
    this.#rrlLimited.inc({ class: responseClass }, limited);
    if (slipped > 0) this.#rrlSlipped.inc({ class: responseClass }, slipped);
  }

  /** DNSSEC counts since the last call (ServerState.takeDnssecCounts). */
  countDnssec(counts: DnssecCounts): void {
    for (const { zone, made, ahead, refreshed, hits } of counts.zones) {
      if (made > 0) this.#dnssecSignatures.inc({ zone, path: 'inline' }, made);
      if (ahead > 0) this.#dnssecSignatures.inc({ zone, path: 'ahead' }, ahead);
      if (refreshed > 0) this.#dnssecSignatures.inc({ zone, path: 'refresh' }, refreshed);
      if (hits > 0) this.#dnssecCacheHits.inc({ zone }, hits);
    }
    if (counts.budgetExceeded > 0) this.#dnssecBudgetExceeded.inc(counts.budgetExceeded);
  }

  /** The zones marked signed that have no key here (the main thread says it on every change); the rest are dropped. */
  setDnssecKeysMissing(zones: readonly string[]): void {
    this.#dnssecKeysMissing.reset();
    for (const zone of zones) this.#dnssecKeysMissing.set({ zone }, 1);
  }

  /** The GeoIP database answering now (the main thread says it at start and after each swap). */
  setGeoDatabase(database: { path: string; type: string; buildEpoch: Date }): void {
    this.#geoipBuilt.reset();
    this.#geoipBuilt.set({ path: database.path, type: database.type }, database.buildEpoch.getTime() / 1000);
  }

  /** The UDP path in use (the main thread says it once for the process). */
  setUdpIo(path: 'native' | 'dgram'): void {
    this.#udpIo.reset();
    this.#udpIo.set({ path }, 1);
  }

  /** A UDP server's counts (transport/udp.ts UdpCounts) since the last call. */
  countUdp(counts: {
    batches: number;
    datagrams: number;
    receiveErrors: number;
    sendErrors: Readonly<Record<'EAGAIN' | 'ENOBUFS' | 'other', number>>;
    replyCache: { hits: number; misses: number; kept: number };
  }): void {
    const { hits, misses, kept } = counts.replyCache;
    if (hits > 0) this.#udpReplyCache.inc({ result: 'hit' }, hits);
    if (misses > 0) this.#udpReplyCache.inc({ result: 'miss' }, misses);
    if (kept > 0) this.#udpReplyCacheKept.inc(kept);
    if (counts.batches > 0) this.#udpBatches.inc(counts.batches);
    if (counts.datagrams > 0) this.#udpBatchDatagrams.inc(counts.datagrams);
    if (counts.receiveErrors > 0) this.#udpReceiveErrors.inc(counts.receiveErrors);
    for (const reason of ['EAGAIN', 'ENOBUFS', 'other'] as const) {
      if (counts.sendErrors[reason] > 0) this.#udpSendErrors.inc({ reason }, counts.sendErrors[reason]);
    }
  }

  /** Prometheus text of this registry alone. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** What a worker posts to the main thread. */
export function workerMetricsSnapshot(metrics: GeodnsMetrics): Promise<MetricsSnapshot> {
  return metrics.registry.getMetricsAsJSON();
}

/** Prometheus text of the sum over snapshots (counters and histograms add up; gauges use their aggregator). */
export async function aggregateMetrics(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  return AggregatorRegistry.aggregate<'text/plain; version=0.0.4; charset=utf-8'>([...snapshots]).metrics();
}

export { prometheusContentType } from 'prom-client';
