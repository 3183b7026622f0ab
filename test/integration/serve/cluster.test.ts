// geodns serve --kube against the real kube-apiserver (a real token of the DNS pods' ServiceAccount, bound to
// exactly deploy/rbac/dnsserver.yaml), through the fault proxy: the zone and health ConfigMaps reach answers, an
// invalid ConfigMap keeps the last good zone, a deleted one takes its zone away, a gzip-compressed zone in binaryData
// is served, the server keeps answering while the API server is away, and a real 410 Gone makes it list again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type LogLine, type ServeProcess } from '../../support/serve.ts';
import { until } from '../../support/until.ts';
import { healthConfigMap, metric, put, startCluster, zoneConfigMap, type Cluster } from '../../support/dns-cluster.ts';
import { DNS_USER, SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { EU, US, failoverZone } from '../../support/documents.ts';

let cluster: Cluster;
let server: ServeProcess;

beforeAll(async () => {
  cluster = await startCluster();
  await put(cluster.core, zoneConfigMap(failoverZone('geo.test', 1)));
  await put(cluster.core, healthConfigMap(1, []));
  // Not ours: no document label. The source must not even see it.
  await cluster.core.createNamespacedConfigMap({
    namespace: SYSTEM_NAMESPACE,
    body: { metadata: { name: 'unrelated', namespace: SYSTEM_NAMESPACE }, data: { 'x.json': '{ not json' } },
  });
  server = await startServe(['--kube', '--kubeconfig', cluster.kubeconfig, '--namespace', SYSTEM_NAMESPACE]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

const www = () => server.addresses('www.geo.test');
const metrics = async () => (await server.fetch('/metrics')).body;
const errors = () => server.logs.filter((l: LogLine) => l.level === 'error').map((l) => String(l.msg));

describe('geodns serve --kube', { timeout: 60_000 }, () => {
  it('runs with nothing but get/list/watch on ConfigMaps', async () => {
    const write = cluster.dnsCore.createNamespacedConfigMap({
      namespace: SYSTEM_NAMESPACE,
      body: { metadata: { name: 'denied', namespace: SYSTEM_NAMESPACE } },
    });
    await expect(write).rejects.toMatchObject({ code: 403 });
  });

  it('serves the zone ConfigMaps of its namespace and is ready', async () => {
    expect(await www()).toEqual([EU]);
    expect((await server.fetch('/readyz')).status).toBe(200);
    const text = await metrics();
    expect(text).toContain('geodns_reloads_total{source="cluster"} 1');
    expect(metric(text, 'geodns_cluster_connected')).toBe(1);
    expect(errors()).toEqual([]);
  });

  it('serves a changed zone ConfigMap', async () => {
    await put(cluster.core, zoneConfigMap(failoverZone('geo.test', 2, '192.0.2.99')));
    await until('the changed address', www, { accept: (a) => a.join() === '192.0.2.99', intervalMs: 100 });
  });

  it('applies a health table with a greater revision, and ignores an older one', async () => {
    await put(cluster.core, healthConfigMap(2, ['apps/www/eu']));
    await until('failover to us', www, { accept: (a) => a.join() === US, intervalMs: 100 });
    await put(cluster.core, healthConfigMap(1, []));
    await server.waitForLog((l) => String(l.msg).includes('revision 1 is not newer than revision 2'), 'stale');
    expect(await www()).toEqual([US]);
  });

  it('keeps serving the last good zone when a ConfigMap turns invalid, and says which and why', async () => {
    const broken = zoneConfigMap(failoverZone('geo.test', 3));
    broken.data = { 'geo.test.json': '{ "format": ' };
    await put(cluster.core, broken);
    await server.waitForLog((l) => String(l.msg).includes('refused; still serving'), 'the refusal');
    expect(errors()).toEqual([
      expect.stringMatching(/^ConfigMap geodns-system\/geodns-zone-geo\.test geo\.test\.json: invalid JSON: /),
      'ConfigMap geodns-system/geodns-zone-geo.test: refused; still serving its last good version (zone "geo.test" serial 2)',
    ]);
    expect(await www()).toEqual([US]);
    expect(await metrics()).toContain('geodns_reload_failures_total{source="cluster"} 1');
  });

  it('serves a large zone stored gzip-compressed in binaryData', async () => {
    const many = Array.from({ length: 6000 }, (_, i) => ({
      name: `n${i}.big.test`,
      type: 'A' as const,
      ttl: 60,
      data: [`10.${(i >> 8) & 255}.${i & 255}.1`],
    }));
    const big = zoneConfigMap(failoverZone('big.test', 1, EU, many));
    expect(big.binaryData?.['big.test.json.gz']).toBeDefined();
    await put(cluster.core, big);
    await until('a name of big.test', () => server.addresses('n4321.big.test'), {
      accept: (a) => a.join() === '10.16.225.1',
      intervalMs: 100,
    });
  });

  it('keeps answering while the API server is away, with a growing health age, and catches up when it is back', async () => {
    await cluster.proxy.goAway();
    const away = await until('disconnected', metrics, {
      accept: (t) => metric(t, 'geodns_cluster_connected') === 0,
      intervalMs: 100,
    });
    const age = metric(away, 'geodns_health_age_seconds') ?? NaN;
    expect(await www()).toEqual([US]);
    await until('an older health', metrics, {
      accept: (t) => (metric(t, 'geodns_health_age_seconds') ?? 0) > age + 0.5,
      intervalMs: 100,
    });
    expect(await www()).toEqual([US]);
    expect((await server.fetch('/readyz')).status).toBe(200);

    // Had the age not been reset by the API's confirmations after its return, it would exceed the whole time
    // since then: bounding it by that time tests the reset without assuming how fast this machine is.
    const cameBack = Date.now();
    await cluster.proxy.comeBack();
    await put(cluster.core, healthConfigMap(3, []));
    await until('eu healthy again', www, { accept: (a) => a.join() === '192.0.2.99', intervalMs: 100 });
    const back = await until('connected', metrics, {
      accept: (t) => metric(t, 'geodns_cluster_connected') === 1,
      intervalMs: 100,
    });
    const sinceComeBack = (Date.now() - cameBack) / 1000;
    expect(metric(back, 'geodns_health_age_seconds')).toBeLessThanOrEqual(sinceComeBack);
  });

  it('lists again when the history it would resume from is gone (410), after watches failing with 500', async () => {
    const dns = { user: DNS_USER, resource: 'configmaps' };
    const failing = cluster.proxy.fail({ status: 500, match: { ...dns, verb: 'watch' } });
    cluster.proxy.dropWatches({ match: dns });
    await until('disconnected', metrics, {
      accept: (t) => metric(t, 'geodns_cluster_connected') === 0,
      intervalMs: 100,
    });
    await put(cluster.core, healthConfigMap(4, ['apps/www/eu']));
    // The history it would watch from is gone: etcd compacted past it, and the API server's watch cache starts
    // again at the current revision.
    await cluster.plane.stopApiServer();
    await cluster.plane.compactEtcd();
    await cluster.plane.startApiServer();
    const listsBefore = cluster.proxy.count({ ...dns, verb: 'list' });
    const expired = () => server.logs.filter((l) => String(l.msg).includes('(410 Gone); listing again'));
    failing.clear();
    await until('the change made while it could not watch', www, { accept: (a) => a.join() === US, intervalMs: 100 });
    await until('connected', metrics, { accept: (t) => metric(t, 'geodns_cluster_connected') === 1, intervalMs: 100 });
    // Both watches (zones and health) got the real server's 410 and listed again.
    // (Each watch says so and lists on its own schedule: wait for both rather than read once.)
    await until(
      'both watches expired and listed again',
      () => {
        const watches = new Set(expired().map((l) => l.watch));
        const lists = cluster.proxy.count({ ...dns, verb: 'list' }) - listsBefore;
        return watches.has('zone ConfigMaps') && watches.has('health ConfigMap') && lists >= 2 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
  });

  it('stops serving a zone whose ConfigMap is deleted', async () => {
    await cluster.core.deleteNamespacedConfigMap({ name: 'geodns-zone-geo.test', namespace: SYSTEM_NAMESPACE });
    await until('REFUSED', () => server.dig(['www.geo.test']), {
      accept: (r) => r.status === 'REFUSED',
      intervalMs: 100,
    });
    expect(await server.addresses('n1.big.test')).toEqual(['10.0.1.1']);
  });
});
