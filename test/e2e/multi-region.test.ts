// The multi-region reference design (examples/multi-region, docs/multi-region.md) on one machine: three clusters
// us, eu and apac, each a real control plane with its own `geodns operator --cluster-name` and `geodns serve --kube`
// process (real ServiceAccount tokens, deploy/rbac/). Each overlay is rendered with `kubectl kustomize`, passes a
// server-side dry run in its cluster and is applied there; the test then plays the kubelet (the StatefulSet is left
// out: its five pods are made by the test, with TEST-NET-1 pod addresses nothing contacts) and the cloud (each
// Service has two load-balancer addresses, both answering the HealthProbe on port 80: 127.77.<region>.<server>,
// served by the test on loopback, and fd77:<run>:<region>::<server>, served inside a network namespace the test
// creates and routes that prefix to (test/support/ipv6-site.ts), so no IPv6 packet leaves the machine). The operators
// reach each other's peer listeners through loopback proxies the test can cut, one per direction, so a partition is
// between two clusters only. Each cluster's name server listens on 127.77.<region>.53 port 53, its glue in the zone;
// a parent example.com (knotd on 127.77.0.53) delegates geo.example.com to the three, and unbound resolves through
// that delegation, sending the client's subnet on (docs/multi-region.md, steps 5 to 7).
//
// Faults, each timed from the fault to every surviving name server answering the other way, for A and AAAA
// (bench/RESULTS.md): (a) region eu's application lost (pods not ready, probes failing): EU clients go to the backup
// us; US and APAC clients keep their five servers; (c) a partition between us and apac: no served name empties,
// both say PeersStale; (b) cluster eu lost (API server, operator, DNS): the others keep its targets as last known
// while their probes pass, and drop them when its servers go too; the resolver still answers through the others.
import http from 'node:http';
import net from 'node:net';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, setPodReady, uncontactedAddress } from '../../tools/control-plane/pods.ts';
import { digMany, type DigResult } from '../support/dig.ts';
import type { KubeObject } from '../support/objects.ts';
import { startCluster, type Cluster } from '../support/operator-cluster.ts';
import { Ipv6Site } from '../support/ipv6-site.ts';
import { startKnot, type Knot } from '../support/knot.ts';
import { CITY_MMDB, runCli, spawnGeodns, startServe, type GeodnsProcess, type ServeProcess } from '../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../support/suite-plane.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';
import { startResolver, type Unbound } from '../support/unbound.ts';
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
type Family = 'A' | 'AAAA';
const FAMILIES: Family[] = ['A', 'AAAA'];
/** The IPv6 servers' namespace; its prefix is this run's (fd77:<run>::/32). */
let site: Ipv6Site | undefined;
const v6Prefix = (region: Region) => `${site!.prefix}:${REGION_OCTET[region]}::`;
const serverAddress = (region: Region, server: number, family: Family = 'A') =>
  family === 'A' ? `127.77.${REGION_OCTET[region]}.${server}` : `${v6Prefix(region)}${server}`;
const regionOf = (address: string): string =>
  REGIONS.find((r) => address.startsWith(`127.77.${REGION_OCTET[r]}.`) || address.startsWith(v6Prefix(r))) ??
  `unknown ${address}`;
/** Each cluster's name server: its DNS process on port 53 of this address, the glue the parent and the zone give. */
const nameServerAddress = (region: Region) => `127.77.${REGION_OCTET[region]}.53`;
const PARENT_ADDRESS = '127.77.0.53';
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
let temp: TempDir | undefined;
let parent: Knot | undefined;
let resolver: Unbound | undefined;
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

/** A region's servers stop answering (or answer again) on both their addresses. */
async function setServers(s: Side, up: boolean): Promise<void> {
  if (up) s.backends = await startBackends(s.region);
  else await stopBackends(s.backends);
  for (const server of SERVERS) await site!.set(serverAddress(s.region, server, 'AAAA'), up);
}

