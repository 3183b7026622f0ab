import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../../../../dnsserver/observability/log-limiter.ts';

describe('LogLimiter', () => {
  it('admits at most N lines a second and tells the next admitted line how many were held back', () => {
    let now = 1000;
    const limiter = new LogLimiter(3, () => now);
    expect([limiter.admit(), limiter.admit(), limiter.admit()]).toEqual([0, 0, 0]);
    for (let i = 0; i < 500; i++) expect(limiter.admit()).toBe(-1);
    now += 999;
    expect(limiter.admit()).toBe(-1);
    now += 1;
    expect(limiter.admit()).toBe(501);
    expect(limiter.admit()).toBe(0);
  });

  it('admits nothing at 0 lines a second', () => {
    let now = 0;
    const limiter = new LogLimiter(0, () => now);
    for (let i = 0; i < 10; i++, now += 5000) expect(limiter.admit()).toBe(-1);
  });
});
