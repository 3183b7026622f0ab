// The real control plane the cluster suites run on: what it promises them (the pinned version, RBAC with real
// ServiceAccount tokens, Pods without a kubelet turned into EndpointSlices by the real controller, a pod host the
// operator can reach, etcd compaction, a clean stop).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AuthenticationV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../support/until.ts';
import { ControlPlane, startControlPlane } from '../../../../tools/control-plane/control-plane.ts';
import { PodHost } from '../../../../tools/control-plane/pod-host.ts';
import { createPod, setPodReady, uncontactedAddress } from '../../../../tools/control-plane/pods.ts';

const run = promisify(execFile);
let plane: ControlPlane;
let core: CoreV1Api;

beforeAll(async () => {
  plane = await startControlPlane({ name: 'geodns-cp-test' });
  core = plane.admin().makeApiClient(CoreV1Api);
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

const versions = async () => (await run('bash', ['scripts/kube/build-binaries.sh', '--print-versions'])).stdout;

describe('the real control plane', { timeout: 60_000 }, () => {
  it('reports the pinned Kubernetes version on /version', async () => {
    const info = await plane.admin().makeApiClient(VersionApi).getCode();
    const pinned = /kubernetes=(v\S+)/.exec(await versions())![1]!;
    expect(info.gitVersion).toBe(pinned);
    expect(`v${info.major}.${info.minor}`).toBe(pinned.split('.').slice(0, 2).join('.'));
  });

  it('gives a ServiceAccount a real token that has exactly the RBAC bound to it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'rbac-check' } } });
    await core.createNamespacedServiceAccount({ namespace: 'rbac-check', body: { metadata: { name: 'reader' } } });
    await plane.kubectl(['create', 'role', 'reader', '-n', 'rbac-check', '--verb=get,list', '--resource=configmaps']);
    await plane.kubectl([
      'create',
      'rolebinding',
      'reader',
      '-n',
      'rbac-check',
      '--role=reader',
      '--serviceaccount=rbac-check:reader',
    ]);
    const file = await plane.serviceAccountKubeconfig('rbac-check', 'reader', `${plane.dir}/reader.kubeconfig`);
    const config = new KubeConfig();
    config.loadFromFile(file);
    const reader = config.makeApiClient(CoreV1Api);
    await expect(reader.listNamespacedConfigMap({ namespace: 'rbac-check' })).resolves.toBeDefined();
    await expect(reader.listNamespacedSecret({ namespace: 'rbac-check' })).rejects.toMatchObject({ code: 403 });
    const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('system:serviceaccount:rbac-check:reader');
  });

  it('turns Pods whose status a test sets into EndpointSlices, through the real controller', async () => {
    await core.createNamespace({ body: { metadata: { name: 'slices' } } });
    await core.createNamespacedService({
      namespace: 'slices',
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    await createPod(core, {
      namespace: 'slices',
      name: 'web-1',
      labels: { app: 'web' },
      ip: uncontactedAddress(1),
      ready: true,
    });
    const discovery = plane.admin().makeApiClient(DiscoveryV1Api);
    const readyOf = async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: 'slices',
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const endpoint = slices.items
        .flatMap((s) => s.endpoints)
        .find((e) => e?.addresses.includes(uncontactedAddress(1)));
      return endpoint?.conditions?.ready;
    };
    await until('a ready endpoint', async () => (await readyOf()) === true, { timeoutMs: 30_000 });
    await setPodReady(core, 'slices', 'web-1', false);
    await until('the endpoint not ready', async () => (await readyOf()) === false, { timeoutMs: 30_000 });
  });

  it('refuses a loopback address in an EndpointSlice (why pods that are contacted live on pod hosts)', async () => {
    const discovery = plane.admin().makeApiClient(DiscoveryV1Api);
    await expect(
      discovery.createNamespacedEndpointSlice({
        namespace: 'default',
        body: {
          metadata: { name: 'loopback' },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['127.0.0.1'] }],
        },
      }),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('lets a process on a pod host reach the API server with its token, through the host forwarder', async () => {
    const host = await PodHost.create();
    try {
      const port = await host.forward(plane.apiPort);
      const file = await plane.serviceAccountKubeconfig('default', 'default', `${plane.dir}/pod.kubeconfig`, {
        server: `https://${host.gateway}:${port}`,
      });
      // The process sees only its namespace's loopback and the pod host's link: the API server is reached through
      // the gateway, with the TLS name of the serving certificate.
      const script = `
        import { KubeConfig, AuthenticationV1Api } from '@kubernetes/client-node';
        const config = new KubeConfig();
        config.loadFromFile(${JSON.stringify(file)});
        const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
        console.log(review.status.userInfo.username);`;
      const child = host.spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() });
      let out = '';
      let err = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      await new Promise((resolve) => child.on('exit', resolve));
      expect(out.trim(), err).toBe('system:serviceaccount:default:default');
    } finally {
      await host.remove();
    }
  });

  it('compacts etcd history', async () => {
    const before = await plane.etcdRevision();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'bump' } } });
    const compacted = await plane.compactEtcd();
    expect(compacted).toBeGreaterThan(before);
  });
});

describe('stopping', () => {
  it('ends every process it started and removes its folder', async () => {
    const other = await startControlPlane({ name: 'geodns-cp-stop' });
    const { dir } = other;
    const pids = (await run('pgrep', ['-f', dir])).stdout.trim().split('\n').filter(Boolean);
    expect(pids.length).toBe(3);
    await other.stop();
    await expect(run('pgrep', ['-f', dir])).rejects.toMatchObject({ code: 1 });
    const { existsSync } = await import('node:fs');
    expect(existsSync(dir)).toBe(false);
  }, 120_000);
});

describe('the audit log', () => {
  it('records each request with its user, verb and resource', async () => {
    const audited = await startControlPlane({ name: 'geodns-cp-audit', audit: true });
    try {
      const core = audited.admin().makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'audited' } } });
      const mine = (await audited.requests()).filter((r) => r.resource === 'configmaps' && r.name === 'audited');
      expect(mine).toEqual([expect.objectContaining({ user: 'admin', verb: 'create', code: 201 })]);
      expect(mine[0]!.serverMs).toBeGreaterThan(0);
    } finally {
      await audited.stop();
    }
  }, 120_000);
});
