// The API test server as @kubernetes/client-node sees it: informers (through the operator's wrapper), 410 relists,
// dropped connections, status patches, conflicts, server-side apply and garbage collection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { Informer } from '../../operator/kube/informer.ts';
import { geoEndpoint, startWithCrds, until } from './harness.ts';
import type { ApiServer } from './server.ts';

const G = { group: 'geodns.io', version: 'v1alpha1', namespace: 'web', plural: 'geoendpoints' };

let server: ApiServer;
let kc: KubeConfig;
let custom: CustomObjectsApi;
let core: CoreV1Api;
const informers: Informer<KubernetesObject>[] = [];

beforeEach(async () => {
  server = await startWithCrds({ bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  for (const informer of informers.splice(0)) await informer.stop();
  await server.close();
});

function errorBody(error: unknown): { code: number; body: Record<string, unknown> } {
  if (!(error instanceof ApiException)) throw error;
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  return { code: error.code, body: body as Record<string, unknown> };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return errorBody(error);
  }
  throw new Error('the request succeeded');
}

function endpointInformer(events: string[]): Informer<KubernetesObject> {
  const informer = new Informer<KubernetesObject>({
    kubeConfig: kc,
    path: '/apis/geodns.io/v1alpha1/namespaces/web/geoendpoints',
    list: () => custom.listNamespacedCustomObject(G) as Promise<KubernetesListObject<KubernetesObject>>,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
  });
  for (const event of ['add', 'update', 'delete'] as const) {
    informer.on(event, (o) => events.push(`${event} ${o.metadata?.name ?? ''}`));
  }
  informers.push(informer);
  return informer;
}

describe('informers', () => {
  it('see add, update and delete', async () => {
    const events: string[] = [];
    const informer = endpointInformer(events);
    await informer.start();
    await informer.synced;
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') });
    await until('add', () => events.includes('add www'));
    await custom.patchNamespacedCustomObject({
      ...G,
      name: 'www',
      body: [{ op: 'add', path: '/spec/ttl', value: 30 }],
    });
    await until('update', () => events.includes('update www'));
    expect((informer.get('www', 'web') as { spec: { ttl: number } }).spec.ttl).toBe(30);
    await custom.deleteNamespacedCustomObject({ ...G, name: 'www' });
    await until('delete', () => events.includes('delete www'));
    expect(events).toEqual(['add www', 'update www', 'delete www']);
    expect(informer.list('web')).toHaveLength(0);
  });

  it('relist after 410 Gone and see the deletions that happened meanwhile', async () => {
    server.seed(geoEndpoint('one'));
    server.seed(geoEndpoint('two'));
    const events: string[] = [];
    const informer = endpointInformer(events);
    await informer.start();
    await informer.synced;
    expect(informer.list('web')).toHaveLength(2);

    await server.goAway();
    const type = server.catalog.find('geodns.io', 'v1alpha1', 'geoendpoints');
    if (!type) throw new Error('no type');
    server.registry.delete(type, 'web', 'one', {});
    server.seed(geoEndpoint('three'));
    server.expireHistory();
    await server.comeBack();

    await until('the relist', () => events.includes('delete one') && events.includes('add three'));
    expect(
      informer
        .list('web')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['three', 'two']);
    expect(informer.restarts).toBeGreaterThan(0);
  });

  it('relist by itself when a clean watch end is followed by 410', async () => {
    server.seed(geoEndpoint('one'));
    const events: string[] = [];
    const informer = endpointInformer(events);
    await informer.start();
    await informer.synced;
    const type = server.catalog.find('geodns.io', 'v1alpha1', 'geoendpoints');
    if (!type) throw new Error('no type');
    // While no watch is open, a change happens and the history that holds it is compacted away.
    server.faults.fail({ status: 500, count: 1, match: (_m, url) => url.includes('watch=true') });
    server.dropWatches(false);
    server.registry.delete(type, 'web', 'one', {});
    server.expireHistory();
    await until('the relist', () => events.includes('delete one'));
  });

  it('are restarted by the wrapper after a dropped connection', async () => {
    const events: string[] = [];
    const informer = endpointInformer(events);
    await informer.start();
    await informer.synced;
    await until('an open watch', () => server.watches.count === 1);
    server.dropWatches(true);
    await until('a restart', () => informer.restarts >= 1 && server.watches.count === 1);
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('after') });
    await until('add after the restart', () => events.includes('add after'));
  });

  it('keep going when a handler throws', async () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const informer = new Informer<KubernetesObject>({
      kubeConfig: kc,
      path: '/apis/geodns.io/v1alpha1/namespaces/web/geoendpoints',
      list: () => custom.listNamespacedCustomObject(G) as Promise<KubernetesListObject<KubernetesObject>>,
      onError: (error, source) => source === 'handler' && errors.push(error),
    });
    informers.push(informer);
    informer.on('add', (o) => {
      if (o.metadata?.name === 'bad') throw new Error('handler failed');
      seen.push(o.metadata?.name ?? '');
    });
    await informer.start();
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('bad') });
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('good') });
    await until('good', () => seen.includes('good'));
    expect(errors).toHaveLength(1);
  });

  it('restart after a failed list (500) with backoff', async () => {
    server.faults.fail({ status: 500, count: 2, match: (m, url) => m === 'GET' && !url.includes('watch') });
    const informer = endpointInformer([]);
    await informer.start();
    await informer.synced;
    expect(informer.restarts).toBe(2);
  });
});

