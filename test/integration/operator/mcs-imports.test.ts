// Remote Services from the Kubernetes Multi-Cluster Services API, against the real control plane with the operator's
// own ServiceAccount token (deploy/rbac/operator.yaml). First without an MCS implementation's CRD: the operator syncs
// all the same, says so only at debug level, and a target whose Service is not here is ServiceNotFound. Then the
// ServiceImport CRD (test/fixtures/crds/, sigs.k8s.io/mcs-api v0.3.0) is installed while it runs, and the test plays
// the MCS implementation: a ServiceImport and the EndpointSlices it imports (labelled
// multicluster.kubernetes.io/service-name and source-cluster) make the target served with their ready endpoints'
// addresses, both families, its status naming the import; endpoints turning not ready take the target down through
// the health table; a local Service of the same name then wins. Last, an operator whose RBAC lacks ServiceImports
// syncs all the same, warns once and serves as without MCS. Every address here is written by the test and never
// contacted (TEST-NET, no HealthProbe).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_CONFIGMAP, HEALTH_KEY } from '../../../api/configmaps.ts';
import type { HealthTable } from '../../../api/health.ts';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { patchStatus, startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { endpointStatus, resolvedRefs, servedTargets, type EndpointStatus } from '../../support/published-zone.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const CRD = 'test/fixtures/crds/mcs-serviceimport.yaml';
const MCS_LABELS = {
  'multicluster.kubernetes.io/service-name': 'www-eu',
  'multicluster.kubernetes.io/source-cluster': 'eu',
  // The MCS implementation's, so that the EndpointSlice controller leaves these slices alone.
  'endpointslice.kubernetes.io/managed-by': 'mcs-controller.example.com',
};

let cluster: Cluster;
let operator: Operator | undefined;
const lines: { level: number; msg: string; kind?: string }[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-mcs-test' });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

async function apply(object: Record<string, unknown>): Promise<void> {
  await cluster.plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) });
}

/** The published health table's entry for target `id` (a target it does not list is up). */
async function health(core: CoreV1Api, id: string): Promise<{ up: boolean; reason?: string }> {
  const cm = await core.readNamespacedConfigMap({ namespace: NS, name: HEALTH_CONFIGMAP });
  const table = JSON.parse(cm.data?.[HEALTH_KEY] ?? '{}') as HealthTable;
  return table.targets?.[id] ?? { up: true };
}

const sourceOf = (status: EndpointStatus, name: string) => status.targets?.find((t) => t.name === name)?.source;

