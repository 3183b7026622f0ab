// Which Services wait for their first EndpointSlice (a grace after their creation) and when that ends: pure.
import { describe, expect, it } from 'vitest';
import { pendingServices, serviceCreationTimes, SLICE_GRACE_MS } from '../../../../operator/inputs/slices-pending.ts';

const T0 = Date.parse('2026-12-06T10:00:00Z');
const service = (name: string, creationTimestamp?: string) => ({
  metadata: { name, namespace: 'web', ...(creationTimestamp !== undefined ? { creationTimestamp } : {}) },
});
const slice = (service: string, namespace = 'web') => ({
  metadata: { name: `${service}-x`, namespace, labels: { 'kubernetes.io/service-name': service } },
  endpoints: [],
});

describe('serviceCreationTimes', () => {
  it('reads creationTimestamp, skipping Services without a usable one', () => {
    const created = serviceCreationTimes([
      service('a', '2026-12-06T10:00:00Z'),
      service('b'),
      service('c', 'not a time'),
    ]);
    expect([...created]).toEqual([['web/a', T0]]);
  });
});

describe('pendingServices', () => {
  const created = new Map([
    ['web/new', T0],
    ['web/older', T0 - 4000],
    ['web/old', T0 - SLICE_GRACE_MS],
  ]);

  it('is the Services created within the grace that no slice names, with the time until the first one ends', () => {
    const pending = pendingServices(created, [], T0 + 1000);
    expect([...pending.keys].sort()).toEqual(['web/new', 'web/older']);
    expect(pending.nextChangeInMs).toBe(SLICE_GRACE_MS - 5000);
  });

  it('any slice of the Service ends the wait, whatever its endpoints say; a slice of the same name elsewhere does not', () => {
    const pending = pendingServices(created, [slice('older'), slice('new', 'other')], T0 + 1000);
    expect([...pending.keys]).toEqual(['web/new']);
    expect(pending.nextChangeInMs).toBe(SLICE_GRACE_MS - 1000);
  });

  it('nothing waits once every grace has passed', () => {
    expect(pendingServices(created, [], T0 + SLICE_GRACE_MS)).toEqual({ keys: new Set(), nextChangeInMs: undefined });
  });

  it('takes the grace it is given', () => {
    expect([...pendingServices(created, [], T0 + 1000, 500).keys]).toEqual([]);
  });
});
