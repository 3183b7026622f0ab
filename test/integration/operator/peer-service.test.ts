// The chart's peer Service routes to the leader alone. Against the real kube-apiserver and kube-controller-manager:
// the Service, Role and RoleBinding the chart renders with the peer listener on are applied, two Pods stand for the
// operator's replicas (the chart's pod labels), and two `geodns operator --leader-elect` processes run with the
// operator's real ServiceAccount token, POD_NAME naming those Pods. The real EndpointSlice controller must list only
// the leader's Pod, follow a crash (the restarted replica takes the stale label off its Pod), follow a graceful
// stop, and the address it lists must answer a peer's signed request with 200.
//
// Addresses: an EndpointSlice refuses loopback, so each Pod's IP is the machine's end of a pod host's veth pair
// (tools/control-plane/pod-host.ts), which the operator's --peer-listen binds: the test's requests stay on this
// machine.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_LEADER_LABEL } from '../../../operator/kube/leader-label.ts';
import { CLUSTER_HEADER, PEER_PATH_PREFIX, requestContext, signHeaders } from '../../../operator/peers/protocol.ts';
import { createPod } from '../../../tools/control-plane/pods.ts';
import { PodHost } from '../../../tools/control-plane/pod-host.ts';
import { deployment, find, render } from '../../support/helm-render.ts';
import { geoZone } from '../../support/objects.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { spawnGeodns, type GeodnsProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const SERVICE = 'geodns-operator-peers';
const APEX = 'geo.example.com';
const KEY = 'a-peer-key-of-at-least-thirty-two-bytes!';
/** A bound for a process to start on a loaded machine (node compiles the CLI first). */
const STARTING = { timeoutMs: 30_000 };

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'pod hosts need root (.ci/run runs as root)';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `\`ip netns\` is unavailable: ${probe.error?.message ?? probe.stderr}`;
  return undefined;
}
const SKIP = unavailable();

interface Replica {
  pod: string;
  host: PodHost;
  process?: GeodnsProcess;
}

let cluster: Cluster;
let core: CoreV1Api;
let dir: TempDir;
let port: number;
const replicas: Replica[] = [];
const processes: GeodnsProcess[] = [];

/** A port free on the first host's address (the second's is another address: the same port is free there too). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return free;
}

function startOperator(replica: Replica): GeodnsProcess {
  const operator = spawnGeodns(
    [
      'operator',
      ...['--kubeconfig', cluster.operatorKubeconfig, '--namespace', NS, '--metrics', 'off'],
      // Short, but not so short that a loaded machine makes the leader miss its renew deadline.
      ...['--leader-elect', '--lease-duration', '3', '--renew-deadline', '2', '--retry-period', '0.3'],
      ...['--cluster-name', 'us', '--peer-listen', `${replica.host.gateway}:${port}`],
    ],
    { env: { ...process.env, POD_NAME: replica.pod, POD_NAMESPACE: NS } },
  );
  processes.push(operator);
  replica.process = operator;
  return operator;
}

const leads = (o: GeodnsProcess | undefined): boolean =>
  o?.logs.some((l) => l.msg === 'leading: publishing and probing') === true;

/** The ready addresses of the peer Service's EndpointSlices, as the real EndpointSlice controller wrote them. */
async function readyAddresses(): Promise<string[]> {
  const slices = await cluster.admin.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace: NS,
    labelSelector: `kubernetes.io/service-name=${SERVICE}`,
  });
  return slices.items
    .flatMap((slice) => slice.endpoints ?? [])
    .filter((endpoint) => endpoint.conditions?.ready !== false)
    .flatMap((endpoint) => endpoint.addresses)
    .sort();
}

/** The slices' port for the Service's `peers` port (resolved from the Pods' named container port). */
async function slicePort(): Promise<number | undefined> {
  const slices = await cluster.admin.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace: NS,
    labelSelector: `kubernetes.io/service-name=${SERVICE}`,
  });
  return slices.items.flatMap((slice) => slice.ports ?? []).find((p) => p.name === 'peers')?.port ?? undefined;
}

/** A peer's poll (cluster eu, signed with the zone's peerAuth key) sent to `address`. */
async function poll(address: string, to: number): Promise<{ status: number; cluster?: string }> {
  const response = await fetch(`http://${address}:${to}${PEER_PATH_PREFIX}${APEX}`, {
    headers: {
      [CLUSTER_HEADER]: 'eu',
      ...signHeaders(Buffer.from(KEY), Date.now(), requestContext(APEX, 'eu')),
    },
  });
  const body = await response.text();
  return {
    status: response.status,
    ...(response.status === 200 ? { cluster: (JSON.parse(body) as { cluster: string }).cluster } : {}),
  };
}

async function labelOf(pod: string): Promise<string | undefined> {
  return (await core.readNamespacedPod({ namespace: NS, name: pod })).metadata?.labels?.[PEER_LEADER_LABEL];
}

