// The fault proxy in front of the real kube-apiserver: it forwards with the caller's identity (RBAC stays the real
// server's), streams watches, and injects what a test asks for: Status answers with the server's reasons, delays,
// broken connections, dropped watches, an API that goes away and comes back.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../support/until.ts';
import { ControlPlane, startControlPlane } from '../../../../tools/control-plane/control-plane.ts';
import { FaultProxy, requestInfo } from '../../../../tools/control-plane/fault-proxy.ts';

const NS = 'proxied';
const READER = `system:serviceaccount:${NS}:reader`;
let plane: ControlPlane;
let proxy: FaultProxy;
let admin: CoreV1Api;
let reader: KubeConfig;

beforeAll(async () => {
  plane = await startControlPlane({ name: 'geodns-fault-proxy' });
  proxy = await FaultProxy.start(plane);
  admin = proxy.admin().makeApiClient(CoreV1Api);
  await admin.createNamespace({ body: { metadata: { name: NS } } });
  await admin.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'reader' } } });
  await plane.kubectl(['create', 'role', 'reader', '-n', NS, '--verb=get,list,watch,update', '--resource=configmaps']);
  await plane.kubectl(['create', 'rolebinding', 'reader', '-n', NS, '--role=reader', `--serviceaccount=${NS}:reader`]);
  reader = new KubeConfig();
  reader.loadFromFile(await proxy.serviceAccountKubeconfig(NS, 'reader', path.join(plane.dir, 'reader.kubeconfig')));
}, 120_000);

afterEach(async () => {
  proxy.clear();
  await proxy.comeBack();
});

afterAll(async () => {
  await proxy?.close();
  await plane?.stop();
});

