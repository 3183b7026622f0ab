// Two `geodns operator --leader-elect` processes against the real kube-apiserver, each with the operator's own
// ServiceAccount token: one leads and writes, the other stands by; when the leader is killed (no release) the
// standby takes over the real Lease after its duration and writes resume. Short lease timings keep the test quick.
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDocuments, zoneConfigMapName } from '../../../api/configmaps.ts';
import type { CompiledZone } from '../../../api/compiled.ts';
import { geoEndpoint } from '../../support/objects.ts';
import { until } from '../../support/until.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { spawnGeodns, type GeodnsProcess } from '../../support/serve.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };

let cluster: Cluster;
let core: CoreV1Api;
let custom: CustomObjectsApi;
const operators: GeodnsProcess[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-leader-test' });
  await cluster.plane.kubectl(['apply', '-f', 'examples/cluster/zone.yaml']);
  core = cluster.admin.makeApiClient(CoreV1Api);
  custom = cluster.admin.makeApiClient(CustomObjectsApi);
}, 120_000);

afterAll(async () => {
  for (const operator of operators) await operator.signal('SIGKILL');
  await cluster?.stop();
});

function startOperator(): GeodnsProcess {
  const operator = spawnGeodns([
    'operator',
    '--kubeconfig',
    cluster.operatorKubeconfig,
    '--namespace',
    NS,
    '--metrics',
    'off',
    '--leader-elect',
    '--lease-duration',
    '1.5',
    '--renew-deadline',
    '1',
    '--retry-period',
    '0.2',
  ]);
  operators.push(operator);
  return operator;
}

const leads = (o: GeodnsProcess): boolean => o.logs.some((l) => l.msg === 'leading: publishing and probing');

async function applyEndpoint(name: string): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    body: geoEndpoint(name),
  });
}

async function routedNames(): Promise<string[]> {
  try {
    const cm = await core.readNamespacedConfigMap({ namespace: NS, name: zoneConfigMapName('geo-example') });
    const text = decodeDocuments({ data: cm.data, binaryData: cm.binaryData }).documents.get('geo.example.com.json');
    return text ? (JSON.parse(text) as CompiledZone).routed.map((r) => r.name) : [];
  } catch {
    return [];
  }
}

async function lease() {
  const object = await cluster.admin
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ namespace: NS, name: 'geodns-operator' });
  return object.spec ?? {};
}

describe('geodns operator --leader-elect', () => {
  it('has one leader; a killed leader is replaced and writes resume', async () => {
    const a = startOperator();
    const b = startOperator();
    await applyEndpoint('www');
    const leader = await until('a leader', () => [a, b].find(leads));
    const standby = leader === a ? b : a;
    await until('the leader publishes', async () => (await routedNames()).includes('www.geo.example.com'));
    await until('the standby synced', () => standby.logs.some((l) => l.msg === 'caches synced'));
    expect(leads(standby)).toBe(false);
    const first = await lease();
    expect(first.holderIdentity).toBeTruthy();

    await leader.signal('SIGKILL'); // a crash: the Lease is not released
    await applyEndpoint('api');
    await until('the standby leads', () => leads(standby), { timeoutMs: 15_000 });
    await until(
      'the new leader publishes the change',
      async () => (await routedNames()).includes('api.geo.example.com'),
      { timeoutMs: 15_000 },
    );
    expect(standby.child.exitCode).toBeNull();
    // The real Lease, as the server stores it, names the new holder and counts the transition.
    const second = await lease();
    expect(second.holderIdentity).toBeTruthy();
    expect(second.holderIdentity).not.toBe(first.holderIdentity);
    expect(second.leaseTransitions).toBe((first.leaseTransitions ?? 0) + 1);
    expect(second.leaseDurationSeconds).toBe(2);
  });
});
