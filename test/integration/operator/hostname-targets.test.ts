// A Service target behind a load balancer that publishes a hostname (as EKS's do), against the real control plane:
// `geodns operator --resolver 127.0.0.1:PORT` as a process resolves the hostname through a DNS server on loopback
// that this test runs, the published zone ConfigMap carries the addresses it answered, the GeoEndpoint says they were
// resolved, a changed answer reaches the zone at the next resolution, and a failing resolver keeps the last good
// addresses while status says why. The addresses answered are never contacted (no HealthProbe).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostnameServer } from '../../support/hostname-server.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { servedTargets } from '../../support/published-zone.ts';
import { spawnGeodns, type GeodnsProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const HOST = 'k8s-web-www-0123456789.elb.us-east-1.example.com';

let cluster: Cluster;
let dns: HostnameServer;
let child: GeodnsProcess | undefined;
let lines: Record<string, unknown>[] = [];

/** `geodns operator --resolver <the test's DNS server>` as a process; its log lines into `lines`. */
async function startOperator(): Promise<GeodnsProcess> {
  const started = spawnGeodns(
    ['operator', '--namespace', NS, '--metrics', 'off', '--log-level', 'info', '--resolver', dns.address],
    { env: { ...process.env, KUBECONFIG: cluster.operatorKubeconfig } },
  );
  const own = started.logs;
  lines = own;
  await until('the caches synced', () => own.some((l) => l.msg === 'caches synced'), { timeoutMs: 30_000 });
  return started;
}

async function stopOperator(running: GeodnsProcess): Promise<void> {
  const { code } = await running.signal('SIGTERM');
  expect(code).toBe(0);
}

beforeAll(async () => {
  [cluster, dns] = await Promise.all([startCluster({ name: 'geodns-hostname-test' }), HostnameServer.start()]);
}, 120_000);

afterAll(async () => {
  await child?.signal('SIGKILL');
  await Promise.all([cluster?.stop(), dns?.close()]);
});

async function resolvedRefs(custom: CustomObjectsApi) {
  const object = (await custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    name: 'www',
  })) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return object.status?.conditions?.find((c) => c.type === 'ResolvedRefs');
}

describe('a Service target whose load balancer publishes a hostname', () => {
  it('is served by the addresses the hostname resolves to, follows them, and keeps them while resolution fails', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    // TTL 1: the operator asks again after its minimum of 5 s.
    dns.set(HOST, { A: ['127.0.1.21'], AAAA: ['2001:db8::21'], ttl: 1 });

    child = await startOperator();

    await custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone(),
    });
    await core.createNamespacedService({
      namespace: 'web',
      body: {
        metadata: { name: 'www-lb' },
        spec: { type: 'LoadBalancer', selector: { app: 'www' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    // What the AWS load balancer controller writes: a hostname and no IP.
    const created = await core.readNamespacedService({ namespace: 'web', name: 'www-lb' });
    created.status = { loadBalancer: { ingress: [{ hostname: HOST }] } };
    await core.replaceNamespacedServiceStatus({ namespace: 'web', name: 'www-lb', body: created });
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www', {
        policy: 'failover',
        targets: [
          { name: 'eks', service: { name: 'www-lb' }, priority: 0, location: { continent: 'NA' } },
          { name: 'dc', addresses: ['198.51.100.7'], priority: 1, location: { continent: 'EU' } },
        ],
      }),
    });

    // The zone carries the addresses the hostname answered, beside the literal target.
    // The zone may go out once before the GeoEndpoint is seen; the first version with the name serves the answer.
    const first = await until('the zone ConfigMap with the name', () => servedTargets(core).catch(() => undefined), {
      accept: (targets) => targets !== undefined && Object.keys(targets).length > 0,
      timeoutMs: 30_000,
    });
    expect(first).toEqual({ dc: ['198.51.100.7'], eks: ['127.0.1.21', '2001:db8::21'] });
    const refs = await until('ResolvedRefs', () => resolvedRefs(custom), { timeoutMs: 20_000 });
    expect(refs).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    expect(refs.message).toBe(
      `all 2 target(s) resolved; target "eks": Service web/www-lb's load-balancer hostname ${HOST} resolved to ` +
        `127.0.1.21, 2001:db8::21 through ${dns.address}`,
    );

    // The load balancer's addresses change: the zone follows at the next resolution.
    dns.set(HOST, { A: ['127.0.1.22'], AAAA: [], ttl: 1 });
    await until('the zone with the new address', () => servedTargets(core), {
      accept: (t) => JSON.stringify(t.eks) === JSON.stringify(['127.0.1.22']),
      timeoutMs: 30_000,
    });

    // The resolver fails: the last good address keeps serving, and status says which hostname and why.
    dns.fail(true);
    const failing = await until(
      'ResolvedRefs saying the resolution failed',
      () => resolvedRefs(custom).then((c) => (c?.reason === 'HostnameResolutionFailed' ? c : undefined)),
      { timeoutMs: 30_000 },
    );
    expect(failing.message).toContain(`hostname ${HOST} could not be resolved through ${dns.address}:`);
    expect(failing.message).toContain(`ESERVFAIL ${HOST}`);
    expect(failing.message).toContain('serving its last good addresses 127.0.1.22');
    expect((await servedTargets(core)).eks).toEqual(['127.0.1.22']);
    expect(lines.some((l) => l.msg === 'load-balancer hostname not resolved' && l.hostname === HOST)).toBe(true);

    // A restarted operator whose resolver fails from the start keeps what the published zone serves.
    await stopOperator(child);
    child = await startOperator();
    await until('the new operator failing to resolve', () =>
      lines.some((l) => l.msg === 'load-balancer hostname not resolved' && l.hostname === HOST),
    );
    const restarted = await until(
      'ResolvedRefs from the new operator',
      // Its message differs from the last one: the addresses were read back now, not resolved then.
      () => resolvedRefs(custom).then((c) => (c && c.message !== failing.message ? c : undefined)),
      { timeoutMs: 30_000 },
    );
    expect(restarted.reason).toBe('HostnameResolutionFailed');
    expect(restarted.message).toContain('serving its last good addresses 127.0.1.22');
    expect((await servedTargets(core)).eks).toEqual(['127.0.1.22']);

    // It answers again: status is back to resolved.
    dns.fail(false);
    await until('ResolvedRefs resolved again', () => resolvedRefs(custom), {
      accept: (c) => c?.status === 'True',
      timeoutMs: 30_000,
    });
    await stopOperator(child);
  }, 180_000);
});
