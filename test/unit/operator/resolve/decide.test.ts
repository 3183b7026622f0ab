// What one resolution of a load-balancer hostname decides: the addresses served, when to ask again (the TTL within
// bounds, a doubling retry after failures), the last good addresses kept through failures for a while, and what
// status is told.
import { describe, expect, it } from 'vitest';
import {
  clampTtl,
  decide,
  DEFAULT_RESOLVE_POLICY,
  reportOf,
  retryDelay,
  servedAddresses,
  type Answers,
  type ResolvePolicy,
} from '../../../../operator/resolve/decide.ts';

const POLICY: ResolvePolicy = {
  minTtlMs: 5_000,
  maxTtlMs: 300_000,
  retryMinMs: 2_000,
  retryMaxMs: 60_000,
  keepLastGoodMs: 3_600_000,
};
const HOST = 'lb-1.elb.example.com';
const T0 = Date.parse('2026-12-06T09:00:00Z');

const records = (ttl: number, ...addresses: string[]) =>
  ({ kind: 'records', records: addresses.map((address) => ({ address, ttl })) }) as const;
const none = { kind: 'none' } as const;
const failed = (error: string) => ({ kind: 'error', error }) as const;
const answers = (A: Answers['A'], AAAA: Answers['AAAA'] = none): Answers => ({ A, AAAA });

describe('clampTtl and retryDelay', () => {
  it('ask again after the TTL, never sooner than the minimum nor later than the maximum', () => {
    expect(clampTtl(60, POLICY)).toBe(60_000);
    expect(clampTtl(0, POLICY)).toBe(5_000);
    expect(clampTtl(1, POLICY)).toBe(5_000);
    expect(clampTtl(86_400, POLICY)).toBe(300_000);
    expect(clampTtl(Number.NaN, POLICY)).toBe(5_000);
  });

  it('retry after a failure soon, doubling with each failure in a row up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 40].map((n) => retryDelay(n, POLICY))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('the defaults are sane for real load balancers (ELB names have a TTL of 60 s)', () => {
    expect(clampTtl(60, DEFAULT_RESOLVE_POLICY)).toBe(60_000);
    expect(DEFAULT_RESOLVE_POLICY.minTtlMs).toBeGreaterThan(0);
    expect(DEFAULT_RESOLVE_POLICY.keepLastGoodMs).toBeGreaterThan(DEFAULT_RESOLVE_POLICY.retryMaxMs);
  });
});

