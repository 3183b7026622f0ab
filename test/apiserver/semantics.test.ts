// Kubernetes semantics of the API test server over plain HTTP: resourceVersions, generation, admission (prune,
// defaults, schema, CEL), watch (replay, 410, bookmarks, timeoutSeconds, selectors), patches, finalizers,
// namespaces, RBAC and faults.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { geoEndpoint, startWithCrds, until } from './harness.ts';
import { serviceAccountUser } from './rbac.ts';
import type { ApiServer } from './server.ts';
import type { JsonObject } from './types.ts';

let server: ApiServer;
const GE = '/apis/geodns.io/v1alpha1/namespaces/web/geoendpoints';

beforeEach(async () => {
  server = await startWithCrds({ bookmarkIntervalMs: 50, historySize: 50 });
});

afterEach(async () => {
  await server.close();
});

interface Reply {
  status: number;
  body: JsonObject;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as JsonObject) : {}, headers: res.headers };
}

/** Reads watch events until `stop` says enough (or the stream ends), bounded in time. */
async function watch(path: string, stop: (events: JsonObject[]) => boolean, timeoutMs = 5000): Promise<JsonObject[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: JsonObject[] = [];
  try {
    const res = await fetch(`${server.url}${path}`, { signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, newline)) as JsonObject);
        buffer = buffer.slice(newline + 1);
      }
      if (stop(events)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

const meta = (o: JsonObject) =>
  o.metadata as { name: string; resourceVersion: string; generation?: number; uid: string };
const objectOf = (e: JsonObject) => e.object as JsonObject;

describe('objects', () => {
  it('get uid, creationTimestamp, a generated name, and one increasing resourceVersion', async () => {
    const a = await call('POST', GE, { ...geoEndpoint('www'), metadata: { generateName: 'www-' } });
    expect(a.status).toBe(201);
    expect(meta(a.body).name).toMatch(/^www-[a-z0-9]{5}$/);
    expect(meta(a.body).uid).toMatch(/^[0-9a-f-]{36}$/);
    const cm = await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: 'c' }, data: {} });
    expect(Number(meta(cm.body).resourceVersion)).toBeGreaterThan(Number(meta(a.body).resourceVersion));
    const list = await call('GET', GE);
    expect((list.body.metadata as JsonObject).resourceVersion).toBe(meta(cm.body).resourceVersion);
    expect(list.body.kind).toBe('GeoEndpointList');
  });

  it('bump generation on spec changes only, and keep status out of the main endpoint', async () => {
    const created = await call('POST', GE, { ...geoEndpoint('www'), status: { targetsSummary: 'x' } });
    expect(created.body.status).toBeUndefined();
    expect(meta(created.body).generation).toBe(1);
    const merge = { 'Content-Type': 'application/merge-patch+json' };
    const labelled = await call('PATCH', `${GE}/www`, { metadata: { labels: { a: 'b' } } }, merge);
    expect(meta(labelled.body).generation).toBe(1);
    const status = await call('PATCH', `${GE}/www/status`, { status: { targetsSummary: '1/1' } }, merge);
    expect(meta(status.body).generation).toBe(1);
    const spec = await call('PATCH', `${GE}/www`, { spec: { ttl: 9 } }, merge);
    expect(meta(spec.body).generation).toBe(2);
    const same = await call('PATCH', `${GE}/www`, { spec: { ttl: 9 } }, merge);
    expect(meta(same.body).resourceVersion).toBe(meta(spec.body).resourceVersion);
  });

  it('are pruned of unknown fields and defaulted from the CRD schema', async () => {
    const created = await call('POST', GE, {
      ...geoEndpoint('www'),
      extra: 1,
      spec: { ...(geoEndpoint('www').spec as JsonObject), colour: 'red' },
    });
    expect(created.status).toBe(201);
    expect(created.body.extra).toBeUndefined();
    const spec = created.body.spec as JsonObject & { targets: JsonObject[] };
    expect(spec.colour).toBeUndefined();
    expect(spec.maxAnswers).toBe(8);
    expect(spec.targets[0]).toMatchObject({ weight: 1, priority: 0 });
    expect(created.headers.get('warning')).toContain('unknown field \\"spec.colour\\"');
  });

  it('are refused with 422 and field causes for schema violations', async () => {
    const bad = geoEndpoint('bad', {
      policy: 'random',
      maxAnswers: 99,
      targets: [{ name: 'a', addresses: ['not-an-ip'], location: {} }],
    });
    const reply = await call('POST', GE, bad);
    expect(reply.status).toBe(422);
    const causes = (reply.body.details as { causes: { field: string; message: string }[] }).causes;
    const fields = causes.map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.policy', 'spec.maxAnswers', 'spec.targets[0].addresses[0]']));
    expect(causes.find((c) => c.field === 'spec.policy')?.message).toContain('Unsupported value: "random"');
  });
});

