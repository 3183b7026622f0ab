// Targets from an Ingress, a Gateway API Gateway and another namespace's Service, against the real control plane with
// the operator's own ServiceAccount token (deploy/rbac/operator.yaml). First without the Gateway API CRDs: the
// operator syncs all the same, an Ingress target is served (its IP and what its hostname resolves to, through a DNS
// server on loopback that this test runs), a Gateway target says KindNotInstalled and another namespace's Service
// RefNotPermitted, and the rest is served. Then the Gateway API CRDs (test/fixtures/gateway-api/, the fields we read)
// are installed while it runs: the Gateway kind is found, a ReferenceGrant lets the other namespace's objects in, and
// deleting it takes them out again; examples/targets/ is valid there. Last, an operator whose RBAC lacks the Gateway
// API's kinds syncs all the same and says KindForbidden. Every address here is written by the test and never
// contacted (no HealthProbe).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import { HostnameServer } from '../../support/hostname-server.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { patchStatus, startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { endpointStatus, resolvedRefs, servedTargets } from '../../support/published-zone.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const INGRESS_HOST = 'k8s-web-www-0123456789.elb.eu-west-1.example.com';
const GATEWAY_HOST = 'edge-0123456789.lb.example.net';

let cluster: Cluster;
let dns: HostnameServer;
let operator: Operator | undefined;
const metrics = new OperatorMetrics();

beforeAll(async () => {
  [cluster, dns] = await Promise.all([startCluster({ name: 'geodns-target-kinds-test' }), HostnameServer.start()]);
  await cluster.plane.kubectl(['create', 'namespace', 'infra']);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await Promise.all([cluster?.stop(), dns?.close()]);
});

async function apply(object: Record<string, unknown>): Promise<void> {
  await cluster.plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) });
}

