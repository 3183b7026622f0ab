// The multi-region reference design (examples/multi-region, docs/multi-region.md) on one machine: three clusters
// us, eu and apac, each a real control plane with its own `geodns operator --cluster-name` and `geodns serve --kube`
// process (real ServiceAccount tokens, deploy/rbac/). Each overlay is rendered with `kubectl kustomize`, passes a
// server-side dry run in its cluster and is applied there; the test then plays the kubelet (the StatefulSet is left
// out: its five pods are made by the test, with TEST-NET-1 pod addresses nothing contacts) and the cloud (each
// Service's load-balancer address is a loopback address 127.77.<region>.<server>, where the test answers the
// HealthProbe on port 80). The operators reach each other's peer listeners through loopback proxies the test can
// cut, one per direction, so a partition is between two clusters only.
//
// Faults, each timed from the fault to every surviving name server answering the other way (bench/RESULTS.md):
// (a) region eu's application lost (pods not ready, probes failing): EU clients go to the backup us; US and APAC
// clients keep their five servers; (c) a partition between us and apac: no served name empties, both say
// PeersStale; (b) cluster eu lost (API server, operator, DNS): the others keep its targets as last known while
// their probes pass, and drop them when its servers go too.
import http from 'node:http';
import net from 'node:net';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, setPodReady, uncontactedAddress } from '../../tools/control-plane/pods.ts';
import type { KubeObject } from '../support/objects.ts';
import { startCluster, type Cluster } from '../support/operator-cluster.ts';
import { CITY_MMDB, runCli, spawnGeodns, startServe, type GeodnsProcess, type ServeProcess } from '../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../support/suite-plane.ts';
import { until } from '../support/until.ts';

const REGIONS = ['us', 'eu', 'apac'] as const;
type Region = (typeof REGIONS)[number];
const SERVERS = [1, 2, 3, 4, 5];
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const KEY = 'the key the three clusters share, 32 bytes or more';
const NAME = 'app.geo.example.com';
/** Client subnets the test city database places (test/fixtures/mmdb/make.pl). */
const CLIENT: Record<Region, string> = { us: '192.0.2.0/24', eu: '198.51.100.0/24', apac: '203.0.113.0/24' };
const REGION_OCTET: Record<Region, number> = { us: 1, eu: 2, apac: 3 };
const serverAddress = (region: Region, server: number) => `127.77.${REGION_OCTET[region]}.${server}`;
const regionOf = (address: string): string =>
  REGIONS.find((r) => address.startsWith(`127.77.${REGION_OCTET[r]}.`)) ?? `unknown ${address}`;
/** How long the test waits for a change to reach every name server: a bound, never asserted. */
const BUDGET = { timeoutMs: 120_000, intervalMs: 100 };

interface Side {
  region: Region;
  cluster: Cluster;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  operator: GeodnsProcess;
  dns: ServeProcess;
  peerPort: number;
  /** The HTTP servers standing for this region's five servers. */
  backends: http.Server[];
  lost: boolean;
}

