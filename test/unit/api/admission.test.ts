// The CRDs on the real kube-apiserver refuse what `geodns validate` refuses, at `kubectl apply` time, and say where:
// every invalid fixture whose rule a CRD can hold (schema, formats, bounds, patterns, CEL) is refused by a
// server-side dry run with the field in the message, and every example is accepted. The few rules only the file
// loader can hold (a document given twice) are listed with the reason.
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResource } from '../../../api/validate.ts';
import { yamlObjects } from '../../support/objects.ts';
import { startControlPlane, type ControlPlane } from '../../../tools/control-plane/control-plane.ts';

const FIXTURES = 'test/fixtures/invalid';

/** What the real server says for each invalid fixture (a fragment of kubectl's message: the field and the rule). */
const REFUSED: Record<string, RegExp> = {
  'bad-address.yaml': /spec\.targets\[0\]\.addresses\[1\].*must be of type ipv4/,
  'bad-enum.yaml': /spec\.policy: Unsupported value: "nearest"/,
  'bad-name.yaml': /metadata\.name: Invalid value: "Web_Check"/,
  'duplicate-target-names.yaml': /spec\.targets: Invalid value: target names must be unique/,
  'ingress-and-gateway.yaml': /spec\.targets\[1\]: .*exactly one of service, ingress, gateway or addresses/,
  'latitude-without-longitude.yaml': /spec\.targets\[0\]\.location: .*latitude and longitude must be given together/,
  'list-without-names.yaml': /spec\.allowedNamespaces: .*List requires names/,
  'missing-required.yaml': /spec\.hostname: Required value/,
  'out-of-range.yaml': /spec\.targets\[0\]\.weight: .*less than or equal to 1000/,
  'pattern.yaml': /spec\.targets\[0\]\.location\.country: .*should match/,
  'service-and-addresses.yaml': /spec\.targets\[1\]: .*exactly one of service, ingress, gateway or addresses/,
  'service-bad-ip.yaml': /spec\.externalIPs\[1\]: Invalid value: "not-an-ip"/,
  'service-or-addresses-missing.yaml': /spec\.targets\[0\]: .*exactly one of service, ingress, gateway or addresses/,
  'subdivision-without-country.yaml': /spec\.targets\[0\]\.location: .*subdivision requires country/,
  'timeout-not-shorter.yaml': /spec\.timeout: .*timeout must be shorter than interval/,
  'unknown-field.yaml': /strict decoding error: unknown field "spec\.targets\[0\]\.wieght"/,
  'weighted-all-zero.yaml': /spec\.targets: .*at least one target with weight > 0/,
  'wrong-type.yaml': /spec\.port: .*must be of type integer/,
};

/** Fixtures kubectl refuses before sending anything, or whose rule is about files rather than objects. */
const NOT_SERVER_RULES: Record<string, string> = {
  'malformed-yaml.yaml': 'not YAML: kubectl refuses to parse it',
  'missing-kind.yaml': 'no kind: kubectl refuses it before sending',
  'unknown-api-version.yaml': 'no such version is served: kubectl finds no mapping',
  'unknown-kind.yaml': 'no such kind is served: kubectl finds no mapping',
  'duplicate-document.yaml': 'the same object twice in one folder is a file-loader rule; kubectl applies it twice',
  'zone-with-namespace.yaml': 'kubectl drops the namespace of a cluster-scoped object; the loader refuses it',
};

let plane: ControlPlane;

beforeAll(async () => {
  plane = await startControlPlane({ name: 'geodns-admission' });
  await plane.kubectl(['apply', '--server-side', '-f', 'crds/']);
  await plane.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  await plane.kubectl(['create', 'namespace', 'web']);
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

async function dryRun(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await plane.kubectl(['apply', '--dry-run=server', '-f', file]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  }
}

describe('the CRDs on the real API server', { timeout: 60_000 }, () => {
  it('cover every invalid fixture (each is listed here once)', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml'));
    expect([...Object.keys(REFUSED), ...Object.keys(NOT_SERVER_RULES)].sort()).toEqual(files.sort());
  });

  for (const [file, message] of Object.entries(REFUSED)) {
    it(`refuse ${file} and say where`, async () => {
      const { ok, output } = await dryRun(path.join(FIXTURES, file));
      expect(ok, output).toBe(false);
      expect(output).toMatch(message);
    });
  }

  it('refuse nothing our own validator accepts: examples/cluster, examples/standalone and examples/regional', async () => {
    for (const folder of ['examples/cluster', 'examples/standalone', 'examples/regional']) {
      for (const object of yamlObjects(folder)) {
        if (object.apiVersion?.startsWith('geodns.io/')) expect(validateResource(object).ok).toBe(true);
      }
      const { ok, output } = await dryRun(folder);
      expect(ok, output).toBe(true);
    }
  });

  it('fill in the defaults of fields a document leaves out (they are optional in the schema, not absent)', async () => {
    const file = path.join(plane.dir, 'minimal.yaml'); // removed with the control plane's folder
    await writeFile(
      file,
      [
        'apiVersion: geodns.io/v1alpha1',
        'kind: GeoEndpoint',
        'metadata: { name: minimal, namespace: web }',
        'spec:',
        '  zoneRef: { name: geo-example }',
        '  hostname: www.geo.example.com',
        '  targets: [{ name: a, addresses: [192.0.2.1] }]',
        '---',
        'apiVersion: geodns.io/v1alpha1',
        'kind: HealthProbe',
        'metadata: { name: minimal, namespace: web }',
        'spec: { type: TCP, port: 80 }',
        '---',
        'apiVersion: geodns.io/v1alpha1',
        'kind: GeoZone',
        'metadata: { name: minimal }',
        'spec:',
        '  apex: geo.example.com',
        '  soa: { hostmaster: hostmaster.example.com }',
        '  nameServers: [{ name: ns1.example.net }]',
        '  allowedNamespaces: {}',
        '',
      ].join('\n'),
    );
    const { stdout } = await plane.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', file]);
    const served = (JSON.parse(stdout) as { items: { kind: string; spec: Record<string, unknown> }[] }).items;
    const spec = (kind: string) => served.find((o) => o.kind === kind)?.spec;
    expect(spec('GeoEndpoint')).toMatchObject({ policy: 'geo', maxAnswers: 8, targets: [{ weight: 1, priority: 0 }] });
    expect(spec('HealthProbe')).toMatchObject({
      path: '/',
      expectedStatus: [{ min: 200, max: 399 }],
      insecureSkipVerify: false,
      interval: '10s',
      timeout: '2s',
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(spec('GeoZone')).toMatchObject({
      defaultTTL: 300,
      soa: { refresh: 3600, retry: 600, expire: 604800, minimum: 60, ttl: 3600 },
      allowedNamespaces: { from: 'All' },
    });
  });
});