/** Sets an object's status as its controller would (an ingress controller, a Gateway implementation, a cloud). */
async function resolutions(result: string): Promise<number> {
  const values = (await metrics.hostnameResolutions.get()).values;
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe('targets from Ingresses, Gateways and other namespaces', () => {
  it('without the Gateway API CRDs: syncs, serves the Ingress, says KindNotInstalled and RefNotPermitted', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    dns.set(INGRESS_HOST, { A: ['198.51.100.31'], ttl: 300 });
    dns.set(GATEWAY_HOST, { AAAA: ['2001:db8::51'], ttl: 300 });

    operator = new Operator({
      kubeConfig: cluster.operator,
      namespace: NS,
      log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      metrics,
      resolvers: [dns.address],
      kindRecheckMs: 300,
    });
    void operator.start();
    await until('the caches synced without the Gateway API', () => operator?.synced === true, { timeoutMs: 60_000 });

    await custom.createClusterCustomObject({ ...GROUP, plural: 'geozones', body: geoZone() });
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'www', namespace: 'web' },
      spec: { defaultBackend: { service: { name: 'www', port: { number: 80 } } } },
    });
    await patchStatus(cluster, 'ingress', 'web', 'www', {
      loadBalancer: { ingress: [{ ip: '192.0.2.31' }, { hostname: INGRESS_HOST }] },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shared', namespace: 'infra' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await patchStatus(cluster, 'service', 'infra', 'shared', { loadBalancer: { ingress: [{ ip: '192.0.2.41' }] } });
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www', {
        policy: 'multivalue',
        targets: [
          { name: 'dc', addresses: ['203.0.113.7'] },
          { name: 'edge', gateway: { name: 'edge', namespace: 'infra' } },
          { name: 'ing', ingress: { name: 'www' } },
          { name: 'shared', service: { name: 'shared', namespace: 'infra' } },
        ],
      }),
    });

    const served = await until('the zone with the Ingress target', () => servedTargets(core).catch(() => undefined), {
      accept: (t) => t?.ing !== undefined,
      timeoutMs: 60_000,
    });
    expect(served).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31', '198.51.100.31'] });
    const status = await until('status naming the sources', () => endpointStatus(custom), {
      accept: (s) => s.targets?.length === 2 && resolvedRefs(s) !== undefined,
      timeoutMs: 60_000,
    });
    expect(status.targets).toEqual([
      { name: 'dc', source: 'addresses', addresses: ['203.0.113.7'] },
      { name: 'ing', source: 'Ingress web/www', addresses: ['192.0.2.31', '198.51.100.31'] },
    ]);
    const refs = resolvedRefs(status);
    expect(refs).toMatchObject({ status: 'False', reason: 'KindNotInstalled' });
    expect(refs?.message).toContain(
      'target "edge": Gateway infra/edge cannot be read: the gateway.networking.k8s.io Gateway kind is not installed',
    );
    expect(refs?.message).toContain(
      'target "shared": Service infra/shared is in another namespace and no ReferenceGrant in namespace infra allows it',
    );
    expect(refs?.message).toContain(
      '(the gateway.networking.k8s.io ReferenceGrant kind is not installed in this cluster)',
    );
    expect(refs?.message).toContain(
      `target "ing": Ingress web/www's load-balancer hostname ${INGRESS_HOST} resolved to 198.51.100.31 through ${dns.address}`,
    );
    // The Ingress's hostname was resolved through the operator's resolver, and counted; the others were never asked.
    expect(await resolutions('ok')).toBeGreaterThanOrEqual(1);
    expect(dns.asked.some((q) => q.includes(GATEWAY_HOST))).toBe(false);
  }, 240_000);

  it('with the Gateway API CRDs installed while it runs: a ReferenceGrant lets other namespaces in, and out again', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    await cluster.plane.kubectl(['apply', '-f', 'test/fixtures/gateway-api/']);
    await cluster.plane.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      '-f',
      'test/fixtures/gateway-api/',
    ]);
    await until(
      'the Gateway kind served to the test',
      () => cluster.plane.kubectl(['get', 'gateways,referencegrants', '-A']).then(() => true),
      { timeoutMs: 60_000 },
    );
    // The example applies as it is to a cluster with the Gateway API (server-side validation, nothing stored).
    await cluster.plane.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', 'examples/targets/']);
    await apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: 'infra' },
      spec: { gatewayClassName: 'example', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    await patchStatus(cluster, 'gateway', 'infra', 'edge', {
      addresses: [
        { type: 'IPAddress', value: '192.0.2.51' },
        { type: 'Hostname', value: GATEWAY_HOST },
        { type: 'example.com/pool', value: 'blue' },
      ],
    });

    // Both kinds are found (each on its own recheck): the Gateway target is now refused for want of a grant, not
    // for a missing CRD.
    const refused = await until('RefNotPermitted for the Gateway', () => endpointStatus(custom).then(resolvedRefs), {
      accept: (c) => c?.reason === 'RefNotPermitted' && !c.message.includes('not installed'),
      timeoutMs: 60_000,
    });
    expect(refused?.message).toContain(
      'target "edge": Gateway infra/edge is in another namespace and no ReferenceGrant in namespace infra allows it: ' +
        'one with from {group: geodns.io, kind: GeoEndpoint, namespace: web} and ' +
        'to {group: gateway.networking.k8s.io, kind: Gateway, name: edge}',
    );

    const grant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'geodns-web', namespace: 'infra' },
      spec: {
        from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' }],
        to: [
          { group: '', kind: 'Service', name: 'shared' },
          { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
        ],
      },
    };
    await apply(grant);
    const all = await until('the zone with every target', () => servedTargets(core), {
      accept: (t) => Object.keys(t).length === 4,
      timeoutMs: 60_000,
    });
    expect(all).toEqual({
      dc: ['203.0.113.7'],
      edge: ['192.0.2.51', '2001:db8::51'],
      ing: ['192.0.2.31', '198.51.100.31'],
      shared: ['192.0.2.41'],
    });
    const status = await until('ResolvedRefs True', () => endpointStatus(custom), {
      accept: (s) => resolvedRefs(s)?.status === 'True' && s.targets?.length === 4,
      timeoutMs: 60_000,
    });
    expect(status.targets?.map((t) => `${t.name} ← ${t.source}`)).toEqual([
      'dc ← addresses',
      'edge ← Gateway infra/edge',
      'ing ← Ingress web/www',
      'shared ← Service infra/shared',
    ]);

    // The namespace's owner withdraws the grant: those targets leave, the rest keeps serving.
    await cluster.plane.kubectl(['delete', 'referencegrant', 'geodns-web', '-n', 'infra']);
    const after = await until('the zone without the other namespace', () => servedTargets(core), {
      accept: (t) => Object.keys(t).length === 2,
      timeoutMs: 60_000,
    });
    expect(after).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31', '198.51.100.31'] });
    const withdrawn = await until('RefNotPermitted again', () => endpointStatus(custom).then(resolvedRefs), {
      accept: (c) => c?.reason === 'RefNotPermitted',
      timeoutMs: 60_000,
    });
    expect(withdrawn?.message).toContain('target "shared": Service infra/shared is in another namespace');
    expect(withdrawn?.message).toContain('target "edge": Gateway infra/edge is in another namespace');
  }, 240_000);

  it('without RBAC to read the Gateway API kinds: syncs, says KindForbidden, serves the rest', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    await operator?.stop();
    operator = undefined;
    // RBAC that predates these kinds: the operator's ClusterRole without its gateway.networking.k8s.io rule.
    const role = JSON.parse(
      (await cluster.plane.kubectl(['get', 'clusterrole', 'geodns-operator', '-o', 'json'])).stdout,
    ) as {
      rules: { apiGroups?: string[] }[];
    };
    role.rules = role.rules.filter((r) => !r.apiGroups?.includes('gateway.networking.k8s.io'));
    await cluster.plane.kubectl(['replace', '-f', '-'], { input: JSON.stringify(role) });
    try {
      operator = new Operator({
        kubeConfig: cluster.operator,
        namespace: NS,
        log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
        metrics: new OperatorMetrics(),
        resolvers: [dns.address],
        kindRecheckMs: 300,
      });
      void operator.start();
      await until('the caches synced without RBAC for the Gateway API', () => operator?.synced === true, {
        timeoutMs: 60_000,
      });
      const refs = await until('KindForbidden for the Gateway', () => endpointStatus(custom).then(resolvedRefs), {
        accept: (c) => c?.reason === 'KindForbidden',
        timeoutMs: 60_000,
      });
      expect(refs?.message).toContain(
        'target "edge": Gateway infra/edge cannot be read: the operator is not allowed to list gateway.networking.k8s.io Gateway objects',
      );
      expect(await servedTargets(core)).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31', '198.51.100.31'] });
    } finally {
      await cluster.plane.kubectl(['apply', '-f', 'deploy/rbac/']);
    }
  }, 240_000);
});
