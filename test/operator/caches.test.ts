// The operator's caches against the real kube-apiserver, with the operator's own ServiceAccount: a change of a
// resource's status alone (the operator's own status writes) is no reason to reconcile; a change of its spec or
// labels, or of a Service, is.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OperatorCaches } from '../../operator/kube/caches.ts';
import { geoEndpoint, until } from '../apiserver/harness.ts';
import { OPERATOR_NAMESPACE, startCluster, type Cluster } from './real-cluster.ts';

const G = { group: 'geodns.io', version: 'v1alpha1', namespace: 'web', plural: 'geoendpoints' };
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
    namespace: OPERATOR_NAMESPACE,
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
  });
});
