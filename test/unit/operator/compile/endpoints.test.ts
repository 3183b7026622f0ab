import { describe, expect, it } from 'vitest';
import { compile, targetId } from '../../../../operator/compile/index.ts';
import { endpoint, input, probe, target } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

describe('GeoEndpoint admission', () => {
  it("serves an endpoint as a routed name with the zone's routedTTL (not defaultTTL) and the endpoint TTL when set", () => {
    const out = compile(
      input({
        endpoints: [
          endpoint('team', 'www', {
            targets: [target('eu-1', { addresses: ['2001:db8::2', '192.0.2.2', '192.0.2.10'] })],
          }),
          endpoint('team', 'api', { ttl: 30, policy: 'weighted', maxAnswers: 2 }),
        ],
      }),
    );
    const routed = doc(out).routed;
    expect(routed.map((r) => [r.name, r.ttl, r.policy, r.maxAnswers, r.source])).toEqual([
      ['api.geo.example.com', 30, 'weighted', 2, 'team/api'],
      ['www.geo.example.com', 60, 'geo', 8, 'team/www'],
    ]);
    expect(routed[1]?.targets).toEqual([
      {
        id: 'team/www/eu-1',
        name: 'eu-1',
        addresses: ['192.0.2.2', '192.0.2.10', '2001:db8::2'],
        location: { continent: 'EU' },
        weight: 1,
        priority: 0,
        healthy: true,
      },
    ]);
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'team')).toMatchObject({ status: 'True' });
    expect(cond(out, 'GeoEndpoint', 'www', 'Ready', 'team')).toMatchObject({
      status: 'True',
      message: '1/1 served target(s) healthy',
    });
  });

  it('refuses an endpoint whose zone does not exist with ZoneNotFound', () => {
    const out = compile(input({ endpoints: [endpoint('team', 'www', { zoneRef: { name: 'nope' } })] }));
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team')).toMatchObject({
      status: 'False',
      reason: 'ZoneNotFound',
      message: 'GeoZone nope not found',
    });
    expect(cond(out, 'GeoEndpoint', 'www', 'Ready', 'team')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
  });

  it('refuses a hostname outside the apex with HostnameOutsideZone', () => {
    const out = compile(input({ endpoints: [endpoint('team', 'www', { hostname: 'www.example.org' })] }));
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team')).toMatchObject({
      status: 'False',
      reason: 'HostnameOutsideZone',
      message: 'hostname www.example.org is outside the zone geo.example.com of GeoZone geo',
    });
  });

  it('allows the apex itself as a hostname', () => {
    const out = compile(input({ endpoints: [endpoint('team', 'root', { hostname: 'GEO.example.com.' })] }));
    expect(doc(out).routed.map((r) => r.name)).toEqual(['geo.example.com']);
  });

  it('gives a name to the older of two endpoints; the other says Conflict naming the winner', () => {
    const out = compile(
      input({
        endpoints: [
          endpoint('b', 'web', { hostname: 'www.geo.example.com' }, { creationTimestamp: '2026-05-01T00:00:00Z' }),
          endpoint('a', 'web', { hostname: 'www.geo.example.com' }, { creationTimestamp: '2026-06-01T00:00:00Z' }),
          endpoint('c', 'web', { hostname: 'www.geo.example.com' }, { creationTimestamp: '2026-05-01T00:00:00Z' }),
        ],
      }),
    );
    expect(doc(out).routed.map((r) => r.source)).toEqual(['b/web']);
    for (const ns of ['a', 'c']) {
      expect(cond(out, 'GeoEndpoint', 'web', 'Accepted', ns)).toMatchObject({
        status: 'False',
        reason: 'Conflict',
        message: 'www.geo.example.com is already published by GeoEndpoint b/web, which is older',
      });
    }
  });

  it('never lets a bad endpoint take the zone down', () => {
    const out = compile(
      input({
        endpoints: [
          endpoint('team', 'good'),
          endpoint('team', 'outside', { hostname: 'x.example.org' }),
          endpoint('team', 'broken', { targets: [target('a', { service: { name: 'missing' } })] }),
        ],
      }),
    );
    expect(doc(out).routed.map((r) => r.source)).toEqual(['team/good']);
    expect(cond(out, 'GeoZone', 'geo', 'Ready').message).toContain(
      '1 GeoEndpoint(s) served (2 refused; see their status)',
    );
  });
});

