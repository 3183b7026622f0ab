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
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint as geoEndpoint, input, probe as probeOf, target, zone } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

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

describe('failover time in compile', () => {
  const probed = (ttl?: number) =>
    geoEndpoint('team', 'api', {
      policy: 'failover',
      ...(ttl !== undefined ? { ttl } : {}),
      targets: [
        target('primary', { addresses: ['192.0.2.1'], location: {}, healthProbeRef: { name: 'http' } }),
        target('page', { addresses: ['192.0.2.9'], location: {}, priority: 1 }),
      ],
    });
  const failoverOf = (out: ReturnType<typeof compile>) =>
    out.results.find((r) => r.kind === 'GeoEndpoint' && r.name === 'api')?.summary?.failover;

  it('meets the 2 minute budget with the defaults (probe 10s × 3 + 2s, publish, routedTTL 60) and says so', () => {
    const out = compile(input({ endpoints: [probed()], probes: [probeOf('team', 'http')] }));
    expect(failoverOf(out)).toEqual({
      worstCase: '1m33s',
      worstCaseSeconds: 93,
      detectionSeconds: 32,
      publishSeconds: 1,
      ttlSeconds: 60,
      budget: '2m0s',
      withinBudget: true,
      unchecked: ['page'],
    });
    expect(cond(out, 'GeoEndpoint', 'api', 'Accepted', 'team').reason).toBe('Accepted');
  });

  it("warns in Accepted when a name is over its zone's failoverBudget, and not under a larger one", () => {
    const late = compile(input({ endpoints: [probed(300)], probes: [probeOf('team', 'http')] }));
    const accepted = cond(late, 'GeoEndpoint', 'api', 'Accepted', 'team');
    expect(accepted).toMatchObject({ status: 'True', reason: 'FailoverOverBudget' });
    expect(accepted.message).toContain('failover can take 5m33s, over the budget of 2m0s');
    expect(failoverOf(late)?.withinBudget).toBe(false);
    expect(doc(late).routed[0]?.ttl).toBe(300);

    const roomy = compile(
      input({
        zones: [zone('geo', { failoverBudget: '10m' })],
        endpoints: [probed(300)],
        probes: [probeOf('team', 'http')],
      }),
    );
    expect(cond(roomy, 'GeoEndpoint', 'api', 'Accepted', 'team').reason).toBe('Accepted');
    expect(failoverOf(roomy)).toMatchObject({ budget: '10m0s', withinBudget: true });
  });
});