/** The Status an ApiException carries. */
function status(error: unknown): { code?: number; reason?: string; message?: string; details?: unknown } {
  expect(error).toBeInstanceOf(ApiException);
  const body = (error as ApiException<unknown>).body;
  return (typeof body === 'string' ? JSON.parse(body) : body) as { code?: number; reason?: string };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const configMap = (name: string) => ({ metadata: { name, namespace: NS }, data: { a: '1' } });

describe('the fault proxy', { timeout: 60_000 }, () => {
  it('forwards with the caller’s own token: the real server authenticates and authorizes it', async () => {
    await admin.createNamespacedConfigMap({ namespace: NS, body: configMap('plain') });
    const core = reader.makeApiClient(CoreV1Api);
    const read = await core.readNamespacedConfigMap({ namespace: NS, name: 'plain' });
    expect(read.data).toEqual({ a: '1' });
    const denied = await rejection(core.listNamespacedSecret({ namespace: NS }));
    expect(status(denied)).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(
      proxy.requests.filter((r) => r.user === READER).map((r) => [r.verb, r.resource, r.name ?? '', r.code]),
    ).toEqual([
      ['get', 'configmaps', 'plain', 200],
      ['list', 'secrets', '', 403],
    ]);
  });

  it('serves kubectl, with the token of its kubeconfig', async () => {
    const file = path.join(plane.dir, 'proxied-admin.kubeconfig');
    await writeFile(file, proxy.kubeconfigText({ token: plane.adminToken, user: 'admin', namespace: NS }));
    const { stdout } = await plane.kubectl(['--kubeconfig', file, 'get', 'configmap', 'plain', '-o', 'name']);
    expect(stdout.trim()).toBe('configmap/plain');
    expect(proxy.count({ user: 'admin', verb: 'get', resource: 'configmaps', name: 'plain' })).toBeGreaterThan(0);
  });

  it('answers matching requests with a Status as the API server writes it, N times', async () => {
    await admin.createNamespacedConfigMap({ namespace: NS, body: configMap('conflicted') });
    const core = reader.makeApiClient(CoreV1Api);
    const rule = proxy.fail({ status: 409, count: 1, match: { verb: 'update', name: 'conflicted', user: READER } });
    const current = await core.readNamespacedConfigMap({ namespace: NS, name: 'conflicted' });
    // The administrator is not matched.
    await admin.readNamespacedConfigMap({ namespace: NS, name: 'conflicted' });
    const conflict = await rejection(
      core.replaceNamespacedConfigMap({ namespace: NS, name: 'conflicted', body: current }),
    );
    expect(status(conflict)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on configmaps "conflicted": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'conflicted', kind: 'configmaps' },
    });
    expect(rule.hits).toBe(1);
    await core.replaceNamespacedConfigMap({ namespace: NS, name: 'conflicted', body: current });
    expect(rule.hits).toBe(1);
    const seen = proxy.requests.filter((r) => r.name === 'conflicted' && r.verb === 'update');
    expect(seen.map((r) => [r.code, r.injected])).toEqual([
      [409, true],
      [200, false],
    ]);
  });

  it('sends 429 with Retry-After, and 500 with an InternalError cause, until cleared', async () => {
    const limited = proxy.fail({ status: 429, retryAfterSeconds: 3, match: { resource: 'configmaps', verb: 'list' } });
    const tooMany = await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    expect((tooMany as ApiException<unknown>).headers['retry-after']).toBe('3');
    expect(status(tooMany)).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    limited.clear();
    proxy.fail({ status: 500, match: { resource: 'configmaps' } });
    const internal = await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    expect(status(internal)).toMatchObject({
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: injected fault',
    });
    proxy.clear();
    await expect(admin.listNamespacedConfigMap({ namespace: NS })).resolves.toBeDefined();
  });

  it('stops a fault after forMs', async () => {
    proxy.fail({ status: 503, forMs: 300, match: { resource: 'configmaps' } });
    const unavailable = await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    expect(status(unavailable)).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    await until('the fault over', async () => {
      try {
        return await admin.listNamespacedConfigMap({ namespace: NS });
      } catch {
        return undefined;
      }
    });
  });

  it('streams watches, and drops them broken or cleanly', async () => {
    const watch = new Watch(reader);
    const events: string[] = [];
    const ends: (string | undefined)[] = [];
    const start = () =>
      watch.watch(
        `/api/v1/namespaces/${NS}/configmaps`,
        {},
        (phase, object: { metadata?: { name?: string } }) => events.push(`${phase} ${object.metadata?.name}`),
        (error: unknown) => ends.push(error ? 'error' : 'done'),
      );
    await start();
    await until('the initial events', () => events.includes('ADDED plain'));
    await admin.createNamespacedConfigMap({ namespace: NS, body: configMap('watched') });
    await until('the event of a change', () => events.includes('ADDED watched'));
    expect(proxy.openWatches({ user: READER, resource: 'configmaps' })).toHaveLength(1);

    expect(proxy.dropWatches({ match: { user: READER } })).toBe(1);
    await until('the watch broken', () => ends.length === 1);
    expect(ends).toEqual(['error']);

    await start();
    await until('the watch open', () => proxy.openWatches({ user: READER }).length === 1);
    expect(proxy.dropWatches({ clean: true })).toBeGreaterThanOrEqual(1);
    await until('the watch ended', () => ends.length === 2);
    expect(ends).toEqual(['error', 'done']);
  });

  it('refuses new watches with an ERROR event in the stream (410 Expired), as the API server does', async () => {
    const rule = proxy.fail({ status: 410, inStream: true, count: 1, match: { verb: 'watch' } });
    const events: { phase: string; object: { code?: number; reason?: string } }[] = [];
    await new Watch(reader).watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: '1' },
      (phase, object: { code?: number; reason?: string }) => events.push({ phase, object }),
      () => undefined,
    );
    await until('the ERROR event', () => events.length > 0);
    expect(events[0]).toMatchObject({ phase: 'ERROR', object: { code: 410, reason: 'Expired' } });
    expect(rule.hits).toBe(1);
  });

  it('delays matching requests (answers after others sent later)', async () => {
    proxy.delay({ ms: 800, count: 1, match: { name: 'plain' } });
    const order: string[] = [];
    const slow = admin.readNamespacedConfigMap({ namespace: NS, name: 'plain' }).then(() => order.push('delayed'));
    await until('the delayed request seen', () => proxy.count({ name: 'plain', verb: 'get', user: 'admin' }) > 1);
    await admin.readNamespacedConfigMap({ namespace: NS, name: 'watched' }).then(() => order.push('other'));
    await slow;
    expect(order).toEqual(['other', 'delayed']);
  });

  it('holds an answer back after the API server has done the write (phase: response)', async () => {
    proxy.delay({ ms: 60_000, phase: 'response', count: 1, match: { verb: 'create', resource: 'configmaps' } });
    const direct = plane.admin().makeApiClient(CoreV1Api);
    let answered = false;
    const created = admin.createNamespacedConfigMap({ namespace: NS, body: configMap('held') }).finally(() => {
      answered = true;
    });
    await until('the write done', () =>
      direct.readNamespacedConfigMap({ namespace: NS, name: 'held' }).then(
        () => true,
        () => false,
      ),
    );
    expect(answered).toBe(false);
    await proxy.goAway(); // the held answer's connection is broken
    await expect(created).rejects.not.toBeInstanceOf(ApiException);
  });

  it('breaks the connection of matching requests', async () => {
    proxy.reset({ count: 1, match: { verb: 'get', name: 'plain' } });
    const broken = await rejection(admin.readNamespacedConfigMap({ namespace: NS, name: 'plain' }));
    expect(broken).not.toBeInstanceOf(ApiException);
    await expect(admin.readNamespacedConfigMap({ namespace: NS, name: 'plain' })).resolves.toBeDefined();
  });

  it('goes away (refused, reset, or silent) and comes back on the same port', async () => {
    const watch = new Watch(reader);
    const ends: string[] = [];
    await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      {},
      () => undefined,
      (error: unknown) => ends.push(error ? 'error' : 'done'),
    );
    await until('the watch open', () => proxy.openWatches({ user: READER }).length === 1);
    await proxy.goAway();
    await until('the watch broken', () => ends.length === 1);
    const refused = await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused)) + String(refused)).toMatch(/ECONNREFUSED/);
    await proxy.comeBack();
    await expect(admin.listNamespacedConfigMap({ namespace: NS })).resolves.toBeDefined();

    await proxy.goAway('reset');
    const reset = await rejection(admin.listNamespacedConfigMap({ namespace: NS }));
    expect(reset).not.toBeInstanceOf(ApiException);
    await proxy.comeBack();

    await proxy.goAway('hang');
    const before = proxy.count({ verb: 'list', resource: 'configmaps' });
    const held = admin.listNamespacedConfigMap({ namespace: NS });
    await until('the request held', () => proxy.count({ verb: 'list', resource: 'configmaps' }) > before);
    await proxy.comeBack(); // the held connection is broken
    expect(await rejection(held)).not.toBeInstanceOf(ApiException);
    await expect(admin.listNamespacedConfigMap({ namespace: NS })).resolves.toBeDefined();
  });
});

