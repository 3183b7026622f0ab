// A GeoEndpoint's Ready from the live health of its targets, and which status changes follow the live health alone
// (and so may wait longer): pure.
import { describe, expect, it } from 'vitest';
import type { CompiledRoutedName } from '../../../../api/compiled.ts';
import type { Condition } from '../../../../api/meta.ts';
import type { ResourceResult } from '../../../../operator/compile/index.ts';
import { desiredStatus, followsHealthOnly, type StatusBody } from '../../../../operator/status/desired.ts';

const at = '2026-12-04T00:00:00Z';
const cond = (type: string, ok: boolean, reason: string): Condition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message: '',
  lastTransitionTime: at,
});
const body = (generation: number, ...conditions: Condition[]): StatusBody => ({
  observedGeneration: generation,
  conditions,
});
const accepted = cond('Accepted', true, 'Accepted');
const resolved = cond('ResolvedRefs', true, 'ResolvedRefs');

describe('followsHealthOnly', () => {
  it('is true for target counts and Ready moving between its health reasons', () => {
    const current = body(1, accepted, resolved, cond('Ready', true, 'Ready'));
    expect(
      followsHealthOnly('GeoEndpoint', body(1, accepted, resolved, cond('Ready', false, 'NoReadyEndpoints')), current),
    ).toBe(true);
    expect(
      followsHealthOnly('GeoEndpoint', body(1, accepted, resolved, cond('Ready', false, 'NoHealthyTargets')), current),
    ).toBe(true);
    expect(followsHealthOnly('GeoEndpoint', { ...current, targetsSummary: '2/3' }, current)).toBe(true);
  });

  it('is false for a first status, a new generation, a reference or spec reason, and other kinds', () => {
    const current = body(1, accepted, resolved, cond('Ready', true, 'Ready'));
    const down = body(1, accepted, resolved, cond('Ready', false, 'NoReadyEndpoints'));
    expect(followsHealthOnly('GeoEndpoint', down, undefined)).toBe(false);
    expect(followsHealthOnly('GeoEndpoint', down, { conditions: [] })).toBe(false);
    expect(followsHealthOnly('GeoEndpoint', { ...down, observedGeneration: 2 }, current)).toBe(false);
    expect(
      followsHealthOnly(
        'GeoEndpoint',
        body(1, accepted, cond('ResolvedRefs', false, 'ServiceNotFound'), cond('Ready', false, 'ServiceNotFound')),
        current,
      ),
    ).toBe(false);
    expect(
      followsHealthOnly('GeoEndpoint', body(1, accepted, resolved, cond('Ready', false, 'NameConflict')), current),
    ).toBe(false);
    expect(
      followsHealthOnly(
        'GeoEndpoint',
        body(1, accepted, resolved, cond('Ready', true, 'Ready'), cond('Extra', true, 'X')),
        current,
      ),
    ).toBe(false);
    expect(followsHealthOnly('GeoZone', down, current)).toBe(false);
  });
});

describe('a GeoEndpoint whose Service targets are down', () => {
  const endpoint: ResourceResult = {
    kind: 'GeoEndpoint',
    namespace: 'web',
    name: 'www',
    conditions: [accepted, resolved, cond('Ready', true, 'Ready')],
  };
  const routed = {
    source: 'web/www',
    targets: [
      { id: 'web/www/a', name: 'a', addresses: ['10.0.0.1'], healthy: true },
      { id: 'web/www/b', name: 'b', addresses: ['10.0.0.2'], healthy: true },
    ],
  } as unknown as CompiledRoutedName;
  const ready = (a: string, b: string): Condition | undefined =>
    desiredStatus(endpoint, {
      routed: new Map([['web/www', [routed]]]),
      health: {
        format: 'geodns.io/health/v1',
        targets: { 'web/www/a': { up: false, since: at, reason: a }, 'web/www/b': { up: false, since: at, reason: b } },
      },
      now: new Date(at),
      generation: 1,
    }).conditions?.find((c) => c.type === 'Ready');
  const none = (service: string) => `Service web/${service} has no ready endpoints`;
  const notYet = (service: string) => `Service web/${service}: no EndpointSlice seen yet`;

  it('is Unknown (EndpointsPending), not NoReadyEndpoints, while a Service has no EndpointSlice yet', () => {
    expect(ready(notYet('a'), none('b'))).toMatchObject({
      status: 'Unknown',
      reason: 'EndpointsPending',
      message: `0/2 served target(s) known to be ready; waiting for the EndpointSlices of their Services: a: ${notYet('a')}; b: ${none('b')}`,
    });
  });

  it('is NoReadyEndpoints once every Service has a slice without a ready endpoint, NoHealthyTargets for others', () => {
    expect(ready(none('a'), none('b'))).toMatchObject({ status: 'False', reason: 'NoReadyEndpoints' });
    expect(ready(notYet('a'), 'probe failed')).toMatchObject({ status: 'False', reason: 'NoHealthyTargets' });
  });

  it('a pending Ready is not a health-only change: it is written at once, not after the health interval', () => {
    const current = body(1, accepted, resolved, cond('Ready', true, 'Ready'));
    const pending = ready(notYet('a'), notYet('b'));
    expect(pending).toBeDefined();
    expect(followsHealthOnly('GeoEndpoint', body(1, accepted, resolved, pending!), current)).toBe(false);
  });
});
