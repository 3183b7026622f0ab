// The regional policy as pure decisions: the reference design of issue 21 (US, EU, APAC; five servers each with
// IPv4 and IPv6; US → EU, EU → US, APAC → US; unknown → US), with a seeded PRNG for the weighted shuffle.
import { describe, expect, it } from 'vitest';
import type { CompiledRegion, CompiledRoutedName, CompiledTarget } from '../../../../api/compiled.ts';
import type { ClientLocation } from '../../../../dnsserver/geoip/types.ts';
import { semanticZoneErrors } from '../../../../dnsserver/config/validate.ts';
import { decide, type Decision, type HealthOverrides, type RecordFamily } from '../../../../dnsserver/routing/index.ts';
import { exampleZone } from '../../../support/documents.ts';
import { mulberry32 } from '../../../../tools/random.ts';

const REGIONS = ['us', 'eu', 'apac'] as const;
const OCTET = { us: 1, eu: 2, apac: 3 } as const;

/** Server n (1-5) of a region: 10.<region>.0.<n> and fd00:<region>::<n>. */
function server(region: (typeof REGIONS)[number], n: number, extra: Partial<CompiledTarget> = {}): CompiledTarget {
  return {
    id: `web/www/${region}-${n}`,
    name: `${region}-${n}`,
    addresses: [`10.${OCTET[region]}.0.${n}`, `fd00:${OCTET[region]}::${n}`],
    location: {},
    weight: 1,
    priority: 0,
    healthy: true,
    region,
    ...extra,
  };
}

const regions: CompiledRegion[] = [
  { name: 'us', locations: [{ continent: 'NA' }, { continent: 'SA' }], backups: ['eu'] },
  { name: 'eu', locations: [{ continent: 'EU' }, { continent: 'AF' }, { country: 'IL' }], backups: ['us'] },
  { name: 'apac', locations: [{ continent: 'AS' }, { continent: 'OC' }], backups: ['us'] },
];

const servers = REGIONS.flatMap((region) => [1, 2, 3, 4, 5].map((n) => server(region, n)));

function design(targets: CompiledTarget[] = servers, maxAnswers = 2, extra: Partial<CompiledRoutedName> = {}) {
  return {
    name: 'www.geo.example.com',
    source: 'web/www',
    ttl: 30,
    policy: 'regional',
    maxAnswers,
    targets: [...targets].sort((a, b) => a.id.localeCompare(b.id)),
    regions,
    defaultRegion: 'us',
    ...extra,
  } satisfies CompiledRoutedName;
}

const at = (fields: Partial<ClientLocation>, prefixLength = 24): ClientLocation => ({
  source: 'geoip',
  prefixLength,
  ...fields,
});
const munich = at({ continent: 'EU', country: 'DE', subdivision: 'BY' });
const tokyo = at({ continent: 'AS', country: 'JP' }, 20);
const sydney = at({ continent: 'OC', country: 'AU' }, 40);
const virginia = at({ continent: 'NA', country: 'US' }, 16);
const telAviv = at({ continent: 'AS', country: 'IL' }, 22);
const unknown: ClientLocation = { source: 'none', prefixLength: 12 };

const down = (...ids: string[]): HealthOverrides => Object.fromEntries(ids.map((id) => [id, { up: false }]));
const regionDown = (region: string) => down(...[1, 2, 3, 4, 5].map((n) => `web/www/${region}-${n}`));

function run(
  location: ClientLocation | undefined,
  options: { health?: HealthOverrides; family?: RecordFamily; routed?: CompiledRoutedName; seed?: number } = {},
): Decision {
  return decide({
    routed: options.routed ?? design(),
    family: options.family ?? 'A',
    location,
    health: options.health,
    random: mulberry32(options.seed ?? 1),
  });
}

/** The region of every address answered (from the second octet / the second group). */
const regionsOf = (d: Decision) =>
  d.addresses.map((a) => REGIONS[Number(a.includes(':') ? a.split(':')[1] : a.split('.')[1]) - 1]);

