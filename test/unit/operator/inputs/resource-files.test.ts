import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../../operator/compile/index.ts';
import { formatLoadError, loadResources } from '../../../../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../../../../operator/inputs/snapshot.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const DIR = 'test/fixtures/invalid';

// One file per error class, each with the exact message a user sees: file, document, kind/name, line, field.
const INVALID: [string, string[]][] = [
  [
    'bad-address.yaml',
    [
      `${DIR}/bad-address.yaml: document 1 (GeoEndpoint web/www), line 11: spec.targets[0].addresses[1]: must be an IPv4 or IPv6 address (got "192.0.2.300")`,
    ],
  ],
  [
    'bad-enum.yaml',
    [
      `${DIR}/bad-enum.yaml: document 1 (GeoEndpoint web/www), line 9: spec.policy: must be one of geo, proximity, weighted, failover, multivalue, regional (got "nearest")`,
    ],
  ],
  [
    'bad-name.yaml',
    [
      `${DIR}/bad-name.yaml: document 1 (HealthProbe default/Web_Check), line 4: metadata.name: must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (got "Web_Check")`,
    ],
  ],
  [
    'duplicate-document.yaml',
    [
      `${DIR}/duplicate-document.yaml: document 2 (HealthProbe web/api-tcp), line 10: duplicate HealthProbe web/api-tcp: also defined in ${DIR}/duplicate-document.yaml, document 1 (line 1)`,
    ],
  ],
  [
    'duplicate-target-names.yaml',
    [
      `${DIR}/duplicate-target-names.yaml: document 1 (GeoEndpoint web/www), line 9: spec.targets: target names must be unique`,
    ],
  ],
  [
    'latitude-without-longitude.yaml',
    [
      `${DIR}/latitude-without-longitude.yaml: document 1 (GeoEndpoint web/near), line 13: spec.targets[0].location: latitude and longitude must be given together`,
    ],
  ],
  [
    'list-without-names.yaml',
    [
      `${DIR}/list-without-names.yaml: document 1 (GeoZone geo-example), line 10: spec.allowedNamespaces: from: List requires names`,
    ],
  ],
  [
    'malformed-yaml.yaml',
    [
      `${DIR}/malformed-yaml.yaml: document 1, line 6: YAML syntax error: Nested mappings are not allowed in compact mappings`,
    ],
  ],
  ['missing-kind.yaml', [`${DIR}/missing-kind.yaml: document 1, line 1: kind: is required`]],
  [
    'ingress-and-gateway.yaml',
    [
      `${DIR}/ingress-and-gateway.yaml: document 1 (GeoEndpoint web/www), line 13: spec.targets[1]: a target has exactly one of service, ingress, gateway or addresses`,
    ],
  ],
  [
    'missing-required.yaml',
    [`${DIR}/missing-required.yaml: document 1 (GeoEndpoint web/www), line 6: spec.hostname: is required`],
  ],
  [
    'out-of-range.yaml',
    [`${DIR}/out-of-range.yaml: document 2 (GeoEndpoint web/www), line 23: spec.targets[0].weight: must be <= 1000`],
  ],
  [
    'pattern.yaml',
    [
      `${DIR}/pattern.yaml: document 1 (GeoEndpoint web/www), line 12: spec.targets[0].location.country: must be an upper-case ISO 3166-1 alpha-2 country code (e.g. DE, US) (got "de")`,
    ],
  ],
  [
    'service-and-addresses.yaml',
    [
      `${DIR}/service-and-addresses.yaml: document 1 (GeoEndpoint web/www), line 13: spec.targets[1]: a target has exactly one of service, ingress, gateway or addresses`,
    ],
  ],
  [
    'service-bad-ip.yaml',
    [
      `${DIR}/service-bad-ip.yaml: document 1 (Service web/www-eu), line 7: spec.externalIPs[1]: must be an IPv4 or IPv6 address (got "not-an-ip")`,
    ],
  ],
  [
    'service-or-addresses-missing.yaml',
    [
      `${DIR}/service-or-addresses-missing.yaml: document 1 (GeoEndpoint web/www), line 10: spec.targets[0]: a target has exactly one of service, ingress, gateway or addresses`,
    ],
  ],
  [
    'subdivision-without-country.yaml',
    [
      `${DIR}/subdivision-without-country.yaml: document 1 (GeoEndpoint web/www), line 12: spec.targets[0].location: subdivision requires country`,
    ],
  ],
  [
    'timeout-not-shorter.yaml',
    [
      `${DIR}/timeout-not-shorter.yaml: document 1 (HealthProbe web/slow), line 10: spec.timeout: timeout must be shorter than interval`,
    ],
  ],
  [
    'unknown-api-version.yaml',
    [
      `${DIR}/unknown-api-version.yaml: document 1 (GeoZone geo-example), line 1: apiVersion: must be geodns.io/v1alpha1 (got "geodns.io/v1beta1")`,
    ],
  ],
  [
    'unknown-field.yaml',
    [`${DIR}/unknown-field.yaml: document 1 (GeoEndpoint web/www), line 13: spec.targets[0].wieght: unknown field`],
  ],
  [
    'unknown-kind.yaml',
    [
      `${DIR}/unknown-kind.yaml: document 1 (GeoRecord nope), line 2: kind: unknown kind "GeoRecord" (expected one of GeoZone, GeoEndpoint, HealthProbe)`,
    ],
  ],
  [
    'weighted-all-zero.yaml',
    [
      `${DIR}/weighted-all-zero.yaml: document 1 (GeoEndpoint web/canary), line 10: spec.targets: the weighted policy needs at least one target with weight > 0`,
    ],
  ],
  [
    'wrong-type.yaml',
    [
      `${DIR}/wrong-type.yaml: document 1 (HealthProbe web/web-check), line 8: spec.port: must be an integer (got "eighty")`,
    ],
  ],
  [
    'zone-with-namespace.yaml',
    [
      `${DIR}/zone-with-namespace.yaml: document 1 (GeoZone geo-example), line 5: metadata.namespace: GeoZone is cluster-scoped and must not have a namespace`,
    ],
  ],
];

