// The operator's caches against the real kube-apiserver, with the operator's own ServiceAccount: a change of a
// resource's status alone (the operator's own status writes) is no reason to reconcile; a change of its spec or
// labels, or of a Service, is.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OperatorCaches } from '../../../../operator/kube/caches.ts';
import { geoEndpoint } from '../../../support/objects.ts';
import { until } from '../../../support/until.ts';
import { FaultProxy } from '../../../../tools/control-plane/fault-proxy.ts';
import { startCluster, type Cluster } from '../../../support/operator-cluster.ts';
import { OPERATOR_ACCOUNT, SYSTEM_NAMESPACE } from '../../../support/suite-plane.ts';

const G = { group: 'geodns.io', version: 'v1alpha1', namespace: 'web', plural: 'geoendpoints' };
// How long the proxy holds the resumed watch: longer than the API server takes to restart and serve GeoEndpoints
// again (about 12 s on a busy two-core machine), shorter than the 30 s client-node's Watch waits for a silent
// connection before giving up on it.
const HOLD_MS = 25_000;
const OPERATOR_USER = `system:serviceaccount:${SYSTEM_NAMESPACE}:${OPERATOR_ACCOUNT}`;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let cluster: Cluster;
let custom: CustomObjectsApi;
let caches: OperatorCaches;

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-caches-test' });
  custom = cluster.admin.makeApiClient(CustomObjectsApi);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

beforeEach(() => {
  caches = new OperatorCaches({
    kubeConfig: cluster.operator,
    namespace: SYSTEM_NAMESPACE,
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await caches.stop();
  await cluster.reset();
});

describe('OperatorCaches', () => {
  it('calls back on changes of spec and metadata, not on changes of status alone', async () => {
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') });
    await caches.start();
    let changes = 0;
    caches.onChange(() => (changes += 1));
    const version = () => caches.geoEndpoints.get('www', 'web')?.metadata?.resourceVersion;

    const before = version();
    await custom.patchNamespacedCustomObjectStatus(
      { ...G, name: 'www', body: { status: { targetsSummary: '1/1' } } },
      merge,
    );
    await until('the status in the cache', () => version() !== before);
    expect(changes).toBe(0);

    await custom.patchNamespacedCustomObject({ ...G, name: 'www', body: { spec: { ttl: 7 } } }, merge);
    await until('the spec change', () => changes === 1);
    await custom.patchNamespacedCustomObject({ ...G, name: 'www', body: { metadata: { labels: { a: 'b' } } } }, merge);
    await until('the label change', () => changes === 2);
    await custom.deleteNamespacedCustomObject({ ...G, name: 'www' });
    await until('the deletion', () => changes === 3);
    await cluster.admin.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: 'web',
      body: { metadata: { name: 'api' }, spec: { ports: [{ port: 80 }] } },
    });
    await until('the Service', () => changes === 4);
  });
});

describe('OperatorCaches and a real 410', () => {
  it('relists when its watch resumes from a compacted resourceVersion, and drops what was deleted meanwhile', async () => {
    // The caches reach the server through the fault proxy, which ends their GeoEndpoint watch cleanly (as the API
    // server's watch timeout does) and holds the watch they resume with while the world changes: an object is
    // deleted, another's spec changes, the API server restarts (a fresh watch cache) and etcd's history is compacted.
    // The resumed watch then gets the real server's 410 Gone, and the caches must list again.
    const proxy = await FaultProxy.start(cluster.plane);
    try {
      const file = await proxy.serviceAccountKubeconfig(
        SYSTEM_NAMESPACE,
        OPERATOR_ACCOUNT,
        `${cluster.plane.dir}/proxied.kubeconfig`,
      );
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(file);
      const errors: [string, unknown][] = [];
      const proxied = new OperatorCaches({
        kubeConfig,
        namespace: SYSTEM_NAMESPACE,
        log: pino({ level: 'silent' }),
        onError: (cache, error) => errors.push([cache, error]),
      });
      try {
        await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') });
        await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('api') });
        await proxied.start();
        expect(
          proxied.geoEndpoints
            .list()
            .map((o) => o.metadata?.name)
            .sort(),
        ).toEqual(['api', 'www']);
        let changes = 0;
        proxied.onChange(() => (changes += 1));

        const watch = { verb: 'watch', resource: 'geoendpoints', user: OPERATOR_USER };
        // Synced means listed: the watch that follows the list may not be open yet.
        await until('the GeoEndpoint watch open', () => proxy.openWatches(watch).length === 1);
        const held = proxy.delay({ ms: HOLD_MS, count: 1, match: watch });
        expect(proxy.dropWatches({ clean: true, match: watch })).toBe(1);
        await until('the resumed watch held', () => held.hits === 1);
        await custom.deleteNamespacedCustomObject({ ...G, name: 'api' });
        await custom.patchNamespacedCustomObject({ ...G, name: 'www', body: { spec: { ttl: 7 } } }, merge);
        await cluster.plane.stopApiServer();
        await cluster.plane.compactEtcd();
        await cluster.plane.startApiServer();
        // A CRD's storage starts on its first request after a restart, answering 429 "storage is (re)initializing"
        // meanwhile: wait until it serves from its watch cache, so that the held watch meets it ready.
        await until(
          'the GeoEndpoint storage ready',
          async () => {
            try {
              await custom.listNamespacedCustomObject({ ...G, resourceVersion: '0' });
              return true;
            } catch {
              return false;
            }
          },
          { timeoutMs: HOLD_MS },
        );

        await until(
          'the deletion seen',
          () =>
            proxied.geoEndpoints
              .list()
              .map((o) => o.metadata?.name)
              .join() === 'www',
          { timeoutMs: 40_000 },
        );
        expect((proxied.geoEndpoints.get('www', 'web')?.spec as { ttl?: number }).ttl).toBe(7);
        expect(changes).toBeGreaterThanOrEqual(2);
        // The resumed watch was answered with 410 Gone (as a Status or as an ERROR event in the stream), and the
        // GeoEndpoint cache listed again by itself: no error reached the operator's restart-with-backoff (the other
        // caches' watches broke with the API server, and were restarted).
        const seen = proxy.requests.filter((r) => r.resource === 'geoendpoints' && r.user === OPERATOR_USER);
        // The first list and watch; the held watch, which the real server answered (200, its 410 in the stream, or
        // a plain 410) and not the proxy; then the list it led to (the next watch follows a second later).
        expect(
          [200, 410],
          `the held watch was answered ${seen[2]?.code}: if the API server was not back yet, raise HOLD_MS`,
        ).toContain(seen[2]?.code);
        expect(seen.slice(0, 4).map((r) => [r.verb, r.injected])).toEqual([
          ['list', false],
          ['watch', false],
          ['watch', false],
          ['list', false],
        ]);

        expect(errors.filter(([cache]) => cache === 'GeoEndpoint')).toEqual([]);
        expect(proxied.geoEndpoints.restarts).toBe(0);
      } finally {
        await proxied.stop();
      }
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
