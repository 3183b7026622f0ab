// A HealthProbe's status from what the prober does with it (Ready, its families), and the GeoEndpoint note for a
// family the prober cannot reach: pure.
import { describe, expect, it } from 'vitest';
import type { CompiledRoutedName } from '../../../../api/compiled.ts';
import type { Condition } from '../../../../api/meta.ts';
import type { ResourceResult } from '../../../../operator/compile/index.ts';
import type { ProbedAddress } from '../../../../operator/prober/index.ts';
import { desiredStatus } from '../../../../operator/status/desired.ts';

const now = new Date('2026-12-06T00:00:00Z');
const cond = (type: string, ok: boolean, reason: string, message = ''): Condition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
  lastTransitionTime: now.toISOString(),
});
const probe = (...conditions: Condition[]): ResourceResult => ({
  kind: 'HealthProbe',
  namespace: 'web',
  name: 'http',
  conditions,
});
const probing = probe(cond('Accepted', true, 'Accepted'), cond('Ready', true, 'Probing'));
const context = { routed: new Map(), health: { format: 'geodns.io/health/v1' as const, targets: {} }, now };
const ready = (status: ReturnType<typeof desiredStatus>) => status.conditions?.find((c) => c.type === 'Ready');

const v4: ProbedAddress = { address: '127.0.0.1', target: 'web/www/eu', state: 'Up' };
const v6: ProbedAddress = {
  address: '2001:db8::1',
  target: 'web/www/eu',
  state: 'Unknown',
  lastError: 'connect ENETUNREACH 2001:db8::1:80 - Local (:::0)',
};

describe('a HealthProbe Ready condition', () => {
  it('is Probing with counts, and names a family the prober cannot reach', () => {
    const status = desiredStatus(probing, {
      ...context,
      generation: 2,
      probed: [v4, v6],
      families: { IPv4: 'Reachable', IPv6: 'Unreachable' },
    });
    expect(ready(status)).toMatchObject({ status: 'True', reason: 'Probing', observedGeneration: 2 });
    expect(ready(status)?.message).toBe(
      'probing 2 address(es): 1 Up, 0 Down, 1 Unknown; the prober has no route to IPv6 ' +
        '(connect ENETUNREACH 2001:db8::1:80 - Local (:::0)): these addresses are Unknown, not Down, ' +
        "and their targets' health follows their IPv4 addresses",
    );
    expect(status.families).toEqual([
      { family: 'IPv4', reachable: 'True', addresses: 1, up: 1, down: 0, unknown: 0 },
      expect.objectContaining({ family: 'IPv6', reachable: 'False', addresses: 1, unknown: 1 }),
    ]);
  });

  it('is False: NoRoute when no family of its addresses is reachable, NoAddresses without any', () => {
    const only6 = desiredStatus(probing, {
      ...context,
      generation: 1,
      probed: [v6],
      families: { IPv4: 'Unknown', IPv6: 'Unreachable' },
    });
    expect(ready(only6)).toMatchObject({ status: 'False', reason: 'NoRoute' });
    const none = desiredStatus(probing, { ...context, generation: 1, probed: [] });
    expect(ready(none)).toMatchObject({ status: 'False', reason: 'NoAddresses' });
  });

  it('is False: InvalidSpec for a refused spec or one the prober cannot run, and keeps NoTargets', () => {
    const refused = probe(cond('Accepted', false, 'InvalidSpec', 'spec.port: must be <= 65535'));
    expect(ready(desiredStatus(refused, { ...context, generation: 1 }))).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.port: must be <= 65535',
    });
    const unrunnable = desiredStatus(probing, {
      ...context,
      generation: 1,
      probed: [{ ...v4, state: 'Unknown' }],
      probeProblem: 'timeout 3s must be shorter than interval 2s',
    });
    expect(ready(unrunnable)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    const unused = probe(cond('Accepted', true, 'Unused'), cond('Ready', false, 'NoTargets', 'no target'));
    expect(ready(desiredStatus(unused, { ...context, generation: 1, probed: [] }))).toMatchObject({
      status: 'False',
      reason: 'NoTargets',
    });
  });
});

describe('a GeoEndpoint whose probed targets have addresses of an unreachable family', () => {
  it('says so in its Ready message', () => {
    const routed = {
      source: 'web/www',
      targets: [
        { id: 'web/www/eu', name: 'eu', addresses: ['127.0.0.1', '2001:db8::1'], healthy: true, probe: 'web/http' },
      ],
    } as unknown as CompiledRoutedName;
    const endpoint: ResourceResult = {
      kind: 'GeoEndpoint',
      namespace: 'web',
      name: 'www',
      conditions: [cond('Accepted', true, 'Accepted'), cond('Ready', true, 'Ready')],
    };
    const status = desiredStatus(endpoint, {
      ...context,
      routed: new Map([['web/www', [routed]]]),
      generation: 1,
      families: { IPv4: 'Reachable', IPv6: 'Unreachable' },
    });
    expect(ready(status)?.message).toBe(
      '1/1 served target(s) healthy; IPv6 not probed: the prober has no route to IPv6, so targets follow the ' +
        'health of their IPv4 addresses',
    );
  });
});
