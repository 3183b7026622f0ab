// The chart with varied values: every documented toggle (each boolean of values.yaml both ways, each enum of
// values.schema.json every way) renders objects that validate, and does what values.yaml says it does. The cases
// are in toggle-cases.ts (install.test.ts sends the same renderings to a real kube-apiserver).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { expectLockedDown } from '../../support/helm-checks.ts';
import { CHART, render, renderChart, validateObject, type PodSpec } from '../../support/helm-render.ts';
import { cases, has, PLATFORM_RECIPES } from '../../support/helm-cases.ts';

/** Enums the chart copies into one field as they are: one value each is enough to show they arrive. */
const PASSED_THROUGH = new Set([
  'image.pullPolicy',
  'operator.logLevel',
  'dns.logLevel',
  'dns.service.ipFamilyPolicy',
  'dns.service.ipFamilies[]',
]);

/** Enum values the chart refuses with a message of its own (geoip.test.ts), so no case can take them. */
const REFUSED = new Set(['dns.geoip.source=secret', 'dns.geoip.source=configMap']);

describe('the chart with varied values', () => {
  it.each(cases)('$name: renders valid objects', async ({ values, set, setJson, check }) => {
    const { objects } = await render({ values: values ?? [], set: set ?? [], setJson: setJson ?? [] });
    for (const object of objects) await validateObject(object);
    for (const pod of objects.filter((o) => o.kind === 'Deployment')) {
      expectLockedDown((pod as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec);
    }
    check(objects);
  });

  it('a release name without "geodns" is prefixed to it', async () => {
    const { objects } = await render({ release: 'edge' });
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual([
      'edge-geodns-dns',
      'edge-geodns-operator',
    ]);
  });

  it('--skip-tests leaves out the helm test pod', async () => {
    const { objects } = await render({ args: ['--skip-tests'] });
    expect(has(objects, 'Pod')).toBe(false);
  });

  it('service accounts made elsewhere must be named', async () => {
    const result = await renderChart({ set: ['dns.serviceAccount.create=false'] });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dns\.serviceAccount\.name is required when dns\.serviceAccount\.create is false/);
  });

  it('a resolver that is not an IP address (and port) is refused, naming the value', async () => {
    const result = await renderChart({ setJson: ['operator.resolvers=["dns.example.com"]'] });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/at '\/operator\/resolvers\/0'/);
  });

  it('every platform recipe in examples/helm/ is one of the cases', async () => {
    const recipes = (await readdir(PLATFORM_RECIPES)).filter((f) => f.endsWith('.yaml'));
    const covered = cases
      .flatMap((c) => c.values ?? [])
      .filter((f) => path.dirname(f) === PLATFORM_RECIPES)
      .map((f) => path.basename(f));
    expect(recipes.sort()).toEqual(covered.sort());
  });

  it('the cases flip every boolean of values.yaml and take every value of every enum in values.schema.json', async () => {
    const values = parse(await readFile(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(await readFile(path.join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode;
    const wanted = new Map<string, Set<string>>();
    for (const [key, value] of leaves(values))
      if (typeof value === 'boolean') wanted.set(key, new Set(['true', 'false']));
    for (const [key, options] of enums(schema, '')) {
      if (PASSED_THROUGH.has(key)) continue;
      wanted.set(key, new Set(options.filter((o) => o !== '' && !REFUSED.has(`${key}=${o}`))));
    }
    const seen = new Map<string, Set<string>>();
    const note = (key: string, value: string) => seen.set(key, (seen.get(key) ?? new Set()).add(value));
    for (const [key, value] of leaves(values)) note(key, String(value));
    for (const c of cases) {
      for (const s of c.set ?? []) {
        const at = s.indexOf('=');
        note(s.slice(0, at), s.slice(at + 1));
      }
    }
    const missing = [...wanted].flatMap(([key, options]) =>
      [...options].filter((o) => !seen.get(key)?.has(o)).map((o) => `${key}=${o}`),
    );
    expect(missing).toEqual([]);
  });
});

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; enum?: unknown[] };

function* leaves(value: unknown, prefix = ''): Generator<[string, unknown]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) yield* leaves(child, prefix ? `${prefix}.${key}` : key);
  } else {
    yield [prefix, value];
  }
}

function* enums(node: SchemaNode, prefix: string): Generator<[string, string[]]> {
  if (node.enum && node.enum.every((e) => typeof e === 'string')) yield [prefix, node.enum as string[]];
  for (const [key, child] of Object.entries(node.properties ?? {}))
    yield* enums(child, prefix ? `${prefix}.${key}` : key);
  if (node.items) yield* enums(node.items, `${prefix}[]`);
}
