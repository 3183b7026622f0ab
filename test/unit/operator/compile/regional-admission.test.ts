// The regional policy's rules at admission: every broken variant of the reference design (examples/regional) is
// refused by our own validator (geodns compile, geodns serve) and by the CRD on the real kube-apiserver, each with
// the field and the rule; the example itself passes both.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResource } from '../../../../api/validate.ts';
import { yamlObjects, type KubeObject } from '../../../support/objects.ts';
import { startControlPlane, type ControlPlane } from '../../../../tools/control-plane/control-plane.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const EXAMPLE = 'examples/regional/regions.yaml';

interface Spec {
  policy: string;
  regions?: { name: string; locations?: Record<string, unknown>[]; backups?: string[] }[];
  defaultRegion?: string;
  targets: { name: string; region?: string; weight?: number; addresses?: string[] }[];
  [field: string]: unknown;
}

function example(): KubeObject & { spec: Spec } {
  const [object] = yamlObjects(EXAMPLE);
  return structuredClone(object) as KubeObject & { spec: Spec };
}

const region = (spec: Spec, name: string) =>
  spec.regions?.find((r) => r.name === name) as NonNullable<Spec['regions']>[number];

/** [what, change, the field our validator names, the message, what kubectl says]. */
const BROKEN: [string, (spec: Spec) => void, string, string, RegExp][] = [
  [
    'regional without regions',
    (s) => delete s.regions,
    'spec.regions',
    'the regional policy needs regions',
    /spec\.regions: Required value: the regional policy needs regions/,
  ],
  [
    'regional without defaultRegion',
    (s) => delete s.defaultRegion,
    'spec.defaultRegion',
    'the regional policy needs defaultRegion (the region of clients no region matches)',
    /spec\.defaultRegion: Required value/,
  ],
  [
    'a region named twice',
    (s) => s.regions?.push({ name: 'eu', locations: [{ continent: 'AN' }] }),
    'spec.regions',
    'region names must be unique',
    /spec\.regions: Invalid value: .*region names must be unique/,
  ],
  [
    'defaultRegion naming no region',
    (s) => (s.defaultRegion = 'mars'),
    'spec.defaultRegion',
    'defaultRegion must name one of spec.regions',
    /spec\.defaultRegion: Invalid value: .*defaultRegion must name one of spec\.regions/,
  ],
  [
    'a backup naming no region',
    (s) => (region(s, 'apac').backups = ['us', 'latam']),
    'spec.regions',
    'every backup must name one of spec.regions',
    /spec\.regions: Invalid value: .*every backup must name one of spec\.regions/,
  ],
  [
    'a region as its own backup',
    (s) => (region(s, 'eu').backups = ['eu', 'us']),
    'spec.regions[1].backups',
    'a region cannot be its own backup',
    /spec\.regions\[1\]\.backups: Invalid value: .*a region cannot be its own backup/,
  ],
  [
    'a backup named twice',
    (s) => (region(s, 'apac').backups = ['us', 'us']),
    'spec.regions[2].backups',
    'a region is named at most once in backups',
    /spec\.regions\[2\]\.backups: Invalid value: .*a region is named at most once in backups/,
  ],
  [
    'a target without a region',
    (s) => delete s.targets[3]?.region,
    'spec.targets',
    'every target of the regional policy needs a region',
    /spec\.targets: Invalid value: .*every target of the regional policy needs a region/,
  ],
  [
    "a target's region naming no region",
    (s) => ((s.targets[3] as Spec['targets'][number]).region = 'latam'),
    'spec.targets',
    "a target's region must name one of spec.regions",
    /spec\.targets: Invalid value: .*a target's region must name one of spec\.regions/,
  ],
  [
    'a region without targets',
    (s) => s.regions?.push({ name: 'latam', locations: [{ continent: 'SA' }] }),
    'spec.regions',
    'every region needs a target with weight > 0',
    /spec\.regions: Invalid value: .*every region needs a target with weight > 0/,
  ],
  [
    "a region's weights summing to zero",
    (s) => s.targets.filter((t) => t.region === 'apac').forEach((t) => (t.weight = 0)),
    'spec.regions',
    'every region needs a target with weight > 0',
    /spec\.regions: Invalid value: .*every region needs a target with weight > 0/,
  ],
  [
    'a region location with coordinates only',
    (s) => (region(s, 'eu').locations = [{ latitude: 50, longitude: 8 }]),
    'spec.regions[1].locations[0]',
    "a region's location needs a continent, country or region (coordinates are not matched)",
    /spec\.regions\[1\]\.locations\[0\]: Invalid value: .*needs a continent, country or region/,
  ],
];

describe('the regional rules in our validator', () => {
  it('accepts the reference design', () => {
    const result = validateResource(example());
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(BROKEN)('refuses %s, at the field', (_, change, field, message) => {
    const object = example();
    change(object.spec);
    const result = validateResource(object);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toContainEqual({ path: field, message });
  });
});

describe('the regional rules on the real API server', { timeout: 60_000 }, () => {
  let plane: ControlPlane;
  let dir = '';

  let removeDir: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ dir, remove: removeDir } = await tempDir('regional-admission'));
    plane = await startControlPlane({ name: 'geodns-regional-admission' });
    await plane.kubectl(['apply', '--server-side', '-f', 'crds/']);
    await plane.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    await plane.kubectl(['create', 'namespace', 'web']);
  }, 120_000);

  afterAll(async () => {
    await plane?.stop();
    await removeDir?.();
  });

  async function dryRun(object: KubeObject, file: string): Promise<{ ok: boolean; output: string }> {
    const at = path.join(dir, file);
    await writeFile(at, JSON.stringify(object));
    try {
      const { stdout, stderr } = await plane.kubectl(['apply', '--dry-run=server', '-f', at]);
      return { ok: true, output: stdout + stderr };
    } catch (error) {
      return { ok: false, output: (error as Error).message };
    }
  }

  it('admits the reference design', async () => {
    const { ok, output } = await dryRun(example(), 'example.json');
    expect(ok, output).toBe(true);
  });

  it.each(BROKEN.map(([what, change, , , said], i) => [what, change, said, i] as const))(
    'refuses %s and says where',
    async (_, change, said, i) => {
      const object = example();
      change(object.spec);
      const { ok, output } = await dryRun(object, `broken-${i}.json`);
      expect(ok, output).toBe(false);
      expect(output).toMatch(said);
    },
  );
});