describe('regional: the region', () => {
  it.each([
    ['an EU client', munich, 'eu', 24],
    ['an AS client', tokyo, 'apac', 20],
    ['an OC client', sydney, 'apac', 40],
    ['a NA client', virginia, 'us', 16],
    ['a country match over a continent match (IL is in AS, listed under eu)', telAviv, 'eu', 22],
    ['an unknown location: the default region', unknown, 'us', 12],
    ['a continent no region lists (AN): the default region', at({ continent: 'AN' }, 8), 'us', 8],
  ])('%s → %s, ECS scope the location prefix', (_, location, region, scope) => {
    const decision = run(location);
    expect(decision.region).toBe(region);
    expect(regionsOf(decision)).toEqual([region, region]);
    expect(decision.locationDependent).toBe(true);
    expect(decision.scopePrefix).toBe(scope);
  });

  it('no location at all (no locator): the default region, scope 0', () => {
    const decision = run(undefined);
    expect(decision.region).toBe('us');
    expect(decision.scopePrefix).toBe(0);
  });

  it('a tie between two regions at the same level goes to the region listed first', () => {
    const tied = design(servers, 2, {
      regions: [
        { name: 'us', locations: [{ continent: 'NA' }], backups: [] },
        { name: 'eu', locations: [{ continent: 'EU' }], backups: [] },
        { name: 'apac', locations: [{ continent: 'EU' }], backups: [] },
      ],
    });
    expect(run(munich, { routed: tied }).region).toBe('eu');
  });

  it('a custom region (from the zone networks) matches above a country', () => {
    const lab = design(servers, 2, {
      regions: [
        { name: 'us', locations: [{ continent: 'NA' }], backups: [] },
        { name: 'eu', locations: [{ country: 'DE' }], backups: [] },
        { name: 'apac', locations: [{ region: 'dc-tokyo' }], backups: [] },
      ],
    });
    expect(run({ ...munich, region: 'dc-tokyo' }, { routed: lab }).region).toBe('apac');
  });

  it('a single region does not depend on the location: scope 0', () => {
    const one = design(
      servers.filter((t) => t.region === 'eu'),
      2,
      { regions: [{ name: 'eu', locations: [{ continent: 'EU' }], backups: [] }], defaultRegion: 'eu' },
    );
    const decision = run(tokyo, { routed: one });
    expect(decision.region).toBe('eu');
    expect(decision.scopePrefix).toBe(0);
  });
});

describe('regional: backups', () => {
  it.each([
    ['EU → US', munich, 'eu', 'us'],
    ['US → EU', virginia, 'us', 'eu'],
    ['APAC → US', tokyo, 'apac', 'us'],
    ['unknown → US → EU', unknown, 'us', 'eu'],
  ])('%s when the region is all down', (_, location, failed, backup) => {
    const decision = run(location, { health: regionDown(failed) });
    expect(decision.region).toBe(backup);
    expect(regionsOf(decision)).toEqual([backup, backup]);
    expect(decision.steps).toContain(
      `region ${failed}: no healthy target with weight > 0 (down: ${failed}-1, ${failed}-2, ${failed}-3, ${failed}-4, ${failed}-5)`,
    );
    expect(decision.scopePrefix).toBe(location.prefixLength);
  });

  it('follows the backups in their order', () => {
    const ordered = design(servers, 2, {
      regions: [
        regions[0] as CompiledRegion,
        regions[1] as CompiledRegion,
        { ...(regions[2] as CompiledRegion), backups: ['eu', 'us'] },
      ],
    });
    expect(run(tokyo, { routed: ordered, health: regionDown('apac') }).region).toBe('eu');
    expect(run(tokyo, { routed: ordered, health: { ...regionDown('apac'), ...regionDown('eu') } }).region).toBe('us');
  });

  it('tries the regions it does not list last, in spec order, before degrading', () => {
    const decision = run(tokyo, { health: { ...regionDown('apac'), ...regionDown('us') } });
    expect(decision.region).toBe('eu');
    expect(decision.steps).toContain('walk: apac, then us; last resort: eu');
  });

  it('one server up keeps the region: no spill to the backup', () => {
    const decision = run(munich, { health: down('web/www/eu-1', 'web/www/eu-2', 'web/www/eu-3', 'web/www/eu-4') });
    expect(decision.addresses).toEqual(['10.2.0.5']);
    expect(decision.region).toBe('eu');
  });

  it('a weight-0 target does not keep its region: the backup answers', () => {
    const drained = design(servers.map((t) => (t.name === 'eu-1' ? { ...t, weight: 0 } : t)));
    const decision = run(munich, {
      routed: drained,
      health: down('web/www/eu-2', 'web/www/eu-3', 'web/www/eu-4', 'web/www/eu-5'),
    });
    expect(decision.region).toBe('us');
  });
});

