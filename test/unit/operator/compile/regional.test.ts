// compile() and the regional policy: the regions and each target's region in the compiled document, refusals
// (Accepted=False, InvalidRegions) that name what and where, and warnings (Accepted=True, IgnoredFields) for the
// fields a policy does not read.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GeoEndpoint, Target } from '../../../../api/geoendpoint.ts';
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint, input, target } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';
import { runCli } from '../../../support/serve.ts';
import { tempDir } from '../../../support/temp-dir.ts';

type Spec = GeoEndpoint['spec'];

const server = (region: string, n: number, fields: Partial<Target> = {}): Target =>
  target(`${region}-${n}`, { location: {}, region, addresses: [`192.0.2.${n}`, `2001:db8::${n}`], ...fields });

const regionalSpec = (fields: Partial<Spec> = {}): Partial<Spec> => ({
  policy: 'regional',
  maxAnswers: 2,
  regions: [
    { name: 'us', locations: [{ continent: 'NA' }], backups: ['eu'] },
    { name: 'eu', locations: [{ continent: 'EU' }, { country: 'IL' }], backups: ['us'] },
    { name: 'apac', locations: [{ continent: 'AS' }, { continent: 'OC' }], backups: ['us'] },
  ],
  defaultRegion: 'us',
  targets: [server('us', 1), server('us', 2), server('eu', 3), server('apac', 4)],
  ...fields,
});

function compiled(fields: Partial<Spec> = {}) {
  return compile(input({ endpoints: [endpoint('web', 'app', regionalSpec(fields))] }));
}

const accepted = (out: ReturnType<typeof compile>) => cond(out, 'GeoEndpoint', 'app', 'Accepted', 'web');

describe('compile: the regional policy', () => {
  it('writes the regions, the default and every target region into the document', () => {
    const out = compiled();
    expect(accepted(out)).toMatchObject({ status: 'True', reason: 'Accepted' });
    const [routed] = doc(out).routed;
    expect(routed?.policy).toBe('regional');
    expect(routed?.regions).toEqual([
      { name: 'us', locations: [{ continent: 'NA' }], backups: ['eu'] },
      { name: 'eu', locations: [{ continent: 'EU' }, { country: 'IL' }], backups: ['us'] },
      { name: 'apac', locations: [{ continent: 'AS' }, { continent: 'OC' }], backups: ['us'] },
    ]);
    expect(routed?.defaultRegion).toBe('us');
    expect(routed?.targets.map((t) => `${t.name}:${t.region}`)).toEqual([
      'apac-4:apac',
      'eu-3:eu',
      'us-1:us',
      'us-2:us',
    ]);
  });

  it('writes no region fields for the other policies (their documents are as before)', () => {
    const out = compile(input({ endpoints: [endpoint('web', 'www')] }));
    const [routed] = doc(out).routed;
    expect(routed && 'regions' in routed).toBe(false);
    expect(routed && 'defaultRegion' in routed).toBe(false);
    expect(routed?.targets[0] && 'region' in routed.targets[0]).toBe(false);
  });

  it('compiles the same input to the same bytes whatever the target order', () => {
    const a = doc(compiled());
    const b = doc(compiled({ targets: [...(regionalSpec().targets ?? [])].reverse() }));
    expect(a.contentHash).toBe(b.contentHash);
  });
});