/** An EndpointSlice as an MCS implementation imports it: one endpoint of cluster eu. */
function importedSlice(family: 'IPv4' | 'IPv6', address: string, ready: boolean): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `imported-www-eu-${family.toLowerCase()}`, namespace: 'web', labels: MCS_LABELS },
    addressType: family,
    endpoints: [{ addresses: [address], conditions: { ready } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe('remote Services from the Multi-Cluster Services API', () => {
  it('without the ServiceImport CRD: syncs, logs it at debug level only, and the missing Service is not found', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    operator = new Operator({
      kubeConfig: cluster.operator,
      namespace: NS,
      log,
      metrics: new OperatorMetrics(),
      kindRecheckMs: 300,
    });
    void operator.start();
    await until('the caches synced without MCS', () => operator?.synced === true, { timeoutMs: 60_000 });

    await custom.createClusterCustomObject({ ...GROUP, plural: 'geozones', body: geoZone() });
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www', {
        policy: 'multivalue',
        targets: [
          { name: 'dc', addresses: ['203.0.113.7'] },
          { name: 'eu', service: { name: 'www-eu' } },
        ],
      }),
    });
    const served = await until(
      'the zone without the remote Service',
      () => servedTargets(core).catch(() => undefined),
      {
        accept: (t) => t?.dc !== undefined,
        timeoutMs: 60_000,
      },
    );
    expect(served).toEqual({ dc: ['203.0.113.7'] });
    const refs = await until('ResolvedRefs', () => endpointStatus(custom).then(resolvedRefs), {
      accept: (c) => c !== undefined,
      timeoutMs: 60_000,
    });
    expect(refs).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(refs?.message).toContain('target "eu": Service web/www-eu not found');

    const about = lines.filter((l) => l.kind === 'ServiceImport');
    expect(about.length).toBeGreaterThan(0);
    expect(about.every((l) => l.level === 20 && l.msg.includes('is not served (its CRD is not installed)'))).toBe(true);
  }, 240_000);

  it('with the CRD installed while it runs: serves the import, follows its readiness, and yields to a local Service', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    await cluster.plane.kubectl(['apply', '-f', CRD]);
    await cluster.plane.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', CRD]);
    await until(
      'the ServiceImport kind served to the test',
      () => cluster.plane.kubectl(['get', 'serviceimports', '-A']).then(() => true),
      { timeoutMs: 60_000 },
    );
    await apply({
      apiVersion: 'multicluster.x-k8s.io/v1alpha1',
      kind: 'ServiceImport',
      metadata: { name: 'www-eu', namespace: 'web' },
      spec: { type: 'ClusterSetIP', ips: ['198.51.100.10'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    await patchStatus(cluster, 'serviceimport', 'web', 'www-eu', { clusters: [{ cluster: 'eu' }] });
    await apply(importedSlice('IPv4', '192.0.2.81', true));
    await apply(importedSlice('IPv6', '2001:db8::81', true));

    const served = await until('the zone with the imported Service', () => servedTargets(core), {
      accept: (t) => t.eu?.length === 2,
      timeoutMs: 60_000,
    });
    expect(served).toEqual({ dc: ['203.0.113.7'], eu: ['192.0.2.81', '2001:db8::81'] });
    const status = await until('status naming the import', () => endpointStatus(custom), {
      accept: (s) => resolvedRefs(s)?.status === 'True' && s.targets?.length === 2,
      timeoutMs: 60_000,
    });
    expect(sourceOf(status, 'eu')).toBe('ServiceImport web/www-eu (clusters: eu)');
    expect(await health(core, 'web/www/eu')).toMatchObject({ up: true });

    // The exporting cluster's endpoints turn not ready: the target goes down (its addresses kept, as a Service's).
    await apply(importedSlice('IPv4', '192.0.2.81', false));
    await apply(importedSlice('IPv6', '2001:db8::81', false));
    const down = await until('the imported target down', () => health(core, 'web/www/eu'), {
      accept: (h) => !h.up,
      timeoutMs: 60_000,
    });
    expect(down.reason).toBe('ServiceImport web/www-eu (clusters: eu) has no ready endpoints');
    expect(await servedTargets(core)).toEqual({ dc: ['203.0.113.7'], eu: ['192.0.2.81', '2001:db8::81'] });

    // One ready again: up, with that endpoint's address alone.
    await apply(importedSlice('IPv6', '2001:db8::81', true));
    await until('the ready endpoint alone', () => servedTargets(core), {
      accept: (t) => t.eu?.length === 1 && t.eu[0] === '2001:db8::81',
      timeoutMs: 60_000,
    });
    await until('the imported target up', () => health(core, 'web/www/eu'), { accept: (h) => h.up, timeoutMs: 60_000 });

    // A local Service of the same name appears: this cluster's own view wins over the import.
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'www-eu', namespace: 'web' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await patchStatus(cluster, 'service', 'web', 'www-eu', { loadBalancer: { ingress: [{ ip: '192.0.2.41' }] } });
    const local = await until('the local Service served', () => servedTargets(core), {
      accept: (t) => t.eu?.[0] === '192.0.2.41',
      timeoutMs: 60_000,
    });
    expect(local).toEqual({ dc: ['203.0.113.7'], eu: ['192.0.2.41'] });
    const after = await until('status naming the local Service', () => endpointStatus(custom), {
      accept: (s) => sourceOf(s, 'eu') === 'Service web/www-eu',
      timeoutMs: 60_000,
    });
    expect(after.targets?.find((t) => t.name === 'eu')?.addresses).toEqual(['192.0.2.41']);
  }, 240_000);

  it('without RBAC to list ServiceImports: syncs, warns once, and does as without MCS', async () => {
    const core = cluster.admin.makeApiClient(CoreV1Api);
    const custom = cluster.admin.makeApiClient(CustomObjectsApi);
    await operator?.stop();
    operator = undefined;
    await cluster.plane.kubectl(['delete', 'service', 'www-eu', '-n', 'web']);
    // RBAC that predates MCS: the operator's ClusterRole without its multicluster.x-k8s.io rule.
    const role = JSON.parse(
      (await cluster.plane.kubectl(['get', 'clusterrole', 'geodns-operator', '-o', 'json'])).stdout,
    ) as { rules: { apiGroups?: string[] }[] };
    role.rules = role.rules.filter((r) => !r.apiGroups?.includes('multicluster.x-k8s.io'));
    await cluster.plane.kubectl(['replace', '-f', '-'], { input: JSON.stringify(role) });
    const warned: { level: number; msg: string; kind?: string }[] = [];
    try {
      operator = new Operator({
        kubeConfig: cluster.operator,
        namespace: NS,
        log: pino({ level: 'info' }, { write: (line: string) => void warned.push(JSON.parse(line)) }),
        metrics: new OperatorMetrics(),
        kindRecheckMs: 300,
      });
      void operator.start();
      await until('the caches synced without RBAC for MCS', () => operator?.synced === true, { timeoutMs: 60_000 });
      const refs = await until('ServiceNotFound again', () => endpointStatus(custom).then(resolvedRefs), {
        accept: (c) => c?.reason === 'ServiceNotFound',
        timeoutMs: 60_000,
      });
      expect(refs?.message).toContain('target "eu": Service web/www-eu not found');
      const zone = await until('the zone without the import', () => servedTargets(core), {
        accept: (t) => t.eu === undefined,
        timeoutMs: 60_000,
      });
      expect(zone).toEqual({ dc: ['203.0.113.7'] });
      const about = warned.filter((l) => l.kind === 'ServiceImport');
      expect(about).toHaveLength(1);
      expect(about[0]).toMatchObject({ level: 40 });
      expect(about[0]?.msg).toContain("not allowed to be listed (the operator's RBAC lacks list/watch on it)");
    } finally {
      await cluster.plane.kubectl(['apply', '-f', 'deploy/rbac/']);
    }
  }, 240_000);
});
