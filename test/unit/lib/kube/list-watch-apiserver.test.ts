// The shared list-watch (lib/kube/reflector.ts over lib/kube/collection.ts, and the informer built on them) against
// the real kube-apiserver: it lists and watches a collection; when the API server goes away it says so, retries,
// and is connected again once it is back; when the history it would resume from is gone (etcd compacted while the
// API server was down) the real server answers 410 Gone and it lists again, dropping what was deleted meanwhile; a
// list the server refuses (RBAC) is a failure with the server's reason, retried, and never counts as connected.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { collectionClient } from '../../../../lib/kube/collection.ts';
import { describeApiError, statusOf } from '../../../../lib/kube/errors.ts';
import { informer, type Informer, type KubeObject } from '../../../../lib/kube/informer.ts';
import { loadKubeConfig, type KubeConfig } from '../../../../lib/kube/kubeconfig.ts';
import { Reflector } from '../../../../lib/kube/reflector.ts';
import { startControlPlane, type ControlPlane } from '../../../../tools/control-plane/control-plane.ts';
import { until } from '../../../support/until.ts';

const NS = 'list-watch';
const LABEL = 'list-watch-test';

let plane: ControlPlane;
let kubeConfig: KubeConfig;
let core: CoreV1Api;
let serial = 0;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  plane = await startControlPlane({ name: 'geodns-list-watch' });
  kubeConfig = loadKubeConfig(plane.adminKubeconfig);
  core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
}, 120_000);

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

afterAll(async () => {
  await plane?.stop();
});

/** A label value of this test's own, so that tests do not see each other's ConfigMaps. */
function selection(): { label: string; path: string; labelSelector: string } {
  serial += 1;
  const label = `t${serial}`;
  return { label, path: `/api/v1/namespaces/${NS}/configmaps`, labelSelector: `${LABEL}=${label}` };
}

const put = (label: string, name: string, value: string) =>
  core.createNamespacedConfigMap({
    namespace: NS,
    body: { metadata: { name, namespace: NS, labels: { [LABEL]: label } }, data: { value } },
  });

type ConfigMap = KubeObject & { data?: Record<string, string> };

function recorded(path: string, labelSelector: string, config: KubeConfig = kubeConfig) {
  const events: string[] = [];
  const view = new Map<string, string>();
  let connected = false;
  let everConnected = false;
  let failures = 0;
  let lastError: unknown;
  const name = (o: ConfigMap) => o.metadata?.name ?? '';
  const reflector = new Reflector<ConfigMap>(
    collectionClient<ConfigMap>(config, { path, labelSelector }),
    {
      listed: (items) => {
        events.push(`listed ${items.map(name).sort().join(',')}`);
        view.clear();
        for (const item of items) view.set(name(item), item.data?.value ?? '');
      },
      changed: (type, object) => {
        events.push(`${type} ${name(object)}`);
        if (type === 'DELETED') view.delete(name(object));
        else view.set(name(object), object.data?.value ?? '');
      },
      confirmed: () => undefined,
      connection: (state) => {
        connected = state.connected;
        everConnected ||= state.connected;
        if (!state.connected) {
          failures += 1;
          lastError = state.error;
        }
      },
      expired: () => events.push('expired'),
    },
    { backoff: { initialMs: 100, maxMs: 500 } },
  );
  stops.push(() => reflector.stop());
  return {
    events,
    view,
    reflector,
    get connected() {
      return connected;
    },
    get failures() {
      return failures;
    },
    get everConnected() {
      return everConnected;
    },
    get lastError() {
      return lastError;
    },
  };
}