describe('regional: address families', () => {
  it('a region without IPv6 targets answers A itself and falls to its backup for AAAA', () => {
    const v4only = design(
      servers.map((t) => (t.region === 'apac' ? { ...t, addresses: [t.addresses[0] as string] } : t)),
    );
    const a = run(tokyo, { routed: v4only });
    expect(a.region).toBe('apac');
    const aaaa = run(tokyo, { routed: v4only, family: 'AAAA' });
    expect(aaaa.region).toBe('us');
    expect(aaaa.addresses.every((x) => x.startsWith('fd00:1::'))).toBe(true);
    expect(aaaa.steps).toContain('region apac: no target with an IPv6 address');
    expect(aaaa.scopePrefix).toBe(20);
  });

  it('an IPv6 address down (downAddresses) moves AAAA only', () => {
    const v6down: HealthOverrides = Object.fromEntries(
      [1, 2, 3, 4, 5].map((n) => [`web/www/eu-${n}`, { up: true, downAddresses: [`fd00:2::${n}`] }]),
    );
    expect(run(munich, { health: v6down }).region).toBe('eu');
    expect(run(munich, { health: v6down, family: 'AAAA' }).region).toBe('us');
  });
});

describe('regional: weights', () => {
  const DRAWS = 20_000;

  /** How often each address comes first over DRAWS answers from one seeded PRNG. */
  function firstShares(routed: CompiledRoutedName, location: ClientLocation, health?: HealthOverrides) {
    const random = mulberry32(42);
    const counts = new Map<string, number>();
    for (let i = 0; i < DRAWS; i++) {
      const d = decide({ routed, family: 'A', location, health, random });
      const first = d.addresses[0] as string;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    return counts;
  }

  /** Within 5 standard deviations of the binomial count: a wrong share fails, chance never does. */
  function expectShare(count: number | undefined, p: number) {
    const sd = Math.sqrt(DRAWS * p * (1 - p));
    expect(Math.abs((count ?? 0) - DRAWS * p)).toBeLessThan(5 * sd);
  }

  it('spreads an EU client over the five EU servers, 20 % each', () => {
    const counts = firstShares(design(), munich);
    expect([...counts.keys()].sort()).toEqual(['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5']);
    for (const count of counts.values()) expectShare(count, 0.2);
  });

  it('renormalises over the healthy ones: 25 % each with one down, never the down one', () => {
    const counts = firstShares(design(), munich, down('web/www/eu-3'));
    expect([...counts.keys()].sort()).toEqual(['10.2.0.1', '10.2.0.2', '10.2.0.4', '10.2.0.5']);
    for (const count of counts.values()) expectShare(count, 0.25);
  });

  it('follows uneven weights (3:1:0 → 75 % / 25 % / never)', () => {
    const weights: Record<string, number> = { 'eu-1': 3, 'eu-2': 1, 'eu-3': 0 };
    const eu = servers
      .filter((t) => t.region === 'eu' && t.name in weights)
      .map((t) => ({ ...t, weight: weights[t.name] as number }));
    const routed = design([...eu, ...servers.filter((t) => t.region !== 'eu')]);
    const counts = firstShares(routed, munich);
    expectShare(counts.get('10.2.0.1'), 0.75);
    expectShare(counts.get('10.2.0.2'), 0.25);
    expect(counts.has('10.2.0.3')).toBe(false);
  });

  it('the second address is another server of the region, also by weight', () => {
    const random = mulberry32(7);
    const second = new Map<string, number>();
    let pairs = 0;
    for (let i = 0; i < DRAWS; i++) {
      const [first, next] = decide({ routed: design(), family: 'A', location: munich, random }).addresses;
      if (first !== undefined && next !== undefined && first !== next) pairs++;
      second.set(next as string, (second.get(next as string) ?? 0) + 1);
    }
    expect(pairs).toBe(DRAWS);
    for (const count of second.values()) expectShare(count, 0.2);
  });
});

describe('regional: answer size and degradation', () => {
  it('caps the answer at maxAnswers, in the weighted order', () => {
    expect(run(munich, { routed: design(servers, 1) }).addresses).toHaveLength(1);
    const all = run(munich, { routed: design(servers, 8) });
    expect([...all.addresses].sort()).toEqual(['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5']);
  });

  it('nothing healthy anywhere: every target of the client region, health ignored, still by location', () => {
    const allDown = { ...regionDown('us'), ...regionDown('eu'), ...regionDown('apac') };
    const decision = run(tokyo, { health: allDown, routed: design(servers, 8) });
    expect(decision.region).toBe('apac');
    expect(regionsOf(decision).every((r) => r === 'apac')).toBe(true);
    expect(decision.addresses).toHaveLength(5);
    expect(decision.steps).toContain(
      'no healthy target in any region: degrading to every target of region apac, health ignored',
    );
    expect(decision.scopePrefix).toBe(20);
  });

  it('explains every step', () => {
    const decision = run(munich, { health: regionDown('eu'), seed: 3 });
    expect(decision.steps.slice(0, 5)).toEqual([
      'policy regional, A, maxAnswers 2',
      'client continent EU country DE subdivision BY: region eu (matches its continent EU, by continent)',
      'walk: eu, then us; last resort: apac',
      'region eu: no healthy target with weight > 0 (down: eu-1, eu-2, eu-3, eu-4, eu-5)',
      'region us: healthy us-1, us-2, us-3, us-4, us-5',
    ]);
    expect(decision.steps[5]).toMatch(
      /^weighted order, weights us-1=1, us-2=1, us-3=1, us-4=1, us-5=1 of 5: us-\d, us-\d \(drawn up to maxAnswers\)$/,
    );
    expect(decision.steps[6]).toMatch(/^answer: 10\.1\.0\.\d 10\.1\.0\.\d, ECS scope \/24$/);
    expect(run(unknown).steps[1]).toBe('client unknown: no region matches, default region us');
  });

  it('the answer path (explain: false) decides the same without building a step', () => {
    for (const [location, health] of [
      [munich, undefined],
      [munich, regionDown('eu')],
      [tokyo, regionDown('apac')],
      [unknown, { ...regionDown('us'), ...regionDown('eu'), ...regionDown('apac') }],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        const input = { routed: design(), family: 'A' as const, location, health };
        const explained = decide({ ...input, random: mulberry32(seed) });
        const quiet = decide({ ...input, random: mulberry32(seed), explain: false });
        expect(quiet.steps).toEqual([]);
        expect(explained.steps.length).toBeGreaterThan(3);
        expect({ ...quiet, steps: explained.steps }).toEqual(explained);
      }
    }
  });

  it('the same seed gives the same answer (randomness only comes in)', () => {
    expect(run(munich, { seed: 9 }).addresses).toEqual(run(munich, { seed: 9 }).addresses);
  });

  it('a hand-written document without regions still answers (all healthy targets), never throws', () => {
    const bare = design(servers, 3, { regions: undefined, defaultRegion: undefined });
    const decision = run(munich, { routed: bare });
    expect(decision.addresses).toHaveLength(3);
    expect(decision.scopePrefix).toBe(0);
    expect(decision.steps[1]).toContain('no region to start from');
  });
});

describe('regional: a compiled document the server refuses', () => {
  it('names each broken reference (the config loader keeps the last good zone)', () => {
    const zone = exampleZone();
    zone.routed.push(
      design([server('us', 1), server('eu', 1, { region: 'latam' }), server('apac', 1, { region: undefined })], 2, {
        name: 'app.geo.example',
        defaultRegion: 'mars',
        regions: [{ name: 'us', locations: [{ continent: 'NA' }], backups: ['eu'] }],
      }),
    );
    const i = zone.routed.length - 1;
    expect(semanticZoneErrors(zone)).toEqual([
      `routed[${i}].defaultRegion: "mars" is not a region`,
      `routed[${i}].regions[0].backups[0]: "eu" is not a region`,
      `routed[${i}].targets[0].region: the regional policy needs a region`,
      `routed[${i}].targets[1].region: "latam" is not a region`,
    ]);
    expect(semanticZoneErrors({ ...zone, routed: [design()].map((r) => ({ ...r, name: 'app.geo.example' })) })).toEqual(
      [],
    );
  });
});