describe('compile refuses regions that cannot work (InvalidRegions), saying what and where', () => {
  const base = regionalSpec();
  const regions = base.regions ?? [];
  const targets = base.targets ?? [];
  it.each<[string, Partial<Spec>, string]>([
    ['no regions', { regions: undefined }, 'spec.regions: the regional policy needs regions'],
    [
      'no defaultRegion',
      { defaultRegion: undefined },
      'spec.defaultRegion: the regional policy needs defaultRegion (the region of clients no region matches)',
    ],
    [
      'a region named twice',
      { regions: [...regions, { name: 'eu', locations: [{ continent: 'AF' }] }] },
      'spec.regions[3].name: "eu" is already spec.regions[1]',
    ],
    [
      'defaultRegion naming no region',
      { defaultRegion: 'mars' },
      'spec.defaultRegion: "mars" is not one of spec.regions (us, eu, apac)',
    ],
    [
      'a backup naming no region',
      { regions: [regions[0]!, regions[1]!, { ...regions[2]!, backups: ['us', 'latam'] }] },
      'spec.regions[2].backups[1]: "latam" is not one of spec.regions (us, eu, apac)',
    ],
    [
      'a region as its own backup',
      { regions: [regions[0]!, { ...regions[1]!, backups: ['eu'] }, regions[2]!] },
      'spec.regions[1].backups[0]: region eu cannot be its own backup',
    ],
    [
      'a backup named twice',
      { regions: [regions[0]!, regions[1]!, { ...regions[2]!, backups: ['us', 'us'] }] },
      'spec.regions[2].backups[1]: "us" is already spec.regions[2].backups[0]',
    ],
    [
      'a target without a region',
      { targets: [...targets.slice(0, 3), { ...targets[3]!, region: undefined }] },
      'spec.targets[3] (apac-4): the regional policy needs a region; spec.regions[2] (apac): no target has this region',
    ],
    [
      "a target's region naming no region",
      { targets: [...targets.slice(0, 3), { ...targets[3]!, region: 'latam' }] },
      'spec.targets[3].region: "latam" is not one of spec.regions (us, eu, apac); spec.regions[2] (apac): no target has this region',
    ],
    [
      'a region without targets',
      { regions: [...regions, { name: 'latam', locations: [{ continent: 'SA' }] }] },
      'spec.regions[3] (latam): no target has this region',
    ],
    [
      'a region whose weights sum to 0',
      { targets: [...targets.slice(0, 3), { ...targets[3]!, weight: 0 }] },
      "spec.regions[2] (apac): its targets' weights sum to 0",
    ],
    [
      'a region location without continent, country or region',
      { regions: [regions[0]!, { ...regions[1]!, locations: [{}] }, regions[2]!] },
      "spec.regions[1].locations[0]: a region's location needs a continent, country or region",
    ],
  ])('%s', (_, fields, message) => {
    const out = compiled(fields);
    expect(accepted(out)).toMatchObject({ status: 'False', reason: 'InvalidRegions', message });
    expect(doc(out).routed).toEqual([]);
    expect(cond(out, 'GeoEndpoint', 'app', 'Ready', 'web')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
  });

  it('lists every problem in one message', () => {
    const out = compiled({ defaultRegion: 'mars', targets: [...targets.slice(0, 3), { ...targets[3]!, region: 'x' }] });
    expect(accepted(out).message).toBe(
      'spec.defaultRegion: "mars" is not one of spec.regions (us, eu, apac); spec.targets[3].region: "x" is not one of spec.regions (us, eu, apac); spec.regions[2] (apac): no target has this region',
    );
  });

  it('a refused GeoEndpoint does not take the name from a younger one that works', () => {
    const broken = endpoint(
      'web',
      'old',
      { ...regionalSpec({ defaultRegion: 'mars' }), hostname: 'app.geo.example.com' },
      {
        creationTimestamp: '2026-01-15T00:00:00Z',
      },
    );
    const good = endpoint('web', 'app', regionalSpec());
    const out = compile(input({ endpoints: [broken, good] }));
    expect(accepted(out)).toMatchObject({ status: 'True' });
    expect(doc(out).routed.map((r) => r.source)).toEqual(['web/app']);
  });
});

describe('compile warns about fields the policy ignores (Accepted=True, IgnoredFields)', () => {
  it.each<[string, Partial<Spec>, string]>([
    [
      'weight under geo',
      { policy: 'geo', targets: [target('a', { weight: 5 }), target('b')] },
      'spec.targets[].weight on a: policy geo ignores weights (only weighted and regional read them)',
    ],
    [
      'priority under weighted',
      { policy: 'weighted', targets: [target('a', { location: {}, priority: 1 })] },
      'spec.targets[].priority on a: policy weighted ignores priorities (only failover reads them)',
    ],
    [
      'regions, defaultRegion and target regions under geo',
      {
        policy: 'geo',
        regions: [{ name: 'eu', locations: [{ continent: 'EU' }] }],
        defaultRegion: 'eu',
        targets: [target('a', { region: 'eu' })],
      },
      'spec.regions: policy geo ignores it (only regional reads regions); spec.defaultRegion: policy geo ignores it (only regional reads it); spec.targets[].region on a: policy geo ignores it (only regional reads it)',
    ],
    [
      'target locations under regional',
      {
        ...regionalSpec(),
        targets: (regionalSpec().targets ?? []).map((t) => ({ ...t, location: { continent: 'EU' as const } })),
      },
      "spec.targets[].location on us-1, us-2, eu-3, apac-4: policy regional ignores target locations (only geo and proximity read them; a target's region places it)",
    ],
    [
      'a location listed in two regions',
      {
        ...regionalSpec(),
        regions: [
          { name: 'us', locations: [{ continent: 'NA' }] },
          { name: 'eu', locations: [{ continent: 'EU' }] },
          { name: 'apac', locations: [{ continent: 'AS' }, { continent: 'EU' }] },
        ],
      },
      'spec.regions[2].locations[1] (continent EU) is also spec.regions[1].locations[0], which is listed first and takes these clients',
    ],
  ])('%s', (_, fields, warning) => {
    const out = compile(input({ endpoints: [endpoint('web', 'app', fields)] }));
    const condition = accepted(out);
    expect(condition).toMatchObject({ status: 'True', reason: 'IgnoredFields' });
    expect(condition.message).toMatch(
      /^served as app\.geo\.example\.com in GeoZone geo \(policy \w+, \d+ target\(s\)\); /,
    );
    expect(condition.message.split('); ').slice(1).join('); ')).toBe(warning);
    expect(doc(out).routed).toHaveLength(1);
  });

  it('a region whose targets all failed to resolve: served, its clients go to the backups', () => {
    const out = compile(
      input({
        endpoints: [
          endpoint('web', 'app', {
            ...regionalSpec(),
            targets: [
              ...(regionalSpec().targets ?? []).slice(0, 3),
              server('apac', 4, { addresses: undefined, service: { name: 'gone' } }),
            ],
          }),
        ],
      }),
    );
    expect(accepted(out)).toMatchObject({ status: 'True', reason: 'IgnoredFields' });
    expect(accepted(out).message).toContain(
      'region apac: none of its targets resolved (see ResolvedRefs); its clients go to its backups',
    );
    expect(cond(out, 'GeoEndpoint', 'app', 'ResolvedRefs', 'web')).toMatchObject({
      status: 'False',
      reason: 'ServiceNotFound',
    });
  });

  it('no warning for defaults: weight 1, priority 0, location {}', () => {
    const out = compile(
      input({
        endpoints: [endpoint('web', 'app', { policy: 'multivalue', targets: [target('a', { location: {} })] })],
      }),
    );
    expect(accepted(out)).toMatchObject({ status: 'True', reason: 'Accepted' });
  });
});

describe('geodns compile says the warnings and still compiles', () => {
  it('prints "warning:" with the field, exits 0 and writes the document', async () => {
    const { dir, remove } = await tempDir('regional-warning');
    try {
      const file = path.join(dir, 'www.yaml');
      await writeFile(
        file,
        [
          'apiVersion: geodns.io/v1alpha1',
          'kind: GeoEndpoint',
          'metadata: { name: www, namespace: web }',
          'spec:',
          '  zoneRef: { name: geo-example }',
          '  hostname: weights.geo.example.com',
          '  policy: geo',
          '  targets:',
          '    - { name: a, addresses: [192.0.2.1], location: { continent: EU }, weight: 5 }',
          '    - { name: b, addresses: [192.0.2.2], location: { continent: NA } }',
          '',
        ].join('\n'),
      );
      const run = await runCli(['compile', 'examples/standalone/zone.yaml', file]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe(
        'warning: GeoEndpoint web/www: Accepted=True (IgnoredFields): served as weights.geo.example.com in GeoZone geo-example (policy geo, 2 target(s)); spec.targets[].weight on a: policy geo ignores weights (only weighted and regional read them)\n',
      );
      expect(JSON.parse(run.stdout)[0].routed.map((r: { name: string }) => r.name)).toEqual([
        'weights.geo.example.com',
      ]);
    } finally {
      await remove();
    }
  }, 30_000);
});

describe('compile: Ready says each region', () => {
  it('counts the healthy targets per region and says where a down region sends its clients', () => {
    const out = compile(
      input({
        endpoints: [endpoint('web', 'app', regionalSpec())],
        health: { 'web/app/apac-4': false },
      }),
    );
    expect(cond(out, 'GeoEndpoint', 'app', 'Ready', 'web')).toMatchObject({
      status: 'True',
      reason: 'Ready',
      message: '3/4 served target(s) healthy; by region: us 2/2, eu 1/1, apac 0/1 (its clients go to us)',
    });
  });

  it('nothing healthy: answers stay in the client region', () => {
    const health = Object.fromEntries(['us-1', 'us-2', 'eu-3', 'apac-4'].map((n) => [`web/app/${n}`, false]));
    const out = compile(input({ endpoints: [endpoint('web', 'app', regionalSpec())], health }));
    expect(cond(out, 'GeoEndpoint', 'app', 'Ready', 'web')).toMatchObject({
      status: 'False',
      reason: 'NoHealthyTargets',
      message: "0/4 served target(s) healthy at compile time; answers fall back to every target of the client's region",
    });
  });
});
