// Two clusters that share health, each a real control plane (kube-apiserver, etcd, kube-controller-manager) with
// its operator running under its own ServiceAccount token: the same GeoZone and GeoEndpoint in both, the EU
// Service only in cluster eu and the US one only in cluster us. Each operator serves its documents on a loopback
// peer listener and polls the other: cluster us serves the EU target's addresses with the EU Service's readiness,
// keeps them when the eu operator stops (the peer turns stale: condition and metric), and rejects and counts what
// a key it does not share signs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_CONFIGMAP } from '../../../../api/configmaps.ts';
import type { HealthTable } from '../../../../api/health.ts';
import { OperatorMetrics } from '../../../../operator/observability/metrics.ts';
import { Operator } from '../../../../operator/operator.ts';
import {
  CLUSTER_HEADER,
  documentContext,
  encodeDocument,
  PEER_PATH_PREFIX,
  requestContext,
  signHeaders,
} from '../../../../operator/peers/protocol.ts';
import { createPod, setPodReady } from '../../../../tools/control-plane/pods.ts';
import { geoEndpoint, geoZone } from '../../../support/objects.ts';
import { startCluster, type Cluster } from '../../../support/operator-cluster.ts';
import { geoExampleDocument, servedTargets } from '../../../support/published-zone.ts';
import { SYSTEM_NAMESPACE } from '../../../support/suite-plane.ts';
import { until } from '../../../support/until.ts';

const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const KEY = 'a shared key of at least 32 bytes, the same everywhere';
const WRONG_KEY = 'another key of at least 32 bytes, shared with nobody';
const EU_ADDRESS = '192.0.2.80';
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const US_ADDRESS = '198.51.100.80';

interface Side {
  name: 'eu' | 'us';
  cluster: Cluster;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  metrics: OperatorMetrics;
  operator: Operator;
  url: string;
}

const sides: Side[] = [];
let fakePeer: Server | undefined;

async function startSide(name: 'eu' | 'us'): Promise<Side> {
  const cluster = await startCluster({ name: `geodns-peers-${name}` });
  const core = cluster.admin.makeApiClient(CoreV1Api);
  const custom = cluster.admin.makeApiClient(CustomObjectsApi);
  await core.createNamespacedSecret({
    namespace: SYSTEM_NAMESPACE,
    body: { metadata: { name: 'geodns-peers' }, stringData: { key: KEY } },
  });
  const started = startOperator(name, cluster);
  const address = await until(`the ${name} peer listener`, () => started.operator.peerAddress);
  const side: Side = { name, cluster, core, custom, ...started, url: `http://127.0.0.1:${address.port}` };
  sides.push(side);
  return side;
}

function startOperator(name: string, cluster: Cluster): { operator: Operator; metrics: OperatorMetrics } {
  const metrics = new OperatorMetrics();
  const operator = new Operator({
    kubeConfig: cluster.operator,
    namespace: SYSTEM_NAMESPACE,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }).child({ cluster: name }),
    metrics,
    healthCoalesceMs: 20,
    peers: { cluster: name, listen: { host: '127.0.0.1', port: 0 }, intervalMs: 200 },
  });
  void operator.start();
  return { operator, metrics };
}

