import { describe, expect, it } from 'vitest';
import type { CompiledRoutedName, CompiledTarget } from '../../../../api/compiled.ts';
import type { ClientLocation } from '../../../../dnsserver/geoip/types.ts';
import { decide, haversineKm, matchLevel, type HealthOverrides } from '../../../../dnsserver/routing/index.ts';

const target = (name: string, addresses: string[], extra: Partial<CompiledTarget> = {}): CompiledTarget => ({
  id: `ns/www/${name}`,
  name,
  addresses,
  location: {},
  weight: 1,
  priority: 0,
  healthy: true,
  ...extra,
});

const routed = (
  policy: CompiledRoutedName['policy'],
  targets: CompiledTarget[],
  maxAnswers = 8,
): CompiledRoutedName => ({
  name: 'www.geo.example',
  source: 'ns/www',
  ttl: 30,
  policy,
  maxAnswers,
  targets,
});

const munich: ClientLocation = {
  continent: 'EU',
  country: 'DE',
  subdivision: 'BY',
  latitude: 48.14,
  longitude: 11.58,
  source: 'geoip',
  prefixLength: 24,
};
const tokyo: ClientLocation = {
  continent: 'AS',
  country: 'JP',
  latitude: 35.7,
  longitude: 139.7,
  source: 'geoip',
  prefixLength: 20,
};
const lima: ClientLocation = {
  continent: 'SA',
  country: 'PE',
  latitude: -12,
  longitude: -77,
  source: 'geoip',
  prefixLength: 16,
};

const fixed = (value: number) => () => value;

const geoTargets = [
  target('eu', ['192.0.2.1', '2001:db8::1'], { location: { continent: 'EU' } }),
  target('de', ['192.0.2.2'], { location: { country: 'DE', latitude: 50.1, longitude: 8.7 } }),
  target('by', ['192.0.2.3'], { location: { country: 'DE', subdivision: 'BY' } }),
  target('lab', ['192.0.2.4'], { location: { region: 'lab' } }),
  target('us', ['192.0.2.5'], { location: { country: 'US', latitude: 39, longitude: -77 } }),
  target('jp', ['192.0.2.6'], { location: { country: 'JP', latitude: 35.7, longitude: 139.7 } }),
];

describe('geo', () => {
  const name = routed('geo', geoTargets);
  const run = (location: ClientLocation | undefined, health?: HealthOverrides) =>
    decide({ routed: name, family: 'A', location, health, random: fixed(0) });

  it('prefers region > subdivision > country > continent', () => {
    expect(run({ ...munich, region: 'lab' }).addresses).toEqual(['192.0.2.4']);
    expect(run(munich).addresses).toEqual(['192.0.2.3']);
    expect(run({ ...munich, subdivision: 'HE' }).addresses).toEqual(['192.0.2.2']);
    expect(run({ ...munich, country: 'FR', subdivision: undefined }).addresses).toEqual(['192.0.2.1']);
  });

  it('sets the ECS scope to the location prefix length', () => {
    const decision = run(munich);
    expect(decision.locationDependent).toBe(true);
    expect(decision.scopePrefix).toBe(24);
    expect(decision.targets).toEqual(['ns/www/by']);
  });

  it('falls back to the next level when the most specific target is down (health table)', () => {
    expect(run(munich, { 'ns/www/by': { up: false } }).addresses).toEqual(['192.0.2.2']);
  });

  it('falls back to the nearest healthy target when nothing matches', () => {
    const decision = run(lima);
    expect(decision.addresses).toEqual(['192.0.2.5']);
    expect(decision.steps.join('\n')).toContain('nearest');
    expect(decision.scopePrefix).toBe(16);
  });

  it('falls back to all healthy targets when the client has no coordinates', () => {
    const decision = run({ source: 'none', prefixLength: 8 });
    expect(decision.addresses).toHaveLength(6);
    expect(decision.scopePrefix).toBe(8);
  });

  it('degrades to all targets when none is healthy, not location dependent', () => {
    const down: HealthOverrides = Object.fromEntries(geoTargets.map((t) => [t.id, { up: false }]));
    const decision = run(munich, down);
    expect(decision.addresses).toHaveLength(6);
    expect(decision.scopePrefix).toBe(0);
    expect(decision.steps.join('\n')).toContain('degrading to all targets');
  });

  it('uses a catch-all target (no location) before the distance fallback', () => {
    const withDefault = routed('geo', [...geoTargets, target('any', ['192.0.2.99'])]);
    expect(decide({ routed: withDefault, family: 'A', location: lima, random: fixed(0) }).addresses).toEqual([
      '192.0.2.99',
    ]);
  });

  it('is not location dependent with a single healthy target', () => {
    const one = routed('geo', [target('only', ['192.0.2.1'], { location: { country: 'DE' } })]);
    expect(decide({ routed: one, family: 'A', location: munich, random: fixed(0) }).scopePrefix).toBe(0);
  });

  it('filters by family: AAAA only sees targets with IPv6 addresses', () => {
    const decision = decide({ routed: name, family: 'AAAA', location: tokyo, random: fixed(0) });
    expect(decision.addresses).toEqual(['2001:db8::1']);
    expect(decision.scopePrefix).toBe(0);
  });

  it('matchLevel requires every field the target sets', () => {
    expect(matchLevel({ country: 'DE', subdivision: 'BY' }, { ...munich, subdivision: 'HE' })).toBe(-1);
    expect(matchLevel({ country: 'de' }, munich)).toBe(2);
    expect(matchLevel({}, undefined)).toBe(0);
  });
});

