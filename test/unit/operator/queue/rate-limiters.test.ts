import { describe, expect, it } from 'vitest';
import {
  ExponentialBackoff,
  MaxOf,
  TokenBucket,
  defaultRateLimiter,
} from '../../../../operator/queue/rate-limiters.ts';

describe('ExponentialBackoff', () => {
  it('doubles per retry of a key from the base, up to the cap', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 100 });
    expect([1, 2, 3, 4, 5, 6, 7].map(() => backoff.when('a'))).toEqual([5, 10, 20, 40, 80, 100, 100]);
    expect(backoff.retries('a')).toBe(7);
  });

  it('counts each key on its own and starts over after forget', () => {
    const backoff = new ExponentialBackoff({ baseMs: 1, maxMs: 1000 });
    backoff.when('a');
    backoff.when('a');
    expect(backoff.when('b')).toBe(1);
    expect(backoff.when('a')).toBe(4);
    backoff.forget('a');
    expect(backoff.retries('a')).toBe(0);
    expect(backoff.when('a')).toBe(1);
    expect(backoff.retries('b')).toBe(1);
  });

  it('stays at the cap however many retries', () => {
    const backoff = new ExponentialBackoff({ baseMs: 5, maxMs: 30_000 });
    let last = 0;
    for (let i = 0; i < 2000; i++) last = backoff.when('a');
    expect(last).toBe(30_000);
  });

  it('refuses a base that is not positive or a cap below the base', () => {
    expect(() => new ExponentialBackoff({ baseMs: 0 })).toThrow(/baseMs must be > 0/);
    expect(() => new ExponentialBackoff({ baseMs: 10, maxMs: 5 })).toThrow(/maxMs \(5\) must be >= baseMs \(10\)/);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces the rest at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => bucket.when())).toEqual([0, 0, 0]);
    // Each reservation beyond the burst is 100 ms (1/rate) further out than the one before.
    expect([1, 2, 3].map(() => bucket.when())).toEqual([100, 200, 300]);
    now = 400; // the debt of three tokens is paid back, plus one token
    expect(bucket.when()).toBe(0);
    expect(bucket.when()).toBe(100);
  });

  it('refills to no more than the burst after a quiet spell', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, now: () => now });
    bucket.when();
    bucket.when();
    now = 60_000;
    expect([bucket.when(), bucket.when(), bucket.when()]).toEqual([0, 0, 100]);
  });

  it('refuses a rate that is not positive or a burst below one', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/ratePerSecond must be > 0/);
    expect(() => new TokenBucket({ burst: 0 })).toThrow(/burst must be >= 1/);
  });
});

describe('MaxOf and defaultRateLimiter', () => {
  it('waits for the longest of its limiters and forgets in all of them', () => {
    let now = 0;
    const limiter = new MaxOf(
      new ExponentialBackoff({ baseMs: 5, maxMs: 1000 }),
      new TokenBucket({ ratePerSecond: 1, burst: 1, now: () => now }),
    );
    expect(limiter.when('a')).toBe(5); // backoff 5, bucket 0
    expect(limiter.when('b')).toBe(1000); // backoff 5, bucket 1000
    expect(limiter.retries('a')).toBe(1);
    limiter.forget('a');
    expect(limiter.retries('a')).toBe(0);
    now = 10_000;
    expect(limiter.when('a')).toBe(5);
  });

  it('defaults to a 5 ms base per key and lets a burst of 100 through without the bucket adding delay', () => {
    const limiter = defaultRateLimiter({ bucket: { now: () => 0 } });
    const delays = Array.from({ length: 100 }, (_, i) => limiter.when(`k${i}`));
    expect(new Set(delays)).toEqual(new Set([5]));
    expect(limiter.when('k-over')).toBe(100); // the 101st retry waits for the bucket (10/s)
  });
});
