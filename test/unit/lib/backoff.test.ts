import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../lib/backoff.ts';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(backoff.failures).toBe(7);
  });

  it('starts again from the initial delay after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('takes away at most the jitter fraction, never exceeding the cap', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 400, jitter: 0.5, random: () => 0.999999 });
    const high = new Backoff({ initialMs: 100, maxMs: 400, jitter: 0.5, random: () => 0 });
    const lows = Array.from({ length: 4 }, () => low.next());
    const highs = Array.from({ length: 4 }, () => high.next());
    expect(highs).toEqual([100, 200, 400, 400]);
    lows.forEach((delay, i) => {
      expect(delay).toBeGreaterThan((highs[i] ?? 0) / 2 - 0.01);
      expect(delay).toBeLessThanOrEqual(highs[i] ?? 0);
    });
  });

  it('uses its factor and stays finite after very many failures', () => {
    const backoff = new Backoff({ initialMs: 1, maxMs: 50, factor: 3, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([1, 3, 9, 27]);
    for (let i = 0; i < 5000; i++) backoff.next();
    expect(backoff.next()).toBe(50);
  });

  it('refuses options that make no sense', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 50 })).toThrow(RangeError);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 2 })).toThrow(RangeError);
  });
});