describe('loadResources on invalid input', () => {
  it('has a case for every fixture file', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(DIR)).sort()).toEqual(INVALID.map(([file]) => file).sort());
  });

  it.each(INVALID)('%s', async (file, expected) => {
    const result = await loadResources([join(DIR, file)]);
    expect(result.errors.map(formatLoadError)).toEqual(expected);
  });

  it('keeps the valid documents of a file that also has invalid ones', async () => {
    const result = await loadResources([join(DIR, 'out-of-range.yaml')]);
    expect(result.resources.map((r) => `${r.kind}/${r.metadata.name}`)).toEqual(['HealthProbe/fine']);
  });

  it('keeps only the first of two documents with the same kind/namespace/name', async () => {
    const result = await loadResources([join(DIR, 'duplicate-document.yaml')]);
    expect(result.resources).toHaveLength(1);
    expect(result.resources[0]?.kind === 'HealthProbe' && result.resources[0].spec.port).toBe(9000);
  });
});

describe('loadResources on the examples', () => {
  it('loads examples/standalone without errors and with every kind', async () => {
    const result = await loadResources(['examples/standalone']);
    expect(result.errors.map(formatLoadError)).toEqual([]);
    const ids = result.resources.map((r) => `${r.kind} ${r.metadata.namespace ?? ''}/${r.metadata.name}`);
    expect(ids).toEqual([
      'GeoEndpoint web/www',
      'GeoEndpoint web/near',
      'GeoEndpoint web/canary',
      'GeoEndpoint web/api',
      'GeoEndpoint web/pool',
      'HealthProbe web/api-http',
      'HealthProbe web/api-tcp',
      'GeoZone /geo-example',
    ]);
  });

  it('loads examples/cluster, reading its Services and Namespace', async () => {
    const result = await loadResources(['examples/cluster']);
    expect(result.errors.map(formatLoadError)).toEqual([]);
    expect(result.resources).toHaveLength(8);
    expect(result.services).toHaveLength(18);
    expect(result.services[0]).toEqual({
      namespace: 'web',
      name: 'www-eu-frankfurt',
      addresses: [],
      clusterIPs: [],
    });
    expect(result.namespaces).toEqual([{ name: 'web', labels: {} }]);
  });

  it('probes only loopback addresses in the standalone examples', async () => {
    const result = await loadResources(['examples/standalone']);
    const probed = result.resources.flatMap((r) =>
      r.kind === 'GeoEndpoint' ? r.spec.targets.filter((t) => t.healthProbeRef) : [],
    );
    expect(probed.length).toBeGreaterThan(0);
    for (const target of probed) {
      expect(target.service).toBeUndefined();
      for (const address of target.addresses ?? []) expect(address).toMatch(/^127\./);
    }
  });
});