/** A TCP proxy from one cluster to another's peer listener; cut() refuses and breaks its connections. */
class PeerLink {
  readonly server: net.Server;
  #cut = false;
  #sockets = new Set<net.Socket>();
  constructor(target: () => number) {
    this.server = net.createServer((socket) => {
      if (this.#cut) return socket.destroy();
      const upstream = net.connect(target(), '127.0.0.1');
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)),
    );
  }
  cut(cut: boolean): void {
    this.#cut = cut;
    if (cut) for (const s of this.#sockets) s.destroy();
  }
  close(): Promise<void> {
    this.cut(true);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const sides = new Map<Region, Side>();
const links = new Map<string, PeerLink>();
const side = (region: Region): Side => sides.get(region)!;
const surviving = (): Side[] => [...sides.values()].filter((s) => !s.lost);
const timeline: { scenario: string; event: string; ms: number }[] = [];
const spreads: { what: string; queries: number; shares: string }[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startBackends(region: Region): Promise<http.Server[]> {
  return Promise.all(
    SERVERS.map(
      (server) =>
        new Promise<http.Server>((resolve, reject) => {
          const backend = http.createServer((_request, response) => response.end('ok'));
          backend.once('error', reject);
          backend.listen(80, serverAddress(region, server), () => resolve(backend));
        }),
    ),
  );
}

async function stopBackends(backends: http.Server[]): Promise<void> {
  await Promise.all(
    backends.map((b) => new Promise<void>((resolve) => (b.closeAllConnections(), b.close(() => resolve())))),
  );
}

/** The overlay as `kubectl kustomize` renders it. */
async function render(cluster: Cluster, region: Region): Promise<KubeObject[]> {
  const { stdout } = await cluster.plane.kubectl(['kustomize', `examples/multi-region/overlays/${region}`]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** What the test applies: the overlay as rendered, the peers' URLs pointing at this cluster's links, no StatefulSet. */
function forTest(objects: KubeObject[], region: Region, ownPort: number): KubeObject[] {
  return objects
    .filter((o) => o.kind !== 'StatefulSet')
    .map((o) => {
      if (o.kind !== 'GeoZone') return o;
      const zone = structuredClone(o) as KubeObject & { spec: { peers: { name: Region; url: string }[] } };
      for (const peer of zone.spec.peers) {
        const port =
          peer.name === region
            ? ownPort
            : (links.get(`${region}->${peer.name}`)!.server.address() as net.AddressInfo).port;
        peer.url = `http://127.0.0.1:${port}`;
      }
      return zone;
    });
}

async function startSide(region: Region, peerPort: number): Promise<Side> {
  const cluster = await startCluster({ name: `geodns-multi-region-${region}` });
  const core = cluster.admin.makeApiClient(CoreV1Api);
  const custom = cluster.admin.makeApiClient(CustomObjectsApi);
  await core.createNamespacedSecret({
    namespace: SYSTEM_NAMESPACE,
    body: { metadata: { name: 'geodns-peers' }, stringData: { key: KEY } },
  });
  const operator = spawnGeodns([
    'operator',
    ...['--kubeconfig', cluster.operatorKubeconfig, '--namespace', SYSTEM_NAMESPACE, '--metrics', 'off'],
    ...['--cluster-name', region, '--peer-listen', `127.0.0.1:${peerPort}`],
  ]);
  const dns = await startServe(
    ['--kube', '--kubeconfig', cluster.dnsKubeconfig, '--namespace', SYSTEM_NAMESPACE, '--kube-wait', '2'],
    { geoip: CITY_MMDB },
  );
  const backends = await startBackends(region);
  return { region, cluster, core, custom, operator, dns, peerPort, backends, lost: false };
}

/** The kubelet's and the cloud's part: the five pods, ready, and each Service's load-balancer address. */
async function runApplication(s: Side): Promise<void> {
  for (const server of SERVERS) {
    const name = `app-${s.region}-${server}`;
    await createPod(s.core, {
      namespace: 'web',
      name: `app-${server - 1}`,
      labels: { app: 'app', 'statefulset.kubernetes.io/pod-name': `app-${server - 1}` },
      ip: uncontactedAddress(server),
      ready: true,
      ports: [{ name: 'http', containerPort: 8080 }],
    });
    const service = await s.core.readNamespacedService({ namespace: 'web', name });
    service.status = { loadBalancer: { ingress: [{ ip: serverAddress(s.region, server) }] } };
    await s.core.replaceNamespacedServiceStatus({ namespace: 'web', name, body: service });
  }
}

async function setApplicationReady(s: Side, ready: boolean): Promise<void> {
  await Promise.all(SERVERS.map((server) => setPodReady(s.core, 'web', `app-${server - 1}`, ready)));
}

/** The regions of the addresses one name server answers for a client of `client`'s region. */
async function regionsAnswered(s: Side, client: Region): Promise<string[]> {
  const result = await s.dns.dig([NAME, 'A', `+subnet=${CLIENT[client]}`]);
  return result.answer.filter((r) => r.type === 'A').map((r) => regionOf(r.data));
}

const only = (region: string) => (regions: string[]) => regions.length === 2 && regions.every((r) => r === region);

/** Waits until every surviving name server answers clients of `client` from `region` only; records each time. */
async function everyServerAnswers(scenario: string, client: Region, region: Region, since: number): Promise<void> {
  await Promise.all(
    surviving().map(async (s) => {
      await until(
        `cluster ${s.region}'s DNS answering ${client} clients from ${region}`,
        () => regionsAnswered(s, client),
        {
          ...BUDGET,
          accept: only(region),
        },
      );
      timeline.push({ scenario, event: `${s.region} DNS: ${client} clients → ${region}`, ms: Date.now() - since });
    }),
  );
}

/**
 * Every server of `region` (but those `down`) appears in `count` answers to clients of that region, and nothing
 * else does; `recordAs` keeps each server's share of the addresses answered (bench/RESULTS.md). A sample is taken
 * again while it is not so: on a loaded machine a probe of a live server can time out twice (the test process
 * serves the backends), and the prober is right to take it out until it answers again.
 */
async function spreadOver(
  s: Side,
  region: Region,
  options: { count?: number; down?: number[]; recordAs?: string } = {},
): Promise<void> {
  const { count = 40, down = [] } = options;
  const expected = SERVERS.filter((n) => !down.includes(n))
    .map((n) => serverAddress(region, n))
    .sort();
  const sample = async (): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const result = await s.dns.dig([NAME, 'A', `+subnet=${CLIENT[region]}`]);
      expect(result.answer).toHaveLength(2);
      for (const r of result.answer) seen.set(r.data, (seen.get(r.data) ?? 0) + 1);
    }
    return seen;
  };
  const seen = await until(`${s.region}'s DNS spreading ${region} clients over ${expected.join(', ')}`, sample, {
    ...BUDGET,
    accept: (m) => [...m.keys()].sort().join() === expected.join(),
  });
  expect([...seen.keys()].sort()).toEqual(expected);
  if (options.recordAs) {
    const shares = expected.map((a) => `${a} ${Math.round((100 * (seen.get(a) ?? 0)) / (2 * count))} %`);
    spreads.push({ what: options.recordAs, queries: count, shares: shares.join(', ') });
  }
}

/** How often `address` is in 30 answers to clients of `client`'s region (never, with 2 of 5 picked: 0.6^30). */
async function timesAnswered(s: Side, client: Region, address: string): Promise<number> {
  let times = 0;
  for (let i = 0; i < 30; i++) {
    const result = await s.dns.dig([NAME, 'A', `+subnet=${CLIENT[client]}`]);
    expect(result.answer).toHaveLength(2);
    times += result.answer.filter((r) => r.data === address).length;
  }
  return times;
}

async function endpointStatus(
  s: Side,
): Promise<{ targetsSummary?: string; targets?: { name: string; source: string }[] } | undefined> {
  const object = (await s.custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    name: 'app',
  })) as { status?: { targetsSummary?: string; targets?: { name: string; source: string }[] } };
  return object.status;
}

async function serialOf(s: Side): Promise<string | undefined> {
  const result = await s.dns.dig(['geo.example.com', 'SOA']);
  return result.answer.find((r) => r.type === 'SOA')?.data.split(' ')[2];
}

async function peersReachable(s: Side): Promise<{ status: string; reason: string; message: string } | undefined> {
  const zone = (await s.custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
    status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
  };
  return zone.status?.conditions?.find((c) => c.type === 'PeersReachable');
}

/** Every surviving name server answers every client's region with two addresses (no served name empties). */
async function everyNameServed(): Promise<void> {
  for (const s of surviving()) {
    for (const client of REGIONS) {
      const result = await s.dns.dig([NAME, 'A', `+subnet=${CLIENT[client]}`]);
      expect(result.status, `cluster ${s.region}, ${client} client`).toBe('NOERROR');
      expect(result.answer, `cluster ${s.region}, ${client} client`).toHaveLength(2);
    }
  }
}

beforeAll(async () => {
  const ports = new Map<Region, number>();
  for (const region of REGIONS) ports.set(region, await freePort());
  for (const from of REGIONS) {
    for (const to of REGIONS.filter((r) => r !== from)) {
      const link = new PeerLink(() => ports.get(to)!);
      await link.listen();
      links.set(`${from}->${to}`, link);
    }
  }
  for (const region of REGIONS) sides.set(region, await startSide(region, ports.get(region)!));
}, 300_000);

afterAll(async () => {
  process.stdout.write(`multi-region timeline (ms from each fault):\n${JSON.stringify(timeline, null, 1)}\n`);
  process.stdout.write(`multi-region shares within a region:\n${JSON.stringify(spreads, null, 1)}\n`);
  for (const s of sides.values()) {
    await s.dns.stop();
    await s.operator.stop();
    await stopBackends(s.backends);
    if (!s.lost) await s.cluster.stop();
  }
  for (const link of links.values()) await link.close();
}, 180_000);

describe('the multi-region reference design on three control planes', () => {
  it('each overlay renders with kubectl kustomize, passes a server-side dry run and is applied in its cluster', async () => {
    for (const region of REGIONS) {
      const s = side(region);
      const objects = await render(s.cluster, region);
      const kinds = objects.map((o) => `${o.kind}/${o.metadata.name ?? ''}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'GeoZone/geo-example',
          'GeoEndpoint/app',
          'HealthProbe/app-http',
          'StatefulSet/app',
          ...SERVERS.map((n) => `Service/app-${region}-${n}`),
        ]),
      );
      // Only this cluster's Services.
      expect(kinds.filter((k) => k.startsWith('Service/'))).toHaveLength(SERVERS.length);
      const rendered = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
      const dryRun = await s.cluster.plane.kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-f', '-', '-o', 'name'],
        { input: rendered },
      );
      expect(dryRun.stdout.trim().split('\n')).toHaveLength(objects.length);
      const applied = { apiVersion: 'v1', kind: 'List', items: forTest(objects, region, s.peerPort) };
      await s.cluster.plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(applied) });
      await runApplication(s);
    }
    // Every cluster serves all fifteen servers: its own five from its Services, the others' from its peers.
    for (const s of sides.values()) {
      for (const client of REGIONS) {
        await until(
          `cluster ${s.region}'s DNS answering ${client} clients from ${client}`,
          () => regionsAnswered(s, client),
          {
            ...BUDGET,
            accept: only(client),
          },
        );
      }
      await until(`cluster ${s.region} hearing from both peers`, () => peersReachable(s), {
        ...BUDGET,
        accept: (c) => c?.status === 'True',
      });
    }
    // What docs/multi-region.md has a user check: all fifteen healthy in every cluster, each served from its own
    // Service where it runs and from the peer that runs it elsewhere, and one SOA serial on every name server.
    for (const s of sides.values()) {
      const status = await until(`cluster ${s.region}: 15/15 healthy`, () => endpointStatus(s), {
        ...BUDGET,
        accept: (e) => e?.targetsSummary === '15/15',
      });
      expect(status?.targets).toHaveLength(15);
      for (const t of status?.targets ?? []) {
        const [region, server] = t.name.split('-');
        const service = `Service web/app-${region ?? ''}-${server ?? ''}`;
        expect(t.source).toBe(region === s.region ? service : `Peer ${region ?? ''}: ${service}`);
      }
    }
    await until('one SOA serial on the three name servers', () => Promise.all(surviving().map((s) => serialOf(s))), {
      ...BUDGET,
      accept: (serials) => serials.every((serial) => serial !== undefined && serial === serials[0]),
    });
  }, 300_000);

  it("(a) region eu's application lost: every name server sends EU clients to us, the others keep their regions", async () => {
    const eu = side('eu');
    const fault = Date.now();
    await setApplicationReady(eu, false);
    await stopBackends(eu.backends);
    await everyServerAnswers('a: eu application lost', 'eu', 'us', fault);
    // geodns route --kube, as docs/multi-region.md runs it in a DNS pod, explains the walk to the backup.
    const route = await runCli([
      'route',
      ...['--kube', '--kubeconfig', eu.cluster.dnsKubeconfig, '--namespace', SYSTEM_NAMESPACE, '--geoip', CITY_MMDB],
      ...['--name', NAME, '--subnet', CLIENT.eu],
    ]);
    expect(route.code, route.stderr).toBe(0);
    expect(route.stdout).toMatch(/region eu: no healthy target/);
    expect(route.stdout).toMatch(/region us: healthy us-1, us-2, us-3, us-4, us-5/);
    for (const s of sides.values()) {
      await spreadOver(s, 'us', s.region === 'us' ? { count: 200, recordAs: 'a: US clients, us DNS, eu lost' } : {});
      await spreadOver(s, 'apac');
    }
    const back = Date.now();
    eu.backends = await startBackends('eu');
    await setApplicationReady(eu, true);
    await everyServerAnswers('a: eu application back', 'eu', 'eu', back);
    for (const s of sides.values()) await spreadOver(s, 'eu');
  }, 300_000);

  it('(c) a partition between us and apac: no served name empties, both say PeersStale', async () => {
    const cut = Date.now();
    links.get('us->apac')!.cut(true);
    links.get('apac->us')!.cut(true);
    await Promise.all(
      (['us', 'apac'] as const).map(async (region) => {
        const stale = await until(`cluster ${region}: PeersReachable=False`, () => peersReachable(side(region)), {
          ...BUDGET,
          accept: (c) => c?.status === 'False',
        });
        expect(stale?.reason).toBe('PeersStale');
        expect(stale?.message).toContain(`peer ${region === 'us' ? 'apac' : 'us'}:`);
        timeline.push({ scenario: 'c: us–apac partition', event: `${region}: PeersStale`, ms: Date.now() - cut });
      }),
    );
    // The stale peer's targets keep their last known state: every client still gets its own region.
    await everyNameServed();
    for (const client of REGIONS) {
      for (const s of sides.values()) expect(only(client)(await regionsAnswered(s, client))).toBe(true);
    }
    expect((await peersReachable(side('eu')))?.status).toBe('True');

    // apac-1's pod turns not ready during the partition (its server still answers the probes): apac and eu drop it,
    // us cannot hear of it and keeps it as last known.
    const apac1 = serverAddress('apac', 1);
    const notReady = Date.now();
    await setPodReady(side('apac').core, 'web', 'app-0', false);
    await Promise.all(
      (['apac', 'eu'] as const).map(async (region) => {
        await until(`cluster ${region}'s DNS without apac-1`, () => timesAnswered(side(region), 'apac', apac1), {
          ...BUDGET,
          accept: (n) => n === 0,
        });
        timeline.push({
          scenario: 'c: apac-1 not ready',
          event: `${region} DNS: apac-1 dropped`,
          ms: Date.now() - notReady,
        });
      }),
    );
    expect(await timesAnswered(side('us'), 'apac', apac1)).toBeGreaterThan(0);
    await everyNameServed();
    await spreadOver(side('eu'), 'apac', { count: 200, down: [1], recordAs: 'c: APAC clients, eu DNS, apac-1 down' });

    const healed = Date.now();
    links.get('us->apac')!.cut(false);
    links.get('apac->us')!.cut(false);
    await Promise.all(
      (['us', 'apac'] as const).map(async (region) => {
        await until(`cluster ${region}: PeersReachable=True again`, () => peersReachable(side(region)), {
          ...BUDGET,
          accept: (c) => c?.status === 'True',
        });
        timeline.push({ scenario: 'c: partition healed', event: `${region}: PeersReachable`, ms: Date.now() - healed });
      }),
    );
    await until("cluster us's DNS without apac-1", () => timesAnswered(side('us'), 'apac', apac1), {
      ...BUDGET,
      accept: (n) => n === 0,
    });
    timeline.push({ scenario: 'c: partition healed', event: 'us DNS: apac-1 dropped', ms: Date.now() - healed });
    await setPodReady(side('apac').core, 'web', 'app-0', true);
    for (const s of sides.values()) {
      await until(`cluster ${s.region}'s DNS with apac-1 again`, () => timesAnswered(s, 'apac', apac1), BUDGET);
    }
  }, 300_000);

  it('(b) cluster eu lost: the others keep its targets while their probes pass, and drop them when its servers go', async () => {
    const eu = side('eu');
    const lost = Date.now();
    eu.lost = true;
    await eu.dns.stop();
    await eu.operator.stop();
    await eu.cluster.stop();
    await Promise.all(
      surviving().map(async (s) => {
        await until(`cluster ${s.region}: eu stale`, () => peersReachable(s), {
          ...BUDGET,
          accept: (c) => c?.status === 'False' && c.message.includes('peer eu:'),
        });
        timeline.push({ scenario: 'b: eu cluster lost', event: `${s.region}: PeersStale`, ms: Date.now() - lost });
      }),
    );
    // Last known state: eu's servers were ready and still answer the probes.
    for (const s of surviving()) expect(only('eu')(await regionsAnswered(s, 'eu'))).toBe(true);
    await everyNameServed();
    const gone = Date.now();
    await stopBackends(eu.backends);
    await everyServerAnswers("b: eu's servers gone too", 'eu', 'us', gone);
    for (const s of surviving()) await spreadOver(s, 'us');
    await everyNameServed();
  }, 300_000);
});