describe('the shared list-watch against the real API server', () => {
  it('lists, then watches: changes arrive in order, and the informer fires add, update and delete', async () => {
    const { label, path, labelSelector } = selection();
    await put(label, 'a', '1');
    const seen: string[] = [];
    const cache: Informer<ConfigMap> = informer<ConfigMap>(kubeConfig, { path, labelSelector });
    stops.push(() => cache.stop());
    cache.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    cache.on('update', (o) => seen.push(`update ${o.metadata?.name}=${o.data?.value}`));
    cache.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    cache.start();
    await cache.synced;
    expect(cache.list().map((o) => o.metadata?.name)).toEqual(['a']);
    await put(label, 'b', '2');
    const a = await core.readNamespacedConfigMap({ namespace: NS, name: 'a' });
    await core.replaceNamespacedConfigMap({ namespace: NS, name: 'a', body: { ...a, data: { value: '3' } } });
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'b' });
    await until('the deletion', () => seen.includes('delete b'));
    expect(seen).toEqual(['add a', 'add b', 'update a=3', 'delete b']);
    expect(cache.get('a', NS)?.data?.value).toBe('3');
    expect(cache.connected).toBe(true);
    expect(cache.restarts).toBe(0);
  });

  it('says when the API server is gone, retries, and is connected again with what changed once it is back', async () => {
    const { label, path, labelSelector } = selection();
    await put(label, 'c', '1');
    const r = recorded(path, labelSelector);
    r.reflector.start();
    await until('connected', () => r.connected && r.view.has('c'));
    await plane.stopApiServer();
    await until('disconnected', () => !r.connected, { timeoutMs: 30_000 });
    const failuresWhileDown = r.failures;
    await plane.startApiServer();
    await until('connected again', () => r.connected, { timeoutMs: 60_000 });
    expect(failuresWhileDown).toBeGreaterThanOrEqual(1);
    await put(label, 'd', '2');
    await until('the change after the restart', () => r.view.get('d') === '2', { timeoutMs: 30_000 });
    expect([...r.view.keys()].sort()).toEqual(['c', 'd']);
  }, 120_000);

  it('lists again after a real 410 Gone and drops what was deleted while it could not watch', async () => {
    const { label, path, labelSelector } = selection();
    await put(label, 'e', '1');
    await put(label, 'f', '1');
    const r = recorded(path, labelSelector);
    r.reflector.start();
    await until('listed', () => r.view.size === 2);
    await plane.stopApiServer();
    // While it cannot watch: f goes away (straight from etcd: the API server is down), the revision moves on and
    // etcd's history is compacted past the resourceVersion it would resume from.
    const removed = await fetch(`${plane.etcdUrl}/v3/kv/deleterange`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from(`/registry/configmaps/${NS}/f`).toString('base64') }),
    });
    expect(removed.ok).toBe(true);
    expect(((await removed.json()) as { deleted?: string }).deleted).toBe('1');
    await plane.bumpEtcdRevision(3);
    await plane.compactEtcd();
    await plane.startApiServer();
    await until('f dropped', () => !r.view.has('f'), { timeoutMs: 60_000 });
    expect(r.events).toContain('expired');
    // Expired, then a fresh list without f (not a DELETED event: no watch could have told it).
    const expiredAt = r.events.indexOf('expired');
    expect(r.events.slice(expiredAt + 1)).toContain('listed e');
    expect(r.events).not.toContain('DELETED f');
    await until('connected', () => r.connected, { timeoutMs: 30_000 });
  }, 120_000);

  it('counts a refused list (403) as a failure with the API server’s reason, and never as connected', async () => {
    const { path: collection, labelSelector } = selection();
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'nobody' } } });
    const file = await plane.serviceAccountKubeconfig(NS, 'nobody', path.join(plane.dir, 'nobody.kubeconfig'));
    const r = recorded(collection, labelSelector, loadKubeConfig(file));
    r.reflector.start();
    await until('retried after a failure', () => r.failures >= 2);
    expect(r.everConnected).toBe(false);
    expect(statusOf(r.lastError)).toBe(403);
    expect(describeApiError(r.lastError)).toMatch(
      /^HTTP 403: configmaps is forbidden: User "system:serviceaccount:list-watch:nobody" cannot list/,
    );
  });
});
