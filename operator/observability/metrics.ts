// The operator's Prometheus metrics (prom-client), on its own registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'geodns_operator_reconciles_total',
    help: 'Pipeline runs (read the caches, compile, publish), by result (ok, refused, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileSeconds = new Histogram({
    name: 'geodns_operator_reconcile_duration_seconds',
    help: 'How long one pipeline run took.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly healthUpdates = new Counter({
    name: 'geodns_operator_endpoint_health_updates_total',
    help: 'Changes of EndpointSlice readiness that moved the health table without a pipeline run (no compile, no zone write).',
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: 'geodns_operator_api_errors_total',
    help: 'Failed Kubernetes API requests, by verb (create, update, get, delete, patch, watch).',
    labelNames: ['verb'] as const,
    registers: [this.registry],
  });
  readonly writes = new Counter({
    name: 'geodns_operator_writes_total',
    help: 'Writes to the Kubernetes API, by what was written (zone_configmap, health_configmap, status, event).',
    labelNames: ['kind', 'verb'] as const,
    registers: [this.registry],
  });
  readonly probeResults = new Counter({
    name: 'geodns_operator_probe_results_total',
    help: 'Health probe results, by outcome (success, failure, no_route: the prober had no route to the address family).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly probeFamilyReachable = new Gauge({
    name: 'geodns_operator_probe_family_reachable',
    help: 'Whether the prober reaches an address family (IPv4, IPv6): 1 yes, 0 no route (its addresses are Unknown, not Down); absent before a result of that family.',
    labelNames: ['family'] as const,
    registers: [this.registry],
  });
  readonly probeSeconds = new Histogram({
    name: 'geodns_operator_probe_duration_seconds',
    help: 'How long a health probe took.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly hostnameResolutions = new Counter({
    name: 'geodns_operator_hostname_resolutions_total',
    help: 'Resolutions of the load-balancer hostnames that Service, Ingress and Gateway targets publish, by result (ok: addresses; empty: an answer without any; failed: the resolver could not tell, last good addresses kept).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'geodns_operator_leader',
    help: '1 while this operator is the leader (writes and probes), 0 while it stands by.',
    registers: [this.registry],
  });
  readonly cachesSynced = new Gauge({
    name: 'geodns_operator_caches_synced',
    help: '1 once every informer cache holds a complete list.',
    registers: [this.registry],
  });
  readonly zoneSerial = new Gauge({
    name: 'geodns_operator_zone_serial',
    help: 'The SOA serial last published per zone.',
    labelNames: ['zone'] as const,
    registers: [this.registry],
  });

  readonly namesWithoutHealthyTarget = new Gauge({
    name: 'geodns_operator_names_without_healthy_target',
    help: 'Routed names (GeoEndpoints) per zone whose targets are all down, so that answers fall back to all targets; on the leader.',
    labelNames: ['zone'] as const,
    registers: [this.registry],
  });

  readonly zoneServers = new Gauge({
    name: 'geodns_operator_zone_servers',
    help: 'Ready DNS pods per zone, by whether they answer the published serial (current) or not (stale).',
    labelNames: ['zone', 'state'] as const,
    registers: [this.registry],
  });

  /** Seconds since each peer cluster's last document (set by the leader's peer exchange; none: no peers). */
  peerAges: (() => ReadonlyMap<string, number>) | undefined;

  readonly peerAge = new Gauge({
    name: 'geodns_operator_peer_age_seconds',
    help: "Seconds since each peer cluster's last accepted document, on the leader; over the zone's peerTimeout the peer is stale (its targets keep their last addresses and health). Absent before a peer's first document.",
    labelNames: ['peer'] as const,
    registers: [this.registry],
    collect: () => {
      this.peerAge.reset();
      for (const [peer, seconds] of this.peerAges?.() ?? []) this.peerAge.set({ peer }, seconds);
    },
  });

  readonly peerRejected = new Counter({
    name: 'geodns_operator_peer_rejected_total',
    help: "What peers sent that was not taken, by peer and reason (bad_signature, stale_signature, unsigned, garbage, too_large, wrong_zone, wrong_cluster, replayed, claims_local: a target whose Service this cluster has; unknown_peer: a request from a cluster the zone does not list, peer 'unknown').",
    labelNames: ['peer', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Replaces the per-zone counts: zones no longer published are dropped. */
  setNamesWithoutHealthyTarget(counts: ReadonlyMap<string, number>): void {
    this.namesWithoutHealthyTarget.reset();
    for (const [zone, count] of counts) this.namesWithoutHealthyTarget.set({ zone }, count);
  }

  /** Per family: 1 while the prober reaches it, 0 while it has no route to it, no series before a result. */
  setProbeFamilies(reach: Readonly<Record<string, 'Reachable' | 'Unreachable' | 'Unknown'>>): void {
    for (const [family, state] of Object.entries(reach)) {
      if (state === 'Unknown') this.probeFamilyReachable.remove({ family });
      else this.probeFamilyReachable.set({ family }, state === 'Reachable' ? 1 : 0);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
