// Which status changes follow the live health alone (and so may wait longer): pure.
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../../api/meta.ts';
import { followsHealthOnly, type StatusBody } from '../../../../operator/status/desired.ts';

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
