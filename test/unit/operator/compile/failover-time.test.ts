import { describe, expect, it } from 'vitest';
import type { GeoEndpoint } from '../../../../api/geoendpoint.ts';
import type { HealthProbe } from '../../../../api/healthprobe.ts';
import {
  detectionSeconds,
  failoverTime,
  formatSeconds,
  overBudget,
  PUBLISH_SECONDS,
} from '../../../../operator/compile/failover-time.ts';

const probe = (name: string, spec: Partial<HealthProbe['spec']>): HealthProbe =>
  ({
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'HealthProbe',
    metadata: { name, namespace: 'web' },
    spec: { type: 'HTTP', port: 80, ...spec },
  }) as HealthProbe;

const endpoint = (targets: GeoEndpoint['spec']['targets']): GeoEndpoint =>
  ({
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoEndpoint',
    metadata: { name: 'api', namespace: 'web' },
    spec: { zoneRef: { name: 'z' }, hostname: 'api.geo.test', policy: 'failover', targets },
  }) as GeoEndpoint;

describe('failover time', () => {
  it('detects in failureThreshold intervals plus the last timeout, with the HealthProbe defaults when left out', () => {
    expect(detectionSeconds(probe('p', { interval: '5s', timeout: '1s', failureThreshold: 2 }).spec)).toBe(11);
    expect(detectionSeconds(probe('p', {}).spec)).toBe(3 * 10 + 2);
    expect(detectionSeconds(probe('p', { interval: '500ms', timeout: '200ms', failureThreshold: 1 }).spec)).toBe(0.7);
  });

  it('adds the slowest checked target, the publish allowance and the TTL; names what nothing checks', () => {
    const probes = new Map([
      ['fast', probe('fast', { interval: '5s', timeout: '1s', failureThreshold: 2 })],
      ['slow', probe('slow', { interval: '10s', timeout: '2s', failureThreshold: 3 })],
    ]);
    const time = failoverTime(
      endpoint([
        { name: 'a', service: { name: 'a' }, location: {}, weight: 1, priority: 0, healthProbeRef: { name: 'fast' } },
        { name: 'b', service: { name: 'b' }, location: {}, weight: 1, priority: 0, healthProbeRef: { name: 'slow' } },
        { name: 'c', service: { name: 'c' }, location: {}, weight: 1, priority: 0 },
        { name: 'd', addresses: ['192.0.2.1'], location: {}, weight: 1, priority: 0 },
        {
          name: 'e',
          addresses: ['192.0.2.2'],
          location: {},
          weight: 1,
          priority: 0,
          healthProbeRef: { name: 'missing' },
        },
      ]),
      60,
      (name) => probes.get(name),
    );
    expect(time).toEqual({
      worstCaseSeconds: 32 + PUBLISH_SECONDS + 60,
      detectionSeconds: 32,
      publishSeconds: PUBLISH_SECONDS,
      ttlSeconds: 60,
      unchecked: ['d', 'e'],
      readinessOnly: ['c'],
    });
  });

  it('warns over the budget with each part and the knobs, and not within it', () => {
    const time = failoverTime(
      endpoint([{ name: 'a', service: { name: 'a' }, location: {}, weight: 1, priority: 0 }]),
      300,
      () => undefined,
    );
    expect(overBudget(time, 120)).toBe(
      "failover can take 5m1s, over the budget of 2m0s: detection 0s (probe interval × failureThreshold + timeout) + publish 1s + TTL 5m0s; lower spec.ttl or the probe's interval or failureThreshold",
    );
    expect(overBudget(time, 301)).toBeUndefined();
    expect(formatSeconds(7205)).toBe('2h0m5s');
    expect(formatSeconds(0.7)).toBe('1s');
  });
});
