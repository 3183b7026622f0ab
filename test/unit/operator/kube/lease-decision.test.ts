import { describe, expect, it } from 'vitest';
import {
  decide,
  formatMicroTime,
  leaseDurationSeconds,
  observe,
  olderVersion,
  recordToWrite,
  releasedRecord,
  validateTimings,
  type LeaseRecord,
} from '../../../../operator/kube/lease-decision.ts';

const held = (holder: string, renewTime: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  leaseTransitions: 3,
  acquireTime: '2026-01-01T00:00:00.000000Z',
  renewTime,
  ...extra,
});

describe('observe', () => {
  it('keeps the time of the first sighting while the record does not change', () => {
    const first = observe(undefined, held('a', 't1'), 100);
    expect(observe(first, held('a', 't1'), 5000)).toEqual({ record: held('a', 't1'), observedAt: 100 });
  });

  it('moves the time to now when any field changes', () => {
    const first = observe(undefined, held('a', 't1'), 100);
    expect(observe(first, held('a', 't2'), 900).observedAt).toBe(900);
    expect(observe(first, held('b', 't1'), 900).observedAt).toBe(900);
    expect(observe(first, held('a', 't1', { leaseTransitions: 4 }), 900).observedAt).toBe(900);
    expect(observe(first, held('a', 't1', { leaseDurationSeconds: 1 }), 900).observedAt).toBe(900);
  });
});

describe('decide', () => {
  it('a standby waits a full lease duration from when it saw the record change, then acquires', () => {
    const seen = observe(undefined, held('a', '2026-01-01T00:00:00.000000Z'), 1000);
    expect(decide(seen, 'me', 1000)).toEqual({ action: 'wait', holder: 'a', expiresAt: 16_000 });
    expect(decide(seen, 'me', 15_999)).toMatchObject({ action: 'wait' });
    expect(decide(seen, 'me', 16_000)).toEqual({ action: 'acquire', leaseTransitions: 4 });
  });

  it('a renew seen later pushes the expiry out from the later sighting', () => {
    let seen = observe(undefined, held('a', 'r1'), 0);
    seen = observe(seen, held('a', 'r2'), 14_000);
    expect(decide(seen, 'me', 20_000)).toMatchObject({ action: 'wait', expiresAt: 29_000 });
  });

  it("ignores the holder's clock: a renewTime far in the future or the past changes nothing", () => {
    for (const renewTime of ['2999-12-31T23:59:59.999999Z', '1970-01-01T00:00:00.000000Z', 'not a time']) {
      const seen = observe(undefined, held('a', renewTime), 50_000);
      expect(decide(seen, 'me', 50_000 + 14_999)).toMatchObject({ action: 'wait', holder: 'a' });
      expect(decide(seen, 'me', 50_000 + 15_000)).toMatchObject({ action: 'acquire' });
    }
  });

  it('an unchanged record expires even if it says it was renewed a moment ago (by the remote clock)', () => {
    // The holder's renewTime keeps claiming "now" in its clock, but if we never see it change it is not renewing.
    let seen = observe(undefined, held('a', 'same'), 0);
    for (let t = 1000; t <= 15_000; t += 1000) seen = observe(seen, held('a', 'same'), t);
    expect(decide(seen, 'me', 15_000)).toMatchObject({ action: 'acquire' });
  });

  it('uses the duration the holder wrote', () => {
    const seen = observe(undefined, held('a', 't', { leaseDurationSeconds: 2 }), 0);
    expect(decide(seen, 'me', 1999)).toMatchObject({ action: 'wait', expiresAt: 2000 });
    expect(decide(seen, 'me', 2000)).toMatchObject({ action: 'acquire' });
  });

  it('acquires a released lease (no holder) at once', () => {
    const seen = observe(undefined, held('', 't', { leaseDurationSeconds: 1 }), 0);
    expect(decide(seen, 'me', 0)).toEqual({ action: 'acquire', leaseTransitions: 4 });
  });

  it('renews its own lease, whatever the time', () => {
    const seen = observe(undefined, held('me', 't'), 0);
    expect(decide(seen, 'me', 0)).toEqual({ action: 'renew' });
    expect(decide(seen, 'me', 10 ** 9)).toEqual({ action: 'renew' });
  });
});

describe('records to write', () => {
  const now = '2026-05-01T10:00:00.123000Z';

  it('create starts at zero transitions with both times now', () => {
    expect(recordToWrite({ action: 'create' }, undefined, 'me', 15, now)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
      acquireTime: now,
      renewTime: now,
    });
  });

  it('acquire writes the incremented transitions and a new acquireTime', () => {
    expect(recordToWrite({ action: 'acquire', leaseTransitions: 4 }, held('a', 'old'), 'me', 15, now)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      leaseTransitions: 4,
      acquireTime: now,
      renewTime: now,
    });
  });

  it('renew keeps acquireTime and transitions and moves renewTime', () => {
    const current = held('me', 'old', { acquireTime: '2026-01-01T00:00:00.000000Z', leaseTransitions: 7 });
    expect(recordToWrite({ action: 'renew' }, current, 'me', 15, now)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      leaseTransitions: 7,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: now,
    });
  });

  it('release empties the holder, shortens the lease to a second and keeps the transitions', () => {
    expect(releasedRecord(held('me', 'old', { leaseTransitions: 7 }), now)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 7,
      acquireTime: now,
      renewTime: now,
    });
  });

  it('rounds the lease duration up to whole seconds', () => {
    expect([15_000, 1500, 1, 999, 1000].map(leaseDurationSeconds)).toEqual([15, 2, 1, 1, 1]);
  });

  it('formats MicroTime with six fractional digits in UTC', () => {
    expect(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
    expect(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05.000000Z');
  });
});

describe('validateTimings', () => {
  it("accepts client-go's defaults and short test timings", () => {
    expect(() =>
      validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }),
    ).not.toThrow();
    expect(() => validateTimings({ leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 })).not.toThrow();
  });

  it('refuses a renew deadline not shorter than the lease duration', () => {
    expect(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 })).toThrow(
      /leaseDurationMs \(10000\) must be greater than renewDeadlineMs \(10000\)/,
    );
  });

  it('refuses a retry period that leaves no second try before the renew deadline', () => {
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 })).toThrow(
      /renewDeadlineMs \(2400\) must be greater than 1.2 × retryPeriodMs \(2000\)/,
    );
  });

  it('refuses timings that are not positive numbers', () => {
    expect(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 })).toThrow(
      /retryPeriodMs must be a positive number, got 0/,
    );
    expect(() => validateTimings({ leaseDurationMs: Number.NaN, renewDeadlineMs: 10_000, retryPeriodMs: 2 })).toThrow(
      /leaseDurationMs must be a positive number/,
    );
  });
});

describe('olderVersion', () => {
  it('compares etcd revisions as numbers, beyond what a double holds', () => {
    expect(olderVersion('9', '10')).toBe(true);
    expect(olderVersion('10', '9')).toBe(false);
    expect(olderVersion('10', '10')).toBe(false);
    expect(olderVersion('90071992547409930', '90071992547409931')).toBe(true);
  });

  it('never calls a version older when either is missing or not a decimal revision', () => {
    for (const [a, b] of [
      [undefined, '5'],
      ['5', undefined],
      ['', '5'],
      ['abc', '5'],
      ['05', '6'],
      ['1', 'x7'],
    ] as const)
      expect(olderVersion(a, b)).toBe(false);
  });
});