describe('proximity', () => {
  const name = routed('proximity', [
    target('fra', ['192.0.2.1'], { location: { latitude: 50.1, longitude: 8.7 } }),
    target('tyo', ['192.0.2.2'], { location: { latitude: 35.7, longitude: 139.7 } }),
    target('us', ['192.0.2.3'], { location: { country: 'US' } }),
  ]);
  it('answers the nearest healthy target by great-circle distance', () => {
    expect(decide({ routed: name, family: 'A', location: munich, random: fixed(0) }).addresses).toEqual(['192.0.2.1']);
    expect(decide({ routed: name, family: 'A', location: tokyo, random: fixed(0) }).addresses).toEqual(['192.0.2.2']);
    // Country centroid of the US is nearest to Lima.
    const fromLima = decide({ routed: name, family: 'A', location: lima, random: fixed(0) });
    expect(fromLima.addresses).toEqual(['192.0.2.3']);
    expect(fromLima.scopePrefix).toBe(16);
  });
  it('skips unhealthy targets', () => {
    const health = { 'ns/www/fra': { up: false } };
    expect(decide({ routed: name, family: 'A', location: munich, health, random: fixed(0) }).addresses).toEqual([
      '192.0.2.3',
    ]);
  });
  it('answers all healthy targets when the client location is unknown', () => {
    const decision = decide({ routed: name, family: 'A', location: undefined, random: fixed(0) });
    expect(decision.addresses).toHaveLength(3);
    expect(decision.scopePrefix).toBe(0);
  });
  it('haversine gives known distances', () => {
    expect(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(20015, -1);
  });
});

describe('weighted', () => {
  const name = routed('weighted', [
    target('a', ['192.0.2.1'], { weight: 1 }),
    target('b', ['192.0.2.2'], { weight: 3 }),
    target('z', ['192.0.2.3'], { weight: 0 }),
  ]);
  const pick = (r: number, health?: HealthOverrides) =>
    decide({ routed: name, family: 'A', location: munich, health, random: fixed(r) });
  it('picks by weight and never a zero-weight target', () => {
    expect(pick(0).addresses).toEqual(['192.0.2.1']);
    expect(pick(0.24).addresses).toEqual(['192.0.2.1']);
    expect(pick(0.26).addresses).toEqual(['192.0.2.2']);
    expect(pick(0.99).addresses).toEqual(['192.0.2.2']);
  });
  it('is not location dependent: ECS scope 0', () => {
    expect(pick(0.5).scopePrefix).toBe(0);
    expect(pick(0.5).locationDependent).toBe(false);
  });
  it('leaves unhealthy targets out', () => {
    expect(pick(0, { 'ns/www/a': { up: false } }).addresses).toEqual(['192.0.2.2']);
  });
});

describe('failover', () => {
  const name = routed('failover', [
    target('p1', ['192.0.2.1'], { priority: 1 }),
    target('p1b', ['192.0.2.2'], { priority: 1 }),
    target('p2', ['192.0.2.3'], { priority: 2 }),
  ]);
  const run = (health?: HealthOverrides) => decide({ routed: name, family: 'A', health, random: fixed(0) });
  it('answers the lowest tier with a healthy target', () => {
    expect(run().addresses).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(run({ 'ns/www/p1': { up: false } }).addresses).toEqual(['192.0.2.2']);
    expect(run({ 'ns/www/p1': { up: false }, 'ns/www/p1b': { up: false } }).addresses).toEqual(['192.0.2.3']);
  });
  it('degrades to the lowest tier when all are down', () => {
    const all = { 'ns/www/p1': { up: false }, 'ns/www/p1b': { up: false }, 'ns/www/p2': { up: false } };
    expect(run(all).addresses).toEqual(['192.0.2.1', '192.0.2.2']);
  });
  it('a health table entry overrides compiled health both ways', () => {
    const compiledDown = routed('failover', [
      target('p1', ['192.0.2.1'], { priority: 1, healthy: false }),
      target('p2', ['192.0.2.3'], { priority: 2 }),
    ]);
    expect(decide({ routed: compiledDown, family: 'A', random: fixed(0) }).addresses).toEqual(['192.0.2.3']);
    const health = { 'ns/www/p1': { up: true } };
    expect(decide({ routed: compiledDown, family: 'A', health, random: fixed(0) }).addresses).toEqual(['192.0.2.1']);
  });
});

describe('multivalue', () => {
  const name = routed(
    'multivalue',
    [target('a', ['192.0.2.1', '192.0.2.2']), target('b', ['192.0.2.3']), target('c', ['192.0.2.4', '192.0.2.5'])],
    3,
  );
  it('answers up to maxAnswers healthy addresses, rotated', () => {
    expect(decide({ routed: name, family: 'A', random: fixed(0) }).addresses).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
    ]);
    expect(decide({ routed: name, family: 'A', random: fixed(0.99) }).addresses).toEqual([
      '192.0.2.5',
      '192.0.2.1',
      '192.0.2.2',
    ]);
  });
  it('leaves out down addresses of an up target (downAddresses)', () => {
    const health = { 'ns/www/a': { up: true, downAddresses: ['192.0.2.1'] } };
    const decision = decide({ routed: name, family: 'A', health, random: fixed(0) });
    expect(decision.addresses).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4']);
    expect(decision.key).toBe('A:192.0.2.2,192.0.2.3,192.0.2.4');
  });
  it('a target whose addresses are all down counts as unhealthy', () => {
    const health = { 'ns/www/a': { up: true, downAddresses: ['192.0.2.1', '192.0.2.2'] }, 'ns/www/b': { up: false } };
    expect(decide({ routed: name, family: 'A', health, random: fixed(0) }).addresses).toEqual([
      '192.0.2.4',
      '192.0.2.5',
    ]);
  });
  it('degrades to all addresses (capped) when none is healthy', () => {
    const health = { 'ns/www/a': { up: false }, 'ns/www/b': { up: false }, 'ns/www/c': { up: false } };
    expect(decide({ routed: name, family: 'A', health, random: fixed(0) }).addresses).toHaveLength(3);
  });
});

describe('common rules', () => {
  it('caps every policy at maxAnswers', () => {
    const many = Array.from({ length: 5 }, (_, i) => target(`t${i}`, [`192.0.2.${i + 1}`]));
    for (const policy of ['geo', 'proximity', 'failover', 'multivalue'] as const) {
      expect(decide({ routed: routed(policy, many, 2), family: 'A', random: fixed(0) }).addresses).toHaveLength(2);
    }
  });
  it('answers nothing (NODATA) when no target has an address of the family', () => {
    const v4only = routed('geo', [target('a', ['192.0.2.1'])]);
    const decision = decide({ routed: v4only, family: 'AAAA', random: fixed(0) });
    expect(decision.addresses).toEqual([]);
    expect(decision.steps.join('\n')).toContain('NODATA');
  });
});