describe('decide', () => {
  it('serves the A and AAAA answers and asks again after the smallest TTL', () => {
    const { state, nextMs } = decide(
      undefined,
      HOST,
      answers(records(60, '192.0.2.2', '192.0.2.1'), records(30, '2001:db8::1')),
      T0,
      POLICY,
    );
    expect(servedAddresses(state)).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::1']);
    expect(nextMs).toBe(30_000);
    expect(state.failures).toBe(0);
    expect(reportOf(state, HOST, '127.0.0.1:5353', POLICY)).toEqual({
      hostname: HOST,
      resolver: '127.0.0.1:5353',
      addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'],
    });
  });

  it('a new answer replaces the old addresses at once', () => {
    const first = decide(undefined, HOST, answers(records(60, '192.0.2.1')), T0, POLICY);
    const second = decide(first.state, HOST, answers(records(60, '192.0.2.9')), T0 + 60_000, POLICY);
    expect(servedAddresses(second.state)).toEqual(['192.0.2.9']);
  });

  it('keeps the last good addresses through failures, says so, and retries sooner and sooner... then less often', () => {
    const good = decide(undefined, HOST, answers(records(60, '192.0.2.1'), records(60, '2001:db8::1')), T0, POLICY);
    const fail = answers(
      failed('queryA ETIMEOUT lb-1.elb.example.com'),
      failed('queryAaaa ETIMEOUT lb-1.elb.example.com'),
    );
    const one = decide(good.state, HOST, fail, T0 + 60_000, POLICY);
    expect(servedAddresses(one.state)).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(one.nextMs).toBe(2_000);
    const two = decide(one.state, HOST, fail, T0 + 62_000, POLICY);
    expect(two.nextMs).toBe(4_000);
    expect(two.state.failures).toBe(2);
    expect(reportOf(two.state, HOST, '127.0.0.1:5353', POLICY)).toEqual({
      hostname: HOST,
      resolver: '127.0.0.1:5353',
      addresses: ['192.0.2.1', '2001:db8::1'],
      error: 'queryA ETIMEOUT lb-1.elb.example.com; queryAaaa ETIMEOUT lb-1.elb.example.com',
      kept: { resolvedAt: '2026-12-06T09:00:00.000Z', until: '2026-12-06T10:00:00.000Z' },
    });
    // A success forgets the failures.
    const back = decide(two.state, HOST, answers(records(60, '192.0.2.1')), T0 + 70_000, POLICY);
    expect(back.state.failures).toBe(0);
    expect(back.state.error).toBeUndefined();
    expect(back.nextMs).toBe(60_000);
  });

  it('drops the kept addresses once they are older than keepLastGoodMs', () => {
    const good = decide(undefined, HOST, answers(records(60, '192.0.2.1')), T0, POLICY);
    const fail = answers(failed('queryA ESERVFAIL lb-1.elb.example.com'), failed('queryAaaa ESERVFAIL x'));
    const within = decide(good.state, HOST, fail, T0 + POLICY.keepLastGoodMs, POLICY);
    expect(servedAddresses(within.state)).toEqual(['192.0.2.1']);
    const after = decide(within.state, HOST, fail, T0 + POLICY.keepLastGoodMs + 1, POLICY);
    expect(servedAddresses(after.state)).toEqual([]);
    const report = reportOf(after.state, HOST, 'r', POLICY);
    expect(report.kept).toBeUndefined();
    expect(report.error).toMatch(/ESERVFAIL/);
  });

  it('takes NXDOMAIN and no records as answers: nothing is kept, and it asks again on the retry schedule', () => {
    const good = decide(undefined, HOST, answers(records(60, '192.0.2.1')), T0, POLICY);
    const gone = decide(good.state, HOST, answers(none, none), T0 + 60_000, POLICY);
    expect(servedAddresses(gone.state)).toEqual([]);
    expect(gone.state.error).toBeUndefined();
    expect(gone.nextMs).toBe(2_000);
    expect(reportOf(gone.state, HOST, 'r', POLICY)).toEqual({ hostname: HOST, resolver: 'r', addresses: [] });
  });

  it('a family that fails keeps its own last good addresses; one that answers is fresh', () => {
    const good = decide(undefined, HOST, answers(records(60, '192.0.2.1'), records(60, '2001:db8::1')), T0, POLICY);
    const half = decide(
      good.state,
      HOST,
      answers(records(60, '192.0.2.7'), failed('queryAaaa ETIMEOUT x')),
      T0 + 60_000,
      POLICY,
    );
    expect(servedAddresses(half.state)).toEqual(['192.0.2.7', '2001:db8::1']);
    expect(half.nextMs).toBe(2_000);
    expect(reportOf(half.state, HOST, 'r', POLICY).kept).toEqual({
      resolvedAt: '2026-12-06T09:00:00.000Z',
      until: '2026-12-06T10:00:00.000Z',
    });
    // A failing family with nothing to keep: what answered is served, and nothing is said to be kept.
    const first = decide(
      undefined,
      HOST,
      answers(records(60, '192.0.2.7'), failed('queryAaaa ETIMEOUT x')),
      T0,
      POLICY,
    );
    expect(servedAddresses(first.state)).toEqual(['192.0.2.7']);
    expect(reportOf(first.state, HOST, 'r', POLICY).kept).toBeUndefined();
  });

  it('reports a hostname never resolved as pending', () => {
    expect(reportOf(undefined, HOST, 'r', POLICY)).toEqual({
      hostname: HOST,
      resolver: 'r',
      addresses: [],
      pending: true,
    });
  });
});
