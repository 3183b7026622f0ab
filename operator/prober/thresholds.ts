// The per-address state machine, pure. An address starts Unknown (routing treats Unknown as up, so a new target is
// served before its first probe); the first success makes it Up at once; `failureThreshold` consecutive failures
// make an Up or Unknown address Down; `successThreshold` consecutive successes make a Down address Up again.
// A no-route result (the prober's own network has no route to the address's family) is no verdict on the target:
// it leaves the state and those counters as they were (the last known state) and counts in noRouteFailures;
// families.ts decides what the address then is.
import type { ProbeResult } from './probe.ts';

export type AddressState = 'Up' | 'Down' | 'Unknown';

export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
}

export interface AddressHealth {
  state: AddressState;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Consecutive no-route results (0 after any other result). */
  noRouteFailures: number;
  /** Epoch ms of the last state change (or of the start, for Unknown). */
  lastChange: number;
  lastError?: string;
  latencyMs?: number;
  probes: number;
}

export function initialHealth(now: number): AddressHealth {
  return {
    state: 'Unknown',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    noRouteFailures: 0,
    lastChange: now,
    probes: 0,
  };
}

/** The state after one more result. `changed` is true when `state` differs from before. */
export function applyResult(
  before: AddressHealth,
  result: ProbeResult,
  thresholds: Thresholds,
  now: number,
): { next: AddressHealth; changed: boolean } {
  if (result.noRoute) {
    const next: AddressHealth = {
      ...before,
      noRouteFailures: before.noRouteFailures + 1,
      latencyMs: result.latencyMs,
      probes: before.probes + 1,
    };
    if (result.error !== undefined) next.lastError = result.error;
    return { next, changed: false };
  }
  const consecutiveSuccesses = result.ok ? before.consecutiveSuccesses + 1 : 0;
  const consecutiveFailures = result.ok ? 0 : before.consecutiveFailures + 1;
  let state = before.state;
  if (result.ok) {
    if (state === 'Unknown' || (state === 'Down' && consecutiveSuccesses >= thresholds.successThreshold)) state = 'Up';
  } else if (state !== 'Down' && consecutiveFailures >= thresholds.failureThreshold) {
    state = 'Down';
  }
  const changed = state !== before.state;
  const next: AddressHealth = {
    state,
    consecutiveFailures,
    consecutiveSuccesses,
    noRouteFailures: 0,
    lastChange: changed ? now : before.lastChange,
    latencyMs: result.latencyMs,
    probes: before.probes + 1,
  };
  const lastError = result.ok ? before.lastError : result.error;
  if (lastError !== undefined) next.lastError = lastError;
  return { next, changed };
}