describe('requestInfo', () => {
  it('names verb, group, resource, namespace, name and subresource as the API server does', () => {
    const pick = (method: string, url: string) => {
      const { verb, group, version, resource, namespace, name, subresource } = requestInfo(method, url);
      return { verb, group, version, resource, namespace, name, subresource };
    };
    expect(pick('GET', '/api/v1/namespaces/a/configmaps?watch=true&resourceVersion=5')).toEqual({
      verb: 'watch',
      group: '',
      version: 'v1',
      resource: 'configmaps',
      namespace: 'a',
      name: undefined,
      subresource: undefined,
    });
    expect(pick('GET', '/api/v1/namespaces/a/configmaps')).toMatchObject({ verb: 'list' });
    expect(pick('GET', '/api/v1/watch/namespaces/a/configmaps')).toMatchObject({ verb: 'watch', namespace: 'a' });
    expect(pick('PUT', '/apis/coordination.k8s.io/v1/namespaces/a/leases/l')).toMatchObject({
      verb: 'update',
      group: 'coordination.k8s.io',
      resource: 'leases',
      name: 'l',
    });
    expect(pick('PATCH', '/apis/geodns.io/v1alpha1/geozones/z/status')).toMatchObject({
      verb: 'patch',
      resource: 'geozones',
      name: 'z',
      subresource: 'status',
      namespace: undefined,
    });
    expect(pick('GET', '/api/v1/namespaces/a')).toMatchObject({ verb: 'get', resource: 'namespaces', name: 'a' });
    expect(pick('PUT', '/api/v1/namespaces/a/finalize')).toMatchObject({
      verb: 'update',
      resource: 'namespaces',
      name: 'a',
      subresource: 'finalize',
    });
    expect(pick('DELETE', '/api/v1/namespaces/a/pods')).toMatchObject({ verb: 'deletecollection' });
    expect(pick('POST', '/api/v1/namespaces/a/pods')).toMatchObject({ verb: 'create', resource: 'pods' });
    expect(pick('GET', '/version')).toMatchObject({ verb: 'get', resource: '' });
  });
});
