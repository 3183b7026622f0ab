// The request counter: every request by user, verb and resource, refused ones too; all HTTP requests in total.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWrite } from './requests.ts';
import { ApiServer } from './server.ts';

let server: ApiServer;

beforeEach(async () => {
  server = await ApiServer.start({
    rbac: true,
    tokens: {
      admin: { name: 'admin', groups: ['system:masters', 'system:authenticated'] },
      nobody: { name: 'nobody', groups: ['system:authenticated'] },
    },
  });
});

afterEach(async () => {
  await server.close();
});

function core(token: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig(token));
  return kc.makeApiClient(CoreV1Api);
}

describe('request counter', () => {
  it('counts requests by user, verb, resource and subresource, refused ones included', async () => {
    const admin = core('admin');
    const body = { metadata: { name: 'a' }, data: { k: 'v' } };
    await admin.createNamespacedConfigMap({ namespace: 'default', body });
    await admin.readNamespacedConfigMap({ namespace: 'default', name: 'a' });
    await admin.replaceNamespacedConfigMap({ namespace: 'default', name: 'a', body: { ...body, data: { k: 'w' } } });
    await admin.listNamespacedConfigMap({ namespace: 'default' });
    await admin.createNamespacedService({ namespace: 'default', body: { metadata: { name: 's' }, spec: {} } });
    await admin.readNamespacedServiceStatus({ namespace: 'default', name: 's' });
    await expect(core('nobody').listNamespacedConfigMap({ namespace: 'default' })).rejects.toThrow();
    const before = server.requests.total;
    await fetch(`${server.url}/version`);
    expect(server.requests.total).toBe(before + 1);

    const { requests } = server;
    expect(requests.count({ user: 'admin', resource: 'configmaps' })).toBe(4);
    expect(requests.count({ verb: 'update', resource: 'configmaps' })).toBe(1);
    expect(requests.count({ verb: 'list', resource: 'configmaps' })).toBe(2);
    expect(requests.count({ user: 'nobody' })).toBe(1);
    expect(requests.count({ resource: 'services', subresource: 'status' })).toBe(1);
    expect(requests.count({ resource: 'services' })).toBe(2);
    expect(requests.entries()).toContainEqual({
      user: 'admin',
      verb: 'create',
      group: '',
      resource: 'configmaps',
      subresource: '',
      count: 1,
    });
    expect(requests.entries().filter((e) => isWrite(e.verb))).toHaveLength(3);
    expect(requests.total).toBeGreaterThanOrEqual(requests.count() + 1);

    requests.reset();
    expect(requests.total).toBe(0);
    expect(requests.entries()).toEqual([]);
  });
});
