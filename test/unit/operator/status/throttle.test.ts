// When a status may be written: pure.
import { describe, expect, it } from 'vitest';
import { dueAt, type ThrottleState } from '../../../../operator/status/throttle.ts';

const intervals = { intervalMs: 1000, healthIntervalMs: 5000, probeIntervalMs: 7000 };
const state = (fields: Partial<ThrottleState>): ThrottleState => ({
  now: 10_000,
  lastWriteAt: undefined,
  healthOnly: false,
  kind: 'GeoEndpoint',
  reservedAt: undefined,
  ...fields,
});

describe('dueAt', () => {
  it('is now for the first write, then the interval after the last one by what changed', () => {
    expect(dueAt(state({}), intervals)).toBe(10_000);
    expect(dueAt(state({ healthOnly: true }), intervals)).toBe(10_000);
    expect(dueAt(state({ lastWriteAt: 9500 }), intervals)).toBe(10_500);
    expect(dueAt(state({ lastWriteAt: 9500, healthOnly: true }), intervals)).toBe(14_500);
    expect(dueAt(state({ lastWriteAt: 9500, healthOnly: true, kind: 'HealthProbe' }), intervals)).toBe(16_500);
  });

  it('holds a health-only write until the token it reserved, and a spec change not at all', () => {
    expect(dueAt(state({ healthOnly: true, reservedAt: 10_400 }), intervals)).toBe(10_400);
    expect(dueAt(state({ healthOnly: true, lastWriteAt: 9500, reservedAt: 10_400 }), intervals)).toBe(14_500);
    expect(dueAt(state({ reservedAt: 10_400 }), intervals)).toBe(10_000);
  });
});