describe.skipIf(SKIP !== undefined)(
  SKIP === undefined ? 'the chart’s peer Service' : `the chart’s peer Service (skipped: ${SKIP})`,
  { timeout: 120_000 },
  () => {
    beforeAll(async () => {
      cluster = await startCluster({ name: 'geodns-peer-service-test' });
      core = cluster.admin.makeApiClient(CoreV1Api);
      dir = await tempDir('peer-service');
      for (const pod of ['geodns-operator-a', 'geodns-operator-b'])
        replicas.push({ pod, host: await PodHost.create() });
      port = await freePort(replicas[0]!.host.gateway);

      const { objects } = await render({ set: ['operator.peers.clusterName=us', `operator.peers.port=${port}`] });
      const applied = [
        find(objects, 'Service', SERVICE),
        find(objects, 'Role', 'geodns-operator-peers'),
        find(objects, 'RoleBinding', 'geodns-operator-peers'),
      ];
      const file = path.join(dir.dir, 'peers.yaml');
      await writeFile(file, applied.map((o) => JSON.stringify(o)).join('\n---\n'));
      await cluster.plane.kubectl(['apply', '-f', file]);

      const labels = deployment(objects, 'geodns-operator').spec.template.metadata.labels;
      for (const { pod, host } of replicas) {
        await createPod(core, {
          namespace: NS,
          name: pod,
          labels,
          ip: host.gateway,
          ready: true,
          ports: [{ name: 'peers', containerPort: port }],
        });
      }
      await core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'geodns-peers' }, stringData: { key: KEY } },
      });
      await cluster.admin.makeApiClient(CustomObjectsApi).createClusterCustomObject({
        group: 'geodns.io',
        version: 'v1alpha1',
        plural: 'geozones',
        body: geoZone({
          peers: [
            { name: 'us', url: `http://${replicas[0]!.host.gateway}:${port}` },
            { name: 'eu', url: 'http://127.0.0.1:9' },
          ],
          peerAuth: { secretRef: { name: 'geodns-peers' } },
        }),
      });
    }, 120_000);

    afterAll(async () => {
      for (const operator of processes) if (operator.child.exitCode === null) await operator.signal('SIGKILL');
      for (const { host } of replicas) await host.remove();
      await dir?.remove();
      await cluster?.stop();
    }, 60_000);

    it('lists only the leader’s Pod, through a crash and a graceful stop, and the listed address answers 200', async () => {
      const [a, b] = replicas as [Replica, Replica];
      const address = (r: Replica) => r.host.gateway;
      // Neither Pod carries the label before an operator runs: the Service has no ready endpoint.
      expect(await readyAddresses()).toEqual([]);

      startOperator(a);
      await until('a leads', () => leads(a.process), STARTING);
      startOperator(b);
      await until('b has synced', () => b.process?.logs.some((l) => l.msg === 'caches synced'), STARTING);
      await until('the slice lists the leader a alone', () => readyAddresses(), {
        accept: (listed) => listed.join() === address(a),
      });
      expect(leads(b.process)).toBe(false);
      expect(await labelOf(b.pod)).toBeUndefined();
      const to = await until('the slice’s port', () => slicePort());
      expect(to).toBe(port);
      // Through the listed address the leader answers; the standby, reached directly, would not.
      await until('the leader answers a peer', () => poll(address(a), to), { accept: (r) => r.status === 200 });
      expect(await poll(address(a), to)).toEqual({ status: 200, cluster: 'us' });
      expect((await poll(address(b), to)).status).toBe(503);

      // A crash: the Lease is not released and a's label stays until a runs again, as a kubelet restarts it.
      await a.process!.signal('SIGKILL');
      await until('b takes over', () => leads(b.process), { timeoutMs: 15_000 });
      await until('the slice lists b', () => readyAddresses(), { accept: (listed) => listed.includes(address(b)) });
      expect(await labelOf(a.pod)).toBe('true');
      startOperator(a);
      await until('the slice lists the new leader b alone', () => readyAddresses(), {
        ...STARTING,
        accept: (listed) => listed.join() === address(b),
      });
      expect(await labelOf(a.pod)).toBeUndefined();
      const [listed] = await readyAddresses();
      await until('the new leader answers a peer', () => poll(listed!, to), { accept: (r) => r.status === 200 });

      // A graceful stop: b releases the Lease and takes its label off; a leads and labels its Pod.
      await b.process!.signal('SIGTERM');
      expect((await b.process!.exited).code).toBe(0);
      expect(await labelOf(b.pod)).toBeUndefined();
      await until('a leads again', () => leads(a.process), { timeoutMs: 15_000 });
      await until('the slice lists a alone', () => readyAddresses(), {
        accept: (listed) => listed.join() === address(a),
      });
      await until('a answers a peer', () => poll(address(a), to), { accept: (r) => r.status === 200 });
    });
  },
);