describe('loadResources on files it makes', () => {
  let dir = '';
  let removeDir: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ dir, remove: removeDir } = await tempDir('load'));
  });
  afterAll(async () => {
    await removeDir?.();
  });

  it('reads folders recursively in sorted order, skips other files and empty documents', async () => {
    const root = join(dir, 'tree');
    await mkdir(join(root, 'b'), { recursive: true });
    const probe = (name: string) =>
      `apiVersion: geodns.io/v1alpha1\nkind: HealthProbe\nmetadata: { name: ${name} }\nspec: { type: TCP, port: 80 }\n`;
    await writeFile(join(root, 'b', 'two.yml'), `---\n# only a comment\n---\n${probe('two')}`);
    await writeFile(join(root, 'a.yaml'), probe('one'));
    await writeFile(
      join(root, 'c.json'),
      JSON.stringify(
        JSON.parse(
          '{"apiVersion":"geodns.io/v1alpha1","kind":"HealthProbe","metadata":{"name":"three"},"spec":{"type":"TCP","port":81}}',
        ),
      ),
    );
    await writeFile(join(root, 'notes.txt'), 'not yaml: [');
    const result = await loadResources([root]);
    expect(result.errors).toEqual([]);
    expect(result.resources.map((r) => r.metadata.name)).toEqual(['one', 'two', 'three']);
    expect(result.resources.map((r) => r.metadata.namespace)).toEqual(['default', 'default', 'default']);
  });

  it('reads Services: external IPs, load-balancer ingress IPs and cluster IPs', async () => {
    const file = join(dir, 'svc.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata: { name: www, namespace: web }',
        "spec: { externalIPs: ['192.0.2.1'], clusterIPs: ['10.96.0.10', 'fd00::10'] }",
        "status: { loadBalancer: { ingress: [{ ip: '2001:db8::1' }, { hostname: lb.example.net }, { ip: 192.0.2.1 }] } }",
      ].join('\n'),
    );
    const result = await loadResources([file]);
    expect(result.errors).toEqual([]);
    expect(result.services).toEqual([
      {
        namespace: 'web',
        name: 'www',
        addresses: ['192.0.2.1', '2001:db8::1'],
        clusterIPs: ['10.96.0.10', 'fd00::10'],
      },
    ]);
  });

  it('reads Ingresses, Gateways and ReferenceGrants, and a GeoEndpoint compiles targets from them', async () => {
    const file = join(dir, 'targets.yaml');
    await writeFile(
      file,
      [
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: www, namespace: web }',
        "status: { loadBalancer: { ingress: [{ ip: '192.0.2.31' }, { hostname: lb.example.net }] } }",
        '---',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: edge, namespace: infra }',
        "status: { addresses: [{ type: IPAddress, value: '192.0.2.51' }, { type: Hostname, value: gw.example.net }] }",
        '---',
        'apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: { name: g, namespace: infra }',
        'spec:',
        '  from: [{ group: geodns.io, kind: GeoEndpoint, namespace: web }]',
        '  to: [{ group: gateway.networking.k8s.io, kind: Gateway }]',
        '---',
        'apiVersion: geodns.io/v1alpha1\nkind: GeoZone\nmetadata: { name: geo }',
        'spec: { apex: geo.example.com, soa: { hostmaster: hostmaster.example.com }, nameServers: [{ name: ns1.example.net }] }',
        '---',
        'apiVersion: geodns.io/v1alpha1\nkind: GeoEndpoint\nmetadata: { name: www, namespace: web }',
        'spec:',
        '  zoneRef: { name: geo }',
        '  hostname: www.geo.example.com',
        '  targets:',
        '    - { name: edge, gateway: { name: edge, namespace: infra } }',
        '    - { name: ing, ingress: { name: www } }',
        '---',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { namespace: infra }',
      ].join('\n'),
    );
    const result = await loadResources([file]);
    expect(result.errors.map(formatLoadError)).toEqual([
      `${file}: document 6 (Gateway), line 35: metadata.name: is required`,
    ]);
    expect(result.ingresses).toEqual([{ namespace: 'web', name: 'www', addresses: ['192.0.2.31'] }]);
    expect(result.gateways).toEqual([{ namespace: 'infra', name: 'edge', addresses: ['192.0.2.51'] }]);
    expect(result.referenceGrants.map((g) => `${g.namespace}/${g.name}`)).toEqual(['infra/g']);
    const out = compile(compileInputOf(snapshotFromFiles(result), {}, new Date('2026-12-06T00:00:00Z')));
    const routed = out.zones[0]?.routed[0]?.targets.map((t) => `${t.name} ${t.addresses.join(',')}`);
    expect(routed).toEqual(['edge 192.0.2.51', 'ing 192.0.2.31']);
  });

  it('says which path does not exist, skips other API groups and refuses unknown kinds of its own', async () => {
    const file = join(dir, 'others.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: y }',
        'apiVersion: geodns.io/v1alpha1\nkind: GeoRecord\nmetadata: { name: z }',
      ].join('\n---\n'),
    );
    const missing = join(dir, 'missing');
    const result = await loadResources([missing, file]);
    expect(result.errors.map(formatLoadError)).toEqual([
      `${missing}: no such file or directory`,
      `${file}: document 3 (GeoRecord z), line 10: kind: unknown kind "GeoRecord" (expected one of GeoZone, GeoEndpoint, HealthProbe)`,
    ]);
    expect(result.resources).toEqual([]);
  });
});