/** A LoadBalancer Service with one Pod (at an address nothing contacts) whose readiness the test sets. */
async function applyService(side: Side, name: string, ip: string): Promise<void> {
  await side.core.createNamespacedService({
    namespace: 'web',
    body: {
      metadata: { name },
      spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  const created = await side.core.readNamespacedService({ namespace: 'web', name });
  created.status = { loadBalancer: { ingress: [{ ip }] } };
  await side.core.replaceNamespacedServiceStatus({ namespace: 'web', name, body: created });
  await createPod(side.core, {
    namespace: 'web',
    name: `${name}-0`,
    labels: { app: name },
    ip: '192.0.2.10',
    ready: true,
  });
}

/** Whether the published health table has target `id` up (a target it does not list is up). */
async function health(side: Side, id: string): Promise<boolean> {
  const cm = await side.core.readNamespacedConfigMap({ namespace: SYSTEM_NAMESPACE, name: HEALTH_CONFIGMAP });
  const table = JSON.parse(cm.data?.['health.json'] ?? '') as HealthTable;
  return table.targets[id]?.up !== false;
}

type Conditions = { type: string; status: string; reason: string; message: string }[];

async function zoneCondition(side: Side, type: string) {
  const zone = (await side.custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
    status?: { conditions?: Conditions };
  };
  return zone.status?.conditions?.find((c) => c.type === type);
}

async function endpointTargets(side: Side): Promise<{ name: string; source: string }[] | undefined> {
  const object = (await side.custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    name: 'www',
  })) as { status?: { targets?: { name: string; source: string }[] } };
  return object.status?.targets;
}

async function metricValue(side: Side, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = side.metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

let eu: Side;
let us: Side;
const usSide = (): Side => us;

beforeAll(async () => {
  eu = await startSide('eu');
  us = await startSide('us');
  const peers = [
    { name: 'eu', url: eu.url },
    { name: 'us', url: us.url },
  ];
  for (const side of [eu, us]) {
    // The same resources in both clusters.
    await side.custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({ peers, peerAuth: { secretRef: { name: 'geodns-peers' } }, peerTimeout: '2s' }),
    });
    await side.custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www', {
        policy: 'multivalue',
        targets: [
          { name: 'eu', service: { name: 'www-eu' }, location: { continent: 'EU' } },
          { name: 'us', service: { name: 'www-us' }, location: { continent: 'NA' } },
        ],
      }),
    });
  }
  await applyService(eu, 'www-eu', EU_ADDRESS);
  await applyService(us, 'www-us', US_ADDRESS);
}, 240_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (fakePeer ? fakePeer.close(() => resolve()) : resolve()));
  for (const side of sides) {
    await side.operator.stop();
    await side.cluster.stop();
  }
}, 120_000);

