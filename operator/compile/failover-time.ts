// How long, at worst, a routed name keeps sending clients to a target that has died: the time to notice (the
// probe's settings), to publish (health table → DNS pods) and the TTL resolvers may cache the old answer for.
// Pure: compile turns each GeoEndpoint into this, status shows it, and `geodns compile` warns over a budget.
import { parseDuration } from '../../api/duration.ts';
import type { FailoverStatus, GeoEndpoint } from '../../api/geoendpoint.ts';
import type { HealthProbe } from '../../api/healthprobe.ts';

/**
 * What publishing a health change costs, from the health table's write to every DNS pod answering from it: a
 * status refresh waits 100 ms for others (operator.ts), and bench/RESULTS.md measured the write reaching the slower
 * of two pods in 25 ms at most. One second leaves room for a busy API server.
 */
export const PUBLISH_SECONDS = 1;

/** The HealthProbe defaults (api/healthprobe.ts), for probes whose fields were left out. */
const PROBE_DEFAULTS = { interval: '10s', timeout: '2s', failureThreshold: 3 } as const;

/** What status shows of it (GeoEndpoint status.failover). */
export function failoverStatus(time: FailoverTime, budgetSeconds: number): FailoverStatus {
  return {
    worstCase: formatSeconds(time.worstCaseSeconds),
    worstCaseSeconds: time.worstCaseSeconds,
    detectionSeconds: time.detectionSeconds,
    publishSeconds: time.publishSeconds,
    ttlSeconds: time.ttlSeconds,
    budget: formatSeconds(budgetSeconds),
    withinBudget: time.worstCaseSeconds <= budgetSeconds,
    ...(time.unchecked.length > 0 ? { unchecked: time.unchecked } : {}),
    ...(time.readinessOnly.length > 0 ? { readinessOnly: time.readinessOnly } : {}),
  };
}

export interface FailoverTime {
  /** detection + publish + TTL: the longest a client may still be sent to a failed, checked target. */
  worstCaseSeconds: number;
  /** The slowest checked target's detection: failureThreshold probes an interval apart, the last one timing out. */
  detectionSeconds: number;
  publishSeconds: number;
  ttlSeconds: number;
  /** Targets nothing checks (addresses, Ingresses, Gateways without a healthProbeRef): their loss is never noticed. */
  unchecked: string[];
  /**
   * Service targets without a probe: followed by their EndpointSlices' readiness, noticed as fast as the Pods'
   * own readiness probes (which the operator cannot see, so they are not in detectionSeconds).
   */
  readinessOnly: string[];
}

/** Seconds a probe takes to call a target down after it died just after a good probe. */
export function detectionSeconds(probe: HealthProbe['spec']): number {
  const interval = parseDuration(probe.interval ?? PROBE_DEFAULTS.interval) / 1000;
  const timeout = parseDuration(probe.timeout ?? PROBE_DEFAULTS.timeout) / 1000;
  const threshold = probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
  return threshold * interval + timeout;
}

/**
 * The failover time of one GeoEndpoint served with `ttl`. `probes` finds a target's HealthProbe by name in the
 * GeoEndpoint's namespace; a reference to a probe that does not exist counts as unchecked.
 */
export function failoverTime(
  endpoint: GeoEndpoint,
  ttl: number,
  probes: (name: string) => HealthProbe | undefined,
): FailoverTime {
  let detection = 0;
  const unchecked: string[] = [];
  const readinessOnly: string[] = [];
  for (const target of endpoint.spec.targets ?? []) {
    const probe = target.healthProbeRef ? probes(target.healthProbeRef.name) : undefined;
    if (probe) detection = Math.max(detection, detectionSeconds(probe.spec));
    else if (target.service) readinessOnly.push(target.name);
    else unchecked.push(target.name);
  }
  return {
    worstCaseSeconds: detection + PUBLISH_SECONDS + ttl,
    detectionSeconds: detection,
    publishSeconds: PUBLISH_SECONDS,
    ttlSeconds: ttl,
    unchecked,
    readinessOnly,
  };
}

/** '1m32s', '45s', '2h0m5s': how status and messages write a number of seconds. */
export function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** A warning when the failover time exceeds the budget, naming the parts and the knobs; undefined within it. */
export function overBudget(time: FailoverTime, budgetSeconds: number): string | undefined {
  if (time.worstCaseSeconds <= budgetSeconds) return undefined;
  return (
    `failover can take ${formatSeconds(time.worstCaseSeconds)}, over the budget of ${formatSeconds(budgetSeconds)}: ` +
    `detection ${formatSeconds(time.detectionSeconds)} (probe interval × failureThreshold + timeout) + publish ` +
    `${formatSeconds(time.publishSeconds)} + TTL ${formatSeconds(time.ttlSeconds)}; lower spec.ttl or the probe's ` +
    `interval or failureThreshold`
  );
}
