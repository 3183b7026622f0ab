// The decisions of leader election on a Lease, with client-go's semantics and no I/O. Expiry is judged only on
// the local monotonic clock, from when this elector last saw the record *change*: the renewTime written by the
// holder comes from another machine's clock and is never compared with ours (it only makes the record change).

/** The election fields of a Lease's spec; times as the API server returned them, '' when absent. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  leaseTransitions: number;
  acquireTime: string;
  renewTime: string;
}

/** A record and when it was first seen in this form (client-go's observedRecord and observedTime). */
export interface Observation {
  record: LeaseRecord;
  /** Milliseconds on the local monotonic clock. */
  observedAt: number;
}

export type Decision =
  /** Take the lease: it is free or has expired. `leaseTransitions` is the count to write. */
  | { action: 'acquire'; leaseTransitions: number }
  /** The lease is ours: renew it. */
  | { action: 'renew' }
  /** Someone else holds it; it expires at `expiresAt` (local monotonic ms) unless they renew. */
  | { action: 'wait'; holder: string; expiresAt: number };

export function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.leaseTransitions === b.leaseTransitions &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime
  );
}

/** The observation after reading `record` at `now`: the time moves only when the record changed. */
export function observe(previous: Observation | undefined, record: LeaseRecord, now: number): Observation {
  if (previous && sameRecord(previous.record, record)) return previous;
  return { record, observedAt: now };
}

/**
 * Whether resourceVersion `a` is older than `b`: a Lease read or watched may arrive after a newer one was seen. An
 * API server backed by etcd writes the etcd revision, a decimal number; a version that is not one is never called
 * older (it is taken as news, which at worst makes a standby wait longer).
 */
export function olderVersion(a: string | undefined, b: string | undefined): boolean {
  const decimal = /^[1-9]\d*$/;
  if (!a || !b || !decimal.test(a) || !decimal.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

export function decide(observation: Observation, identity: string, now: number): Decision {
  const { record, observedAt } = observation;
  if (record.holderIdentity === identity) return { action: 'renew' };
  // The holder's own promise of how long its lease lasts, measured from when we saw it renew.
  const expiresAt = observedAt + record.leaseDurationSeconds * 1000;
  if (record.holderIdentity !== '' && now < expiresAt)
    return { action: 'wait', holder: record.holderIdentity, expiresAt };
  return { action: 'acquire', leaseTransitions: record.leaseTransitions + 1 };
}

/** What to write to create the Lease, or to act on an acquire or renew decision. */
export function recordToWrite(
  decision: Exclude<Decision, { action: 'wait' }> | { action: 'create' },
  current: LeaseRecord | undefined,
  identity: string,
  leaseDurationSeconds: number,
  wallTime: string,
): LeaseRecord {
  const fresh = { holderIdentity: identity, leaseDurationSeconds, acquireTime: wallTime, renewTime: wallTime };
  switch (decision.action) {
    case 'create':
      return { ...fresh, leaseTransitions: 0 };
    case 'acquire':
      return { ...fresh, leaseTransitions: decision.leaseTransitions };
    case 'renew':
      return {
        ...fresh,
        acquireTime: current?.acquireTime || wallTime,
        leaseTransitions: current?.leaseTransitions ?? 0,
      };
  }
}

/** client-go's ReleaseOnCancel: no holder and a one-second lease, so a standby takes over on its next try. */
export function releasedRecord(current: LeaseRecord, wallTime: string): LeaseRecord {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    leaseTransitions: current.leaseTransitions,
    acquireTime: wallTime,
    renewTime: wallTime,
  };
}

/** The record holds whole seconds; rounding up never promises others less than the configured duration. */
export function leaseDurationSeconds(leaseDurationMs: number): number {
  return Math.ceil(leaseDurationMs / 1000);
}

export interface ElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's jitter factor: a standby waits retryPeriod × (1 + up to 1.2) between tries. */
export const JITTER_FACTOR = 1.2;

/** Throws a RangeError naming the first timing that would break the election's guarantees. */
export function validateTimings({ leaseDurationMs, renewDeadlineMs, retryPeriodMs }: ElectionTimings): void {
  for (const [name, value] of Object.entries({ leaseDurationMs, renewDeadlineMs, retryPeriodMs }))
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new RangeError(
      `leaseDurationMs (${leaseDurationMs}) must be greater than renewDeadlineMs (${renewDeadlineMs}): ` +
        'a leader must stop writing before a standby may take over',
    );
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs))
    throw new RangeError(
      `renewDeadlineMs (${renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${retryPeriodMs}): ` +
        'a leader must get more than one try to renew before its deadline',
    );
}

/** RFC 3339 with six fractional digits, as the API server's MicroTime expects (Go's RFC3339Micro). */
export function formatMicroTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, -1)}000Z`;
}