describe('clusters that share health', () => {
  it("serves the other cluster's Service target with its addresses, its readiness as health", async () => {
    for (const side of [eu, us]) {
      await until(
        `cluster ${side.name} serving both targets`,
        async () => JSON.stringify(await servedTargets(side.core)),
        {
          accept: (v) => v === JSON.stringify({ eu: [EU_ADDRESS], us: [US_ADDRESS] }),
          timeoutMs: 60_000,
        },
      );
    }
    const source = async (side: Side) => (await endpointTargets(side))?.find((t) => t.name === 'eu')?.source;
    await until('cluster us: the EU source in status', () => source(us), {
      accept: (s) => s === 'Peer eu: Service web/www-eu',
      timeoutMs: 30_000,
    });
    await until('cluster eu: its own Service in status', () => source(eu), {
      accept: (s) => s === 'Service web/www-eu',
      timeoutMs: 30_000,
    });
    await until('cluster us: web/www/eu up', () => health(us, 'web/www/eu'), { timeoutMs: 30_000 });
    expect((await zoneCondition(us, 'PeersReachable'))?.status).toBe('True');

    await setPodReady(eu.core, 'web', 'www-eu-0', false);
    await until('cluster us: web/www/eu down', async () => (await health(us, 'web/www/eu')) === false, {
      timeoutMs: 30_000,
    });
    await setPodReady(eu.core, 'web', 'www-eu-0', true);
    await until('cluster us: web/www/eu up again', () => health(us, 'web/www/eu'), { timeoutMs: 30_000 });
  }, 120_000);

  it('gives the same content the same serial in both clusters: the lower one takes the greater', async () => {
    // Cluster eu's serial jumps ahead (a floor changes no content): cluster us, with the same content, follows.
    const floor = Math.floor(Date.now() / 1000) + 100_000;
    await eu.custom.patchClusterCustomObject(
      {
        ...GROUP,
        plural: 'geozones',
        name: 'geo-example',
        body: [{ op: 'add', path: '/spec/soa/serialFloor', value: floor }],
      },
      JSON_PATCH,
    );
    await until('cluster eu at its floor', async () => (await geoExampleDocument(eu.core))?.serial, {
      accept: (serial) => serial === floor,
      timeoutMs: 30_000,
    });
    const us = await until('cluster us at the same serial', async () => await geoExampleDocument(usSide().core), {
      accept: (doc) => doc?.serial === floor,
      timeoutMs: 30_000,
    });
    expect(us?.contentHash).toBe((await geoExampleDocument(eu.core))?.contentHash);
  }, 60_000);

  it('rejects and counts a request signed with a key it does not share', async () => {
    const path = `${PEER_PATH_PREFIX}geo.example.com`;
    const signed = (key: string) => ({
      [CLUSTER_HEADER]: 'eu',
      ...signHeaders(Buffer.from(key), Date.now(), requestContext('geo.example.com', 'eu')),
    });
    const refused = await fetch(`${us.url}${path}`, { headers: signed(WRONG_KEY) });
    expect(refused.status).toBe(401);
    await refused.arrayBuffer();
    expect(await metricValue(us, 'geodns_operator_peer_rejected_total', { peer: 'eu', reason: 'bad_signature' })).toBe(
      1,
    );
    const answered = await fetch(`${us.url}${path}`, { headers: signed(KEY) });
    expect(answered.status).toBe(200);
    const document = (await answered.json()) as { cluster: string; targets: { target: string; addresses: string[] }[] };
    // Only what cluster us runs itself: never the targets it learnt from eu.
    expect(document.cluster).toBe('us');
    expect(document.targets.map((t) => [t.target, t.addresses])).toEqual([['us', [US_ADDRESS]]]);
  });

  it("rejects and counts a peer's document signed with another key, and one claiming a local Service", async () => {
    // A third "cluster": a loopback server whose documents are signed with a key cluster us does not share.
    let claimKey = WRONG_KEY;
    fakePeer = createServer((_request, response) => {
      const body = encodeDocument({
        version: 1,
        cluster: 'apac',
        zone: 'geo.example.com',
        sequence: Date.now(),
        generatedAt: new Date().toISOString(),
        targets: [
          {
            namespace: 'web',
            endpoint: 'www',
            target: 'us',
            service: { namespace: 'web', name: 'www-us' },
            addresses: ['203.0.113.66'],
            ready: false,
          },
        ],
      });
      response.writeHead(200, signHeaders(Buffer.from(claimKey), Date.now(), documentContext('geo.example.com'), body));
      response.end(body);
    });
    await new Promise<void>((resolve) => fakePeer?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(fakePeer.address() as AddressInfo).port}`;
    await us.custom.patchClusterCustomObject(
      {
        ...GROUP,
        plural: 'geozones',
        name: 'geo-example',
        body: [{ op: 'add', path: '/spec/peers/-', value: { name: 'apac', url } }],
      },
      JSON_PATCH,
    );
    await until(
      'cluster us counting apac bad_signature',
      () => metricValue(us, 'geodns_operator_peer_rejected_total', { peer: 'apac', reason: 'bad_signature' }),
      { timeoutMs: 30_000 },
    );
    claimKey = KEY;
    await until(
      'cluster us counting apac claims_local',
      () => metricValue(us, 'geodns_operator_peer_rejected_total', { peer: 'apac', reason: 'claims_local' }),
      { timeoutMs: 30_000 },
    );
    // The local Service keeps its own addresses and readiness.
    expect(await servedTargets(us.core)).toEqual({ eu: [EU_ADDRESS], us: [US_ADDRESS] });
    expect(await health(us, 'web/www/us')).toBe(true);
    await us.custom.patchClusterCustomObject(
      {
        ...GROUP,
        plural: 'geozones',
        name: 'geo-example',
        body: [{ op: 'remove', path: '/spec/peers/2' }],
      },
      JSON_PATCH,
    );
  }, 60_000);

  it("keeps serving a stopped peer's last addresses and health, and says it is stale", async () => {
    await until('cluster us hearing from eu', async () => (await zoneCondition(us, 'PeersReachable'))?.status, {
      accept: (status) => status === 'True',
      timeoutMs: 30_000,
    });
    await eu.operator.stop();
    const stale = await until('PeersReachable=False on cluster us', () => zoneCondition(us, 'PeersReachable'), {
      accept: (c) => c?.status === 'False',
      timeoutMs: 30_000,
    });
    expect(stale?.reason).toBe('PeersStale');
    expect(stale?.message).toMatch(/^peer eu: no document since .* \(peerTimeout 2s\): its targets keep their last/);
    expect(await metricValue(us, 'geodns_operator_peer_age_seconds', { peer: 'eu' })).toBeGreaterThan(2);
    expect(await servedTargets(us.core)).toEqual({ eu: [EU_ADDRESS], us: [US_ADDRESS] });
    expect(await health(us, 'web/www/eu')).toBe(true);

    // A new leader in cluster us during the partition keeps what the zone already serves for eu's target.
    await us.operator.stop();
    Object.assign(us, startOperator('us', us.cluster));
    const source = async () => (await endpointTargets(us))?.find((t) => t.name === 'eu')?.source ?? 'none';
    await until('the new leader naming the kept EU target', source, {
      accept: (s) => s === 'Peer not heard yet, as last published: Service web/www-eu',
      timeoutMs: 30_000,
    });
    expect(await servedTargets(us.core)).toEqual({ eu: [EU_ADDRESS], us: [US_ADDRESS] });
    const reachable = await zoneCondition(us, 'PeersReachable');
    expect(reachable?.message).toMatch(/^peer eu: no document yet/);
  }, 60_000);
});