describe('watch', () => {
  it('replays every change after a resourceVersion, in order', async () => {
    const first = await call('POST', GE, geoEndpoint('a'));
    const from = meta(first.body).resourceVersion;
    await call('POST', GE, geoEndpoint('b'));
    await call('PATCH', `${GE}/a`, { spec: { ttl: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    await call('DELETE', `${GE}/b`);
    const events = await watch(`${GE}?watch=1&resourceVersion=${from}`, (e) => e.length >= 3);
    expect(events.map((e) => `${String(e.type)} ${meta(objectOf(e)).name}`)).toEqual([
      'ADDED b',
      'MODIFIED a',
      'DELETED b',
    ]);
    const rvs = events.map((e) => Number(meta(objectOf(e)).resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('answers ERROR 410 for a resourceVersion older than the history', async () => {
    const first = await call('POST', GE, geoEndpoint('a'));
    await call('POST', GE, geoEndpoint('b'));
    server.expireHistory();
    const events = await watch(`${GE}?watch=1&resourceVersion=${meta(first.body).resourceVersion}`, () => false);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(objectOf(events[0] ?? {})).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('keeps a history of historySize events (50 here): older resourceVersions are gone', async () => {
    const first = await call('POST', GE, geoEndpoint('a'));
    for (let i = 0; i < 51; i += 1)
      await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: `c${i}` } });
    const events = await watch(`${GE}?watch=1&resourceVersion=${meta(first.body).resourceVersion}`, () => false);
    expect(events.map((e) => objectOf(e).code)).toEqual([410]);
  });

  it('sends bookmarks when allowed and ends after timeoutSeconds', async () => {
    const list = await call('GET', GE);
    const rv = String((list.body.metadata as JsonObject).resourceVersion);
    const events = await watch(
      `${GE}?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
      () => false,
    );
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.type === 'BOOKMARK')).toBe(true);
    expect(meta(objectOf(events[0] ?? {})).resourceVersion).toBe(rv);
  });

  it('filters by label and field selectors, with objects entering and leaving the selection', async () => {
    const start = await call('GET', GE);
    const rv = String((start.body.metadata as JsonObject).resourceVersion);
    const merge = { 'Content-Type': 'application/merge-patch+json' };
    await call('POST', GE, geoEndpoint('a'));
    await call('POST', GE, geoEndpoint('b'));
    await call('PATCH', `${GE}/a`, { metadata: { labels: { tier: 'gold' } } }, merge);
    await call('PATCH', `${GE}/a`, { metadata: { labels: { tier: null } } }, merge);
    const labelled = await watch(`${GE}?watch=1&resourceVersion=${rv}&labelSelector=tier%3Dgold`, (e) => e.length >= 2);
    expect(labelled.map((e) => `${String(e.type)} ${meta(objectOf(e)).name}`)).toEqual(['ADDED a', 'DELETED a']);
    const named = await watch(
      `${GE}?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Db`,
      (e) => e.length >= 1,
    );
    expect(named.map((e) => `${String(e.type)} ${meta(objectOf(e)).name}`)).toEqual(['ADDED b']);
    const listed = await call('GET', `${GE}?fieldSelector=metadata.namespace%3Dweb,metadata.name!%3Da`);
    expect((listed.body.items as JsonObject[]).map((o) => meta(o).name)).toEqual(['b']);
  });
});

describe('patches', () => {
  it('apply JSON patch (with test), merge patch, and refuse strategic merge patch for CRs', async () => {
    await call('POST', GE, geoEndpoint('www'));
    const jp = { 'Content-Type': 'application/json-patch+json' };
    const ok = await call(
      'PATCH',
      `${GE}/www`,
      [
        { op: 'test', path: '/spec/policy', value: 'geo' },
        { op: 'add', path: '/spec/ttl', value: 3 },
      ],
      jp,
    );
    expect((ok.body.spec as JsonObject).ttl).toBe(3);
    const failed = await call('PATCH', `${GE}/www`, [{ op: 'test', path: '/spec/policy', value: 'weighted' }], jp);
    expect(failed.status).toBe(422);
    const smp = await call(
      'PATCH',
      `${GE}/www`,
      { spec: { ttl: 4 } },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    expect(smp.status).toBe(415);
  });
});

describe('deletion', () => {
  it('waits for finalizers, then removes; a Namespace goes with its contents', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    await call('POST', '/api/v1/namespaces/team/configmaps', {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    const deleting = await call('DELETE', '/api/v1/namespaces/team');
    expect(deleting.status).toBe(202);
    expect((deleting.body.status as JsonObject).phase).toBe('Terminating');
    const refused = await call('POST', '/api/v1/namespaces/team/configmaps', { metadata: { name: 'new' } });
    expect(refused.status).toBe(403);
    const held = await until('the ConfigMap to be marked', async () => {
      const r = await call('GET', '/api/v1/namespaces/team/configmaps/held');
      return (r.body.metadata as JsonObject).deletionTimestamp ? r : undefined;
    });
    expect(held.status).toBe(200);
    await call(
      'PATCH',
      '/api/v1/namespaces/team/configmaps/held',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await until('the namespace to go', async () => (await call('GET', '/api/v1/namespaces/team')).status === 404);
  });

  it('deletes dependents in the foreground before the owner, and orphans them when asked', async () => {
    const owner = await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: 'owner' } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: meta(owner.body).uid };
    await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: 'dep', ownerReferences: [ref] } });
    await call('DELETE', '/api/v1/namespaces/web/configmaps/owner', { propagationPolicy: 'Orphan' });
    await until(
      'the owner to go',
      async () => (await call('GET', '/api/v1/namespaces/web/configmaps/owner')).status === 404,
    );
    const orphan = await call('GET', '/api/v1/namespaces/web/configmaps/dep');
    expect((orphan.body.metadata as JsonObject).ownerReferences).toBeUndefined();

    const owner2 = await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: 'owner2' } });
    const ref2 = { ...ref, name: 'owner2', uid: meta(owner2.body).uid };
    await call('POST', '/api/v1/namespaces/web/configmaps', { metadata: { name: 'dep2', ownerReferences: [ref2] } });
    const fg = await call('DELETE', '/api/v1/namespaces/web/configmaps/owner2', { propagationPolicy: 'Foreground' });
    expect((fg.body.metadata as JsonObject).finalizers).toEqual(['foregroundDeletion']);
    await until(
      'both to go',
      async () => (await call('GET', '/api/v1/namespaces/web/configmaps/owner2')).status === 404,
    );
    expect((await call('GET', '/api/v1/namespaces/web/configmaps/dep2')).status).toBe(404);
  });
});

describe('authentication and RBAC', () => {
  it('refuses unknown tokens and checks Role rules', async () => {
    await server.close();
    const operator = serviceAccountUser('geodns', 'operator');
    server = await startWithCrds({
      rbac: true,
      tokens: { admin: { name: 'admin', groups: ['system:masters'] }, op: operator },
    });
    server.seed({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [
        { apiGroups: ['geodns.io'], resources: ['geoendpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['geodns.io'], resources: ['geoendpoints/status'], verbs: ['patch'] },
      ],
    });
    server.seed({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader', namespace: 'web' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: 'geodns' }],
    });
    expect((await call('GET', GE)).status).toBe(401);
    const as = (token: string) => ({ Authorization: `Bearer ${token}` });
    expect((await call('POST', GE, geoEndpoint('www'), as('admin'))).status).toBe(201);
    expect((await call('GET', GE, undefined, as('op'))).status).toBe(200);
    const create = await call('POST', GE, geoEndpoint('x'), as('op'));
    expect(create.status).toBe(403);
    expect(create.body.message).toBe(
      'geoendpoints.geodns.io is forbidden: User "system:serviceaccount:geodns:operator" cannot create resource "geoendpoints" in API group "geodns.io" in the namespace "web"',
    );
    const merge = { ...as('op'), 'Content-Type': 'application/merge-patch+json' };
    expect((await call('PATCH', `${GE}/www/status`, { status: { targetsSummary: '1/1' } }, merge)).status).toBe(200);
    expect((await call('PATCH', `${GE}/www`, { spec: { ttl: 1 } }, merge)).status).toBe(403);
    expect((await call('GET', '/apis/geodns.io/v1alpha1/geoendpoints', undefined, as('op'))).status).toBe(403);
  });
});

describe('faults', () => {
  it('answer 429 with Retry-After and 500 when told, then recover', async () => {
    server.faults.fail({ status: 429, count: 1, retryAfterSeconds: 2 });
    server.faults.fail({ status: 500, count: 1 });
    const throttled = await call('GET', GE);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect((await call('GET', GE)).status).toBe(500);
    expect((await call('GET', GE)).status).toBe(200);
  });

  it('delays answers, and goes away and comes back with the same data', async () => {
    await call('POST', GE, geoEndpoint('www'));
    server.faults.delayMs = 50;
    expect((await call('GET', `${GE}/www`)).status).toBe(200);
    server.faults.delayMs = 0;
    const port = server.port;
    await server.goAway();
    await expect(call('GET', `${GE}/www`)).rejects.toThrow();
    await server.comeBack();
    expect(server.port).toBe(port);
    expect((await call('GET', `${GE}/www`)).status).toBe(200);
  });
});