describe('targets', () => {
  const services = [
    { namespace: 'web', name: 'frontend', addresses: [], ready: true },
    { namespace: 'web', name: 'lb', addresses: ['203.0.113.5', '2001:db8::5'], ready: false },
    { namespace: 'other', name: 'elsewhere', addresses: ['203.0.113.9'], ready: true },
  ];

  it('resolves a Service target to its addresses and readiness', () => {
    const out = compile(
      input({
        services,
        endpoints: [endpoint('web', 'www', { targets: [target('eu-1', { service: { name: 'lb' } })] })],
      }),
    );
    expect(doc(out).routed[0]?.targets[0]).toMatchObject({ addresses: ['203.0.113.5', '2001:db8::5'], healthy: false });
    expect(cond(out, 'GeoEndpoint', 'www', 'Ready', 'web')).toMatchObject({
      status: 'False',
      reason: 'NoHealthyTargets',
    });
  });

  it('serves the ClusterIPs of a Service target that asks for them, and says when a headless Service has none', () => {
    const out = compile(
      input({
        services: [
          { namespace: 'web', name: 'lb', addresses: ['203.0.113.5'], clusterIPs: ['10.96.0.10'], ready: true },
          { namespace: 'web', name: 'headless', addresses: [], clusterIPs: [], ready: true },
        ],
        endpoints: [
          endpoint('web', 'www', {
            targets: [
              target('inside', { service: { name: 'lb', useClusterIP: true } }),
              target('outside', { service: { name: 'lb' } }),
              target('none', { service: { name: 'headless', useClusterIP: true } }),
            ],
          }),
        ],
      }),
    );
    const targets = doc(out).routed[0]?.targets ?? [];
    expect(targets.map((t) => [t.name, t.addresses])).toEqual([
      ['inside', ['10.96.0.10']],
      ['outside', ['203.0.113.5']],
    ]);
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web').message).toBe(
      'target "none": Service web/headless has no ClusterIP (a headless Service cannot be served by ClusterIP)',
    );
  });

  it('leaves out targets whose Service is missing or has no addresses, and says which', () => {
    const out = compile(
      input({
        services,
        endpoints: [
          endpoint('web', 'www', {
            targets: [
              target('eu-1', { service: { name: 'frontend' } }),
              target('us-1', { service: { name: 'elsewhere' } }),
              target('ok', { addresses: ['192.0.2.1'] }),
            ],
          }),
        ],
      }),
    );
    expect(doc(out).routed[0]?.targets.map((t) => t.name)).toEqual(['ok']);
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs).toMatchObject({ status: 'False', reason: 'ServiceHasNoAddresses' });
    expect(refs.message).toBe(
      'target "eu-1": Service web/frontend has no load-balancer or external addresses; target "us-1": Service web/elsewhere not found',
    );
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'web').status).toBe('True');
  });

  it('leaves the endpoint out with NoResolvedTargets when no target remains', () => {
    const out = compile(
      input({
        services,
        endpoints: [endpoint('web', 'www', { targets: [target('eu-1', { service: { name: 'gone' } })] })],
      }),
    );
    expect(doc(out).routed).toEqual([]);
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'web')).toMatchObject({
      status: 'False',
      reason: 'NoResolvedTargets',
    });
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web')).toMatchObject({
      status: 'False',
      reason: 'ServiceNotFound',
    });
  });

  it('takes compile-time health from the health table by target id; a missing id is healthy', () => {
    const out = compile(
      input({
        endpoints: [
          endpoint('team', 'www', { targets: [target('a'), target('b'), target('c', { service: { name: 'lb' } })] }),
        ],
        services: [{ namespace: 'team', name: 'lb', addresses: ['192.0.2.3'], ready: true }],
        health: { [targetId('team', 'www', 'a')]: false, [targetId('team', 'www', 'c')]: true },
      }),
    );
    expect(targetId('team', 'www', 'a')).toBe('team/www/a');
    expect(doc(out).routed[0]?.targets.map((t) => [t.id, t.healthy])).toEqual([
      ['team/www/a', false],
      ['team/www/b', true],
      ['team/www/c', true],
    ]);
  });

  it('records the probe of a target and reports an unknown probe while serving the target unchecked', () => {
    const out = compile(
      input({
        probes: [probe('team', 'http'), probe('team', 'idle')],
        endpoints: [
          endpoint('team', 'www', {
            targets: [
              target('a', { healthProbeRef: { name: 'http' } }),
              target('b', { healthProbeRef: { name: 'missing' } }),
            ],
          }),
        ],
        health: { 'team/www/b': false },
      }),
    );
    const targets = doc(out).routed[0]?.targets;
    expect(targets?.[0]).toMatchObject({ id: 'team/www/a', probe: 'team/http', healthy: true });
    expect(targets?.[1]).toMatchObject({ id: 'team/www/b', healthy: true });
    expect(targets?.[1]?.probe).toBeUndefined();
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'team')).toMatchObject({
      status: 'False',
      reason: 'HealthProbeNotFound',
      message: 'target "b": HealthProbe team/missing not found; the target is served unchecked',
    });
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team').status).toBe('True');
    expect(cond(out, 'HealthProbe', 'http', 'Accepted', 'team')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      message: 'valid; checks 1 target(s): team/www/a',
    });
    expect(cond(out, 'HealthProbe', 'idle', 'Accepted', 'team')).toMatchObject({ status: 'True', reason: 'Unused' });
    expect(cond(out, 'HealthProbe', 'http', 'Ready', 'team')).toMatchObject({ status: 'True', reason: 'Probing' });
    expect(cond(out, 'HealthProbe', 'idle', 'Ready', 'team')).toMatchObject({ status: 'False', reason: 'NoTargets' });
  });
});