describe('CustomObjectsApi', () => {
  it('patches status through /status without touching spec or generation', async () => {
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') });
    const status = { targetsSummary: '1/1', observedGeneration: 1 };
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { ...G, name: 'www', body: { status, spec: { ttl: 5 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status: unknown; spec: { ttl?: number }; metadata: { generation: number } };
    expect(patched.status).toEqual(status);
    expect(patched.spec.ttl).toBeUndefined();
    expect(patched.metadata.generation).toBe(1);

    const viaMain = (await custom.patchNamespacedCustomObject(
      { ...G, name: 'www', body: { status: { targetsSummary: '0/1' }, spec: { ttl: 7 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { status: { targetsSummary: string }; spec: { ttl: number }; metadata: { generation: number } };
    expect(viaMain.status.targetsSummary).toBe('1/1');
    expect(viaMain.spec.ttl).toBe(7);
    expect(viaMain.metadata.generation).toBe(2);
  });

  it('answers 409 to an update with a stale resourceVersion', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') })) as {
      metadata: { resourceVersion: string };
    };
    const fresh = structuredClone(created) as unknown as { spec: { ttl: number } };
    fresh.spec.ttl = 10;
    await custom.replaceNamespacedCustomObject({ ...G, name: 'www', body: fresh });
    const stale = structuredClone(created) as unknown as { spec: { ttl: number } };
    stale.spec.ttl = 20;
    const { code, body } = await failure(custom.replaceNamespacedCustomObject({ ...G, name: 'www', body: stale }));
    expect(code).toBe(409);
    expect(body.reason).toBe('Conflict');
    expect(String(body.message)).toContain('the object has been modified');
  });

  it('answers 409 to creating an existing name, 404 to a missing one, 422 with causes to an invalid one', async () => {
    await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') });
    expect((await failure(custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') }))).code).toBe(409);
    expect((await failure(custom.getNamespacedCustomObject({ ...G, name: 'nope' }))).code).toBe(404);
    const bad = geoEndpoint('bad', {
      policy: 'weighted',
      targets: [{ name: 'a', addresses: ['192.0.2.1'], location: {}, weight: 0 }],
    });
    const { code, body } = await failure(custom.createNamespacedCustomObject({ ...G, body: bad }));
    expect(code).toBe(422);
    const causes = (body.details as { causes: { field: string; message: string }[] }).causes;
    expect(causes).toContainEqual(
      expect.objectContaining({ field: 'spec.targets', message: expect.stringContaining('weight > 0') }),
    );
  });

  it('applies server-side with a field manager, refusing a conflicting change unless forced', async () => {
    const apply = (manager: string, ttl: number, force = false) =>
      custom.patchNamespacedCustomObject(
        { ...G, name: 'www', body: geoEndpoint('www', { ttl }), fieldManager: manager, force },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ) as Promise<{ spec: { ttl: number }; metadata: { managedFields: { manager: string }[] } }>;
    const created = await apply('operator', 30);
    expect(created.spec.ttl).toBe(30);
    expect(created.metadata.managedFields.map((m) => m.manager)).toEqual(['operator']);
    const { code, body } = await failure(apply('someone-else', 60));
    expect(code).toBe(409);
    expect(String(body.message)).toContain('conflict with "operator"');
    expect((await apply('someone-else', 60, true)).spec.ttl).toBe(60);
  });
});

describe('garbage collection', () => {
  it('deletes dependents in the background once their owner is gone', async () => {
    const owner = (await custom.createNamespacedCustomObject({ ...G, body: geoEndpoint('www') })) as {
      metadata: { uid: string };
    };
    await core.createNamespacedConfigMap({
      namespace: 'web',
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            {
              apiVersion: 'geodns.io/v1alpha1',
              kind: 'GeoEndpoint',
              name: 'www',
              uid: owner.metadata.uid,
              controller: true,
            },
          ],
        },
        data: { a: 'b' },
      },
    });
    await custom.deleteNamespacedCustomObject({ ...G, name: 'www' });
    await until('the dependent to go', async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'owned', namespace: 'web' });
        return false;
      } catch (error) {
        return errorBody(error).code === 404;
      }
    });
  });

  it('keeps an object with finalizers until they are removed', async () => {
    await custom.createNamespacedCustomObject({
      ...G,
      body: { ...geoEndpoint('www'), metadata: { name: 'www', namespace: 'web', finalizers: ['geodns.io/cleanup'] } },
    });
    await custom.deleteNamespacedCustomObject({ ...G, name: 'www' });
    const pending = (await custom.getNamespacedCustomObject({ ...G, name: 'www' })) as {
      metadata: { deletionTimestamp?: string };
    };
    expect(pending.metadata.deletionTimestamp).toBeDefined();
    await custom.patchNamespacedCustomObject(
      { ...G, name: 'www', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await failure(custom.getNamespacedCustomObject({ ...G, name: 'www' }))).code).toBe(404);
  });
});
