// geodns serve --kube when the API server cannot be reached at start-up: with --config DIR (the same ConfigMaps
// mounted, in the kubelet's layout) it serves the mount, then the API's view once the API is back; without it,
// it starts unready and becomes ready once the API has been read.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HEALTH_KEY } from '../../../api/configmaps.ts';
import { startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { healthConfigMap, metric, put, startCluster, zoneConfigMap, type Cluster } from '../../support/dns-cluster.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { US, failoverZone, healthDoc } from '../../support/documents.ts';

const FROM_API = '192.0.2.77';

// One control plane for the file; the API holds geo.test (eu at FROM_API, healthy), and each test starts with the
// proxy between the DNS server and the API server away.
let cluster: Cluster;
let server: ServeProcess | undefined;
let remove: (() => Promise<void>) | undefined;
beforeAll(async () => {
  cluster = await startCluster();
  await put(cluster.core, zoneConfigMap(failoverZone('geo.test', 2, FROM_API)));
  await put(cluster.core, healthConfigMap(7, []));
}, 120_000);
beforeEach(async () => {
  await cluster.proxy.goAway();
});
afterEach(async () => {
  await server?.stop();
  await cluster.proxy.comeBack();
  await remove?.();
  server = remove = undefined;
});
afterAll(async () => {
  await cluster?.stop();
});

/** The kubelet's layout of a projected volume: files in a timestamped folder, `..data` → it, names → `..data/name`. */
async function mount(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  const data = path.join(dir, '..2026_01_01_00_00_00.000000001');
  await mkdir(data, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(data, name), content);
  await symlink(path.basename(data), path.join(dir, '..data'));
  for (const name of Object.keys(files)) await symlink(`..data/${name}`, path.join(dir, name));
}

const www = () => server!.addresses('www.geo.test');

describe('geodns serve --kube at a cold start without the API', { timeout: 60_000 }, () => {
  it('serves the mounted fallback, then the API’s view once it is reached', async () => {
    const temp = await tempDir('cluster-fallback');
    remove = temp.remove;
    const mounted = path.join(temp.dir, 'mounted');
    const since = '2026-01-01T00:00:00Z';
    await mount(mounted, {
      'geo.test.json': JSON.stringify(failoverZone('geo.test', 1)),
      'small.test.json.gz': gzipSync(JSON.stringify(failoverZone('small.test', 1))),
      [HEALTH_KEY]: JSON.stringify(healthDoc({ 'apps/www/eu': { up: false, since } })),
    });

    server = await startServe([
      ...['--kube', '--kubeconfig', cluster.kubeconfig, '--namespace', SYSTEM_NAMESPACE],
      ...['--config', mounted, '--kube-wait', '1'],
    ]);
    expect(await www()).toEqual([US]); // the fallback's zone, with the fallback's health (eu down)
    expect(await server.addresses('www.small.test')).toEqual([US]);
    expect((await server.fetch('/readyz')).status).toBe(200);
    expect(server.logs.some((l) => String(l.msg).includes('serving the mounted fallback'))).toBe(true);
    const text = (await server.fetch('/metrics')).body;
    expect(text).toContain('geodns_reloads_total{source="config"} 1');
    expect(metric(text, 'geodns_cluster_connected')).toBe(0);

    await cluster.proxy.comeBack();
    await until('the API’s zone and health', www, { accept: (a) => a.join() === FROM_API, intervalMs: 100 });
    expect((await server.dig(['www.small.test'])).status).toBe('REFUSED'); // not in the cluster
  });

  it('without a fallback, starts unready and becomes ready once the API has been read', async () => {
    const temp = await tempDir('cluster-cold');
    remove = temp.remove;
    server = await startServe([
      ...['--kube', '--kubeconfig', cluster.kubeconfig, '--namespace', SYSTEM_NAMESPACE, '--kube-wait', '0.5'],
    ]);
    expect((await server.fetch('/readyz')).status).toBe(503);
    expect((await server.dig(['www.geo.test'])).status).toBe('REFUSED');

    await cluster.proxy.comeBack();
    await until('ready', () => server!.fetch('/readyz'), { accept: (r) => r.status === 200, intervalMs: 100 });
    expect(await www()).toEqual([FROM_API]);
  });
});