/** The overlay as `kubectl kustomize` renders it. */
async function render(cluster: Cluster, region: Region): Promise<KubeObject[]> {
  const { stdout } = await cluster.plane.kubectl(['kustomize', `examples/multi-region/overlays/${region}`]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

interface ZoneSpec {
  peers: { name: Region; url: string }[];
  nameServers: { name: string; addresses: string[] }[];
}

/**
 * What the test applies: the overlay as rendered, with what docs/multi-region.md has a user edit in the zone (the
 * name servers' glue: each cluster's DNS address; the peers' URLs, here pointing at this cluster's links), no
 * StatefulSet.
 */
function forTest(objects: KubeObject[], region: Region, ownPort: number): KubeObject[] {
  return objects
    .filter((o) => o.kind !== 'StatefulSet')
    .map((o) => {
      if (o.kind !== 'GeoZone') return o;
      const zone = structuredClone(o) as KubeObject & { spec: ZoneSpec };
      for (const ns of zone.spec.nameServers) {
        const of = REGIONS.find((r) => ns.name === `ns-${r}.geo.example.com`);
        if (!of) throw new Error(`the zone names a name server of no region: ${ns.name}`);
        ns.addresses = [nameServerAddress(of)];
      }
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
    { geoip: CITY_MMDB, listen: [`${nameServerAddress(region)}:53`] },
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
    const ingress = FAMILIES.map((family) => ({ ip: serverAddress(s.region, server, family) }));
    service.status = { loadBalancer: { ingress } };
    await s.core.replaceNamespacedServiceStatus({ namespace: 'web', name, body: service });
  }
}

async function setApplicationReady(s: Side, ready: boolean): Promise<void> {
  await Promise.all(SERVERS.map((server) => setPodReady(s.core, 'web', `app-${server - 1}`, ready)));
}

/** The regions of the `family` addresses one name server answers for a client of `client`'s region. */
async function regionsAnswered(s: Side, client: Region, family: Family = 'A'): Promise<string[]> {
  const result = await s.dns.dig([NAME, family, `+subnet=${CLIENT[client]}`]);
  return result.answer.filter((r) => r.type === family).map((r) => regionOf(r.data));
}

const only = (region: string) => (regions: string[]) => regions.length === 2 && regions.every((r) => r === region);

/**
 * Waits until every surviving name server answers clients of `client` from `region` only, with A and with AAAA;
 * records each time.
 */
async function everyServerAnswers(scenario: string, client: Region, region: Region, since: number): Promise<void> {
  await Promise.all(
    surviving().flatMap((s) =>
      FAMILIES.map(async (family) => {
        await until(
          `cluster ${s.region}'s DNS answering ${client} clients from ${region} (${family})`,
          () => regionsAnswered(s, client, family),
          { ...BUDGET, accept: only(region) },
        );
        const event = `${s.region} DNS: ${client} clients → ${region} (${family})`;
        timeline.push({ scenario, event, ms: Date.now() - since });
      }),
    ),
  );
}

/** `count` answers of one name server to clients of `client`'s region, from one dig process. */
function answers(s: Side, client: Region, family: Family, count: number): Promise<DigResult[]> {
  const query = [NAME, family, `+subnet=${CLIENT[client]}`];
  return digMany(
    { host: nameServerAddress(s.region), port: 53 },
    Array.from({ length: count }, () => query),
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
  options: { count?: number; down?: number[]; recordAs?: string; family?: Family } = {},
): Promise<void> {
  const { count = 40, down = [], family = 'A' } = options;
  const expected = SERVERS.filter((n) => !down.includes(n))
    .map((n) => serverAddress(region, n, family))
    .sort();
  const sample = async (): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    for (const result of await answers(s, region, family, count)) {
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
  for (const result of await answers(s, client, address.includes(':') ? 'AAAA' : 'A', 30)) {
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

async function probeFamilies(
  s: Side,
): Promise<{ family: string; reachable: string; up: number; unknown: number }[] | undefined> {
  const object = (await s.custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'healthprobes',
    name: 'app-http',
  })) as { status?: { families?: { family: string; reachable: string; up: number; unknown: number }[] } };
  return object.status?.families;
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

/** Every surviving name server answers every client's region with two addresses of each family (no name empties). */
async function everyNameServed(): Promise<void> {
  for (const s of surviving()) {
    for (const client of REGIONS) {
      for (const family of FAMILIES) {
        const result = await s.dns.dig([NAME, family, `+subnet=${CLIENT[client]}`]);
        const what = `cluster ${s.region}, ${client} client, ${family}`;
        expect(result.status, what).toBe('NOERROR');
        expect(
          result.answer.filter((r) => r.type === family),
          what,
        ).toHaveLength(2);
      }
    }
  }
}

beforeAll(async () => {
  temp = await tempDir('multi-region');
  site = await Ipv6Site.create(80, (prefix) =>
    REGIONS.flatMap((r) => SERVERS.map((n) => `${prefix}:${REGION_OCTET[r]}::${n}`)),
  );
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
  // The operators probe the IPv6 addresses: they stop before the namespace those are routed to goes.
  for (const s of sides.values()) {
    await s.dns.stop();
    await s.operator.stop();
  }
  await site?.remove();
  await resolver?.stop();
  await parent?.stop();
  for (const s of sides.values()) {
    await stopBackends(s.backends);
    if (!s.lost) await s.cluster.stop();
  }
  for (const link of links.values()) await link.close();
  await temp?.remove();
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
    // Every cluster serves all fifteen servers, both addresses of each: its own five from its Services, the
    // others' from its peers.
    for (const s of sides.values()) {
      for (const client of REGIONS) {
        for (const family of FAMILIES) {
          await until(
            `cluster ${s.region}'s DNS answering ${client} clients from ${client} (${family})`,
            () => regionsAnswered(s, client, family),
            { ...BUDGET, accept: only(client) },
          );
        }
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
    // Every prober reached all thirty addresses, the IPv6 ones inside the test's namespace included.
    for (const s of sides.values()) {
      const families = await until(`cluster ${s.region} probing both families`, () => probeFamilies(s), {
        ...BUDGET,
        accept: (f) => f?.every((family) => family.reachable === 'True' && family.up === 15) === true,
      });
      expect(families?.map((f) => f.family)).toEqual(['IPv4', 'IPv6']);
    }
  }, 300_000);

  it('the parent delegates geo.example.com to the three name servers, and a resolver answers through it', async () => {
    // docs/multi-region.md step 5 (docs/delegation.md step 3): every name server answers authoritatively with the
    // same SOA serial and the same NS set.
    const children = await Promise.all(
      REGIONS.map(async (region) => {
        const soa = await side(region).dns.dig(['geo.example.com', 'SOA', '+norecurse']);
        const ns = await side(region).dns.dig(['geo.example.com', 'NS', '+norecurse']);
        expect(soa.flags, `${region}'s SOA answer`).toContain('aa');
        expect(ns.flags, `${region}'s NS answer`).toContain('aa');
        return {
          serial: soa.answer.find((r) => r.type === 'SOA')?.data.split(' ')[2],
          ns: ns.answer.map((r) => r.data).sort(),
        };
      }),
    );
    expect(new Set(children.map((c) => c.serial)).size).toBe(1);
    const nsSet = REGIONS.map((r) => `ns-${r}.geo.example.com.`).sort();
    for (const child of children) expect(child.ns).toEqual(nsSet);

    // Step 6: the parent's NS records and glue for geo.example.com, served by knotd.
    const glue = REGIONS.map((r) => `ns-${r}.geo IN A ${nameServerAddress(r)}`);
    const zone = [
      '$ORIGIN example.com.',
      '$TTL 3600',
      '@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300',
      '@ IN NS ns.example.com.',
      `ns IN A ${PARENT_ADDRESS}`,
      ...nsSet.map((ns) => `geo IN NS ${ns}`),
      ...glue,
      '',
    ].join('\n');
    parent = await startKnot(temp!.dir, PARENT_ADDRESS, 53, { 'example.com': zone });

    // Step 7, as `dig +trace` shows it: the parent refers to the three with their glue, and each of them answers
    // authoritatively for a client of its continent.
    const referral = await parent.dig([NAME, 'A', '+norecurse']);
    expect(referral.status).toBe('NOERROR');
    expect(referral.flags).not.toContain('aa');
    expect(referral.answer).toEqual([]);
    expect(
      referral.authority
        .filter((r) => r.type === 'NS')
        .map((r) => r.data)
        .sort(),
    ).toEqual(nsSet);
    const referred = referral.additional.filter((r) => r.type === 'A').map((r) => r.data);
    expect(referred.sort()).toEqual(REGIONS.map(nameServerAddress).sort());
    for (const address of referred) {
      for (const client of REGIONS) {
        const answer = await side(REGIONS.find((r) => nameServerAddress(r) === address)!).dns.dig(
          [NAME, 'AAAA', '+norecurse', `+subnet=${CLIENT[client]}`],
          { host: address, port: 53 },
        );
        expect(answer.flags, `${address} for ${client} clients`).toContain('aa');
        expect(answer.answer.map((r) => regionOf(r.data))).toEqual([client, client]);
      }
    }

    // A resolver that knows only the parent (a stub for example.com, and for the root so that nothing leaves
    // loopback) follows the delegation and passes each client's subnet on to the three name servers.
    resolver = await startResolver(
      temp!.dir,
      'delegated',
      {
        stubs: ['example.com', '.'].map((zoneName) => ({ zone: zoneName, addresses: [`${PARENT_ADDRESS}@53`] })),
        clientSubnetTo: REGIONS.map(nameServerAddress),
      },
      'example.com',
    );
    for (const client of REGIONS) {
      for (const family of FAMILIES) {
        const answer = await resolver.dig([NAME, family, `+subnet=${CLIENT[client]}`]);
        expect(answer.status, `${client} clients, ${family}, through the resolver`).toBe('NOERROR');
        expect(answer.flags).toContain('ra');
        const records = answer.answer.filter((r) => r.type === family);
        expect(
          records.map((r) => regionOf(r.data)),
          `${client} clients, ${family}`,
        ).toEqual([client, client]);
      }
    }
    // Without a client subnet the resolver's own address (loopback, no known location) gets the default region.
    const unplaced = await resolver.dig([NAME, 'A']);
    expect(unplaced.answer.filter((r) => r.type === 'A').map((r) => regionOf(r.data))).toEqual(['us', 'us']);
  }, 120_000);

  it("(a) region eu's application lost: every name server sends EU clients to us, the others keep their regions", async () => {
    const eu = side('eu');
    const fault = Date.now();
    await setApplicationReady(eu, false);
    await setServers(eu, false);
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
      for (const family of FAMILIES) {
        const recordAs = `a: US clients, us DNS, eu lost (${family})`;
        await spreadOver(s, 'us', s.region === 'us' ? { count: 200, recordAs, family } : { family });
        await spreadOver(s, 'apac', { family });
      }
    }
    const back = Date.now();
    await setServers(eu, true);
    await setApplicationReady(eu, true);
    await everyServerAnswers('a: eu application back', 'eu', 'eu', back);
    for (const s of sides.values()) for (const family of FAMILIES) await spreadOver(s, 'eu', { family });
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
      for (const s of sides.values()) {
        for (const family of FAMILIES) expect(only(client)(await regionsAnswered(s, client, family))).toBe(true);
      }
    }
    expect((await peersReachable(side('eu')))?.status).toBe('True');

    // apac-1's pod turns not ready during the partition (its server still answers the probes): apac and eu drop it,
    // us cannot hear of it and keeps it as last known.
    const apac1 = FAMILIES.map((family) => serverAddress('apac', 1, family));
    const notReady = Date.now();
    await setPodReady(side('apac').core, 'web', 'app-0', false);
    await Promise.all(
      (['apac', 'eu'] as const).flatMap((region) =>
        apac1.map(async (address) => {
          await until(
            `cluster ${region}'s DNS without ${address}`,
            () => timesAnswered(side(region), 'apac', address),
            {
              ...BUDGET,
              accept: (n) => n === 0,
            },
          );
          timeline.push({
            scenario: 'c: apac-1 not ready',
            event: `${region} DNS: apac-1 dropped (${address.includes(':') ? 'AAAA' : 'A'})`,
            ms: Date.now() - notReady,
          });
        }),
      ),
    );
    for (const address of apac1) expect(await timesAnswered(side('us'), 'apac', address)).toBeGreaterThan(0);
    await everyNameServed();
    for (const family of FAMILIES) {
      const recordAs = `c: APAC clients, eu DNS, apac-1 down (${family})`;
      await spreadOver(side('eu'), 'apac', { count: 200, down: [1], recordAs, family });
    }

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
    await Promise.all(
      apac1.map(async (address) => {
        await until(`cluster us's DNS without ${address}`, () => timesAnswered(side('us'), 'apac', address), {
          ...BUDGET,
          accept: (n) => n === 0,
        });
        const family = address.includes(':') ? 'AAAA' : 'A';
        timeline.push({
          scenario: 'c: partition healed',
          event: `us DNS: apac-1 dropped (${family})`,
          ms: Date.now() - healed,
        });
      }),
    );
    await setPodReady(side('apac').core, 'web', 'app-0', true);
    for (const s of sides.values()) {
      for (const address of apac1) {
        await until(`cluster ${s.region}'s DNS with ${address} again`, () => timesAnswered(s, 'apac', address), BUDGET);
      }
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
    for (const s of surviving()) {
      for (const family of FAMILIES) expect(only('eu')(await regionsAnswered(s, 'eu', family))).toBe(true);
    }
    await everyNameServed();
    const gone = Date.now();
    await setServers(eu, false);
    await everyServerAnswers("b: eu's servers gone too", 'eu', 'us', gone);
    for (const s of surviving()) for (const family of FAMILIES) await spreadOver(s, 'us', { family });
    await everyNameServed();
    // Through the delegation, with eu's name server gone: the resolver asks the other two (its cached answers for
    // EU clients, from eu, expire within the TTL).
    for (const family of FAMILIES) {
      await until(
        `the resolver answering EU clients from us (${family})`,
        async () => {
          const answer = await resolver!.dig([NAME, family, `+subnet=${CLIENT.eu}`]);
          return answer.answer.filter((r) => r.type === family).map((r) => regionOf(r.data));
        },
        { ...BUDGET, accept: only('us') },
      );
    }
  }, 300_000);
});
