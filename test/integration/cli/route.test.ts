// geodns route through the real CLI (a child process), on the standalone examples, on a config folder, and (--kube)
// on the ConfigMaps published to a real kube-apiserver, read with the DNS pods' ServiceAccount.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_FORMAT } from '../../../api/health.ts';
import { exampleZone, EU, failoverZone, US } from '../../support/documents.ts';
import { healthConfigMap, put, startCluster, zoneConfigMap, type Cluster } from '../../support/dns-cluster.ts';
import { CITY_MMDB, runCli } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir } from '../../support/temp-dir.ts';

let dir: string;
let removeDir: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('route'));
  await writeFile(join(dir, 'geo.example.json'), JSON.stringify(exampleZone()));
  await writeFile(
    join(dir, 'health.json'),
    JSON.stringify({ format: HEALTH_FORMAT, targets: { 'web/www/eu': { up: false, since: '2026-01-01T00:00:00Z' } } }),
  );
});
afterAll(async () => {
  await removeDir?.();
});

describe('geodns route', () => {
  it('explains a region match from a custom network (--resources)', async () => {
    const result = await runCli([
      'route',
      '--resources',
      'examples/standalone',
      '--name',
      'www.geo.example.com',
      '--client',
      '10.1.2.3',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('from:       custom network 10.1.0.0/16');
    expect(result.stdout).toContain('best location match (region): eu-frankfurt');
    expect(result.stdout).toMatch(/answer\s+www\.geo\.example\.com\. 60 IN A 192\.0\.2\.10/);
    expect(result.stdout).toContain('ECS scope:    /16 (would be returned');
  }, 30_000);

  it('explains proximity with distances and the ECS scope of a subnet (--geoip)', async () => {
    const result = await runCli([
      'route',
      '--resources',
      'examples/standalone',
      '--name',
      'near.geo.example.com',
      '--subnet',
      '198.51.100.0/24',
      '--geoip',
      CITY_MMDB,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('EU / DE / BY');
    expect(result.stdout).toMatch(/frankfurt\s+web\/near\/frankfurt\s+up \(compiled\).*\s304 km\s/);
    expect(result.stdout).toContain('nearest healthy target: frankfurt');
    expect(result.stdout).toContain('ECS scope:    /24');
    // A subnet wider than the database network: the scope is capped at the source prefix.
    const wide = await runCli([
      'route',
      '--resources',
      'examples/standalone',
      '--name',
      'near.geo.example.com',
      '--subnet',
      '198.51.100.0/23',
      '--geoip',
      CITY_MMDB,
    ]);
    expect(wide.stdout).toContain('ECS scope:    /23 (decision /24, capped at the source prefix /23)');
  }, 30_000);

  it('applies the health table of a config folder', async () => {
    const result = await runCli([
      'route',
      '--config',
      dir,
      '--name',
      'www.geo.example',
      '--subnet',
      '198.51.0.0/16',
      '--geoip',
      CITY_MMDB,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/eu\s+web\/www\/eu\s+down \(table\)/);
    expect(result.stdout).toContain('only one healthy target: us');
    expect(result.stdout).toMatch(/IN A 203\.0\.113\.1/);
  }, 30_000);

  it('reports NXDOMAIN with the SOA and a name outside every zone', async () => {
    const nx = await runCli([
      'route',
      '--config',
      dir,
      '--name',
      'nope.geo.example',
      '--client',
      '192.0.2.1',
      '--geoip',
      CITY_MMDB,
    ]);
    expect(nx.code).toBe(0);
    expect(nx.stdout).toContain('answer:       NXDOMAIN, authoritative');
    expect(nx.stdout).toMatch(/authority\s+geo\.example\. 60 IN SOA/);
    const outside = await runCli(['route', '--config', dir, '--name', 'www.example.org', '--client', '192.0.2.1']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('www.example.org is in none of the zones (geo.example)');
  }, 30_000);

  it('explains the regional policy: regions, the client region, the walk, the weighted order (AAAA)', async () => {
    const result = await runCli([
      'route',
      '--resources',
      'examples/standalone',
      'examples/regional',
      '--name',
      'app.geo.example.com',
      '--subnet',
      '2001:db8:100::/48',
      '--type',
      'AAAA',
      '--geoip',
      CITY_MMDB,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/us \(default\)\s+continent NA; continent SA\s+eu/);
    expect(result.stdout).toMatch(/eu-3\s+web\/app\/eu-3\s+eu\s+up \(compiled\)\s+1\s+2001:db8:e1::3/);
    expect(result.stdout).toContain(
      '- client continent EU country FR: region eu (matches its continent EU, by continent)',
    );
    expect(result.stdout).toContain('- walk: eu, then us; last resort: apac');
    expect(result.stdout).toContain('- region eu: healthy eu-1, eu-2, eu-3, eu-4, eu-5');
    expect(result.stdout).toMatch(
      /- weighted order, weights eu-1=1, eu-2=1, eu-3=1, eu-4=1, eu-5=1 of 5: eu-\d, eu-\d/,
    );
    expect(result.stdout).toMatch(/answer\s+app\.geo\.example\.com\. 60 IN AAAA 2001:db8:e1::\d/);
    expect(result.stdout).toContain('ECS scope:    /48');
  }, 30_000);

  it('rejects bad usage with exit 2', async () => {
    const both = await runCli(['route', '--config', dir, '--name', 'www.geo.example']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either --client IP or --subnet CIDR');
    const badSubnet = await runCli(['route', '--config', dir, '--name', 'www.geo.example', '--subnet', '10.0.0.0/40']);
    expect(badSubnet.code).toBe(2);
    expect(badSubnet.stderr).toContain('prefix must be 0..32');
  }, 30_000);
});

describe('geodns route --kube', () => {
  let cluster: Cluster;
  const apex = 'geo-kube.example';
  /** The process environment with the DNS pods' kubeconfig as KUBECONFIG, as in a pod's shell or a laptop. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startCluster();
    env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
    // Published as the operator publishes them: the zone's ConfigMap, and health with eu down.
    await put(cluster.core, zoneConfigMap(failoverZone(apex, 7)));
    await put(cluster.core, healthConfigMap(1, ['apps/www/eu']));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('explains the answer from the published zone and health ConfigMaps (KUBECONFIG, the context namespace)', async () => {
    const result = await runCli(['route', '--kube', '--name', `www.${apex}`, '--client', '10.1.2.3'], { env: env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`from:         1 zone ConfigMap in namespace ${SYSTEM_NAMESPACE} on `);
    expect(result.stdout).toContain('health ConfigMap geodns-health (2 targets)');
    expect(result.stdout).toContain(`zone:         ${apex} (serial 7)`);
    expect(result.stdout).toMatch(/eu\s+apps\/www\/eu\s+down \(table\)/);
    expect(result.stdout).toMatch(new RegExp(`answer\\s+www\\.${apex.replace('.', '\\.')}\\. 30 IN A ${US}`));
  }, 30_000);

  it('follows the health ConfigMap: a newer revision with eu up answers eu', async () => {
    await put(cluster.core, healthConfigMap(2, []));
    const result = await runCli([
      'route',
      '--kube',
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      SYSTEM_NAMESPACE,
      '--name',
      `www.${apex}`,
      '--subnet',
      '10.1.0.0/16',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/eu\s+apps\/www\/eu\s+up \(table\)/);
    expect(result.stdout).toMatch(new RegExp(`answer\\s+www\\.${apex.replace('.', '\\.')}\\. 30 IN A ${EU}`));
  }, 30_000);

  it('reports a refused ConfigMap as the server would, and explains from the zones that are served', async () => {
    const broken = zoneConfigMap(failoverZone('broken.example', 1));
    broken.data = { 'broken.example.json': '{ not json' };
    delete broken.binaryData;
    await put(cluster.core, broken);
    try {
      const result = await runCli(['route', '--kube', '--name', `www.${apex}`, '--client', '192.0.2.1'], { env: env });
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/error: ConfigMap geodns-system\/\S+ broken\.example\.json: invalid JSON/);
      expect(result.stdout).toContain('from:         2 zone ConfigMaps');
      expect(result.stdout).toContain(`zone:         ${apex} (serial 7)`);
    } finally {
      await cluster.core.deleteNamespacedConfigMap({ name: broken.metadata?.name ?? '', namespace: SYSTEM_NAMESPACE });
    }
  }, 30_000);

  it('says why when it cannot read: no ConfigMaps in a namespace, or no permission there (exit 1)', async () => {
    await cluster.plane.kubectl(['create', 'namespace', 'empty']);
    const admin = { ...process.env, KUBECONFIG: cluster.plane.adminKubeconfig };
    const none = await runCli(['route', '--kube', '--namespace', 'empty', '--name', `www.${apex}`, '--client', EU], {
      env: admin,
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('error: no zone ConfigMaps (label geodns.io/document=zone) in namespace empty on ');
    const refused = await runCli(['route', '--kube', '--namespace', 'empty', '--name', `www.${apex}`, '--client', EU], {
      env: env,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: cannot read the ConfigMaps: HTTP 403/);
  }, 30_000);

  it('refuses --namespace and --kubeconfig without --kube, and two sources at once (exit 2)', async () => {
    const stray = await runCli([
      'route',
      '--config',
      dir,
      '--namespace',
      'x',
      '--name',
      'www.geo.example',
      '--client',
      EU,
    ]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--namespace and --kubeconfig go with --kube');
    const two = await runCli(['route', '--config', dir, '--kube', '--name', 'www.geo.example', '--client', EU]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('give one of --resources PATH..., --config DIR or --kube');
  }, 30_000);
});
