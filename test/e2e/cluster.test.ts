// End to end on the real control plane (etcd, kube-apiserver, kube-controller-manager): crds/ and examples/cluster
// applied with kubectl as they are, two `geodns operator --leader-elect` processes and two `geodns serve --kube`
// processes, each with a real ServiceAccount token bound to exactly deploy/rbac/. The DNS pods run on pod hosts
// (network namespaces) because the operator queries their addresses from the DNS Service's EndpointSlices, which
// the real EndpointSlice controller makes from their Pods. The application Pods carry TEST-NET-1 addresses that
// nothing contacts. The Services' cluster range is on loopback (127.96.0.0/24), so the cluster addresses the
// example's targets serve (useClusterIP) are this machine's, and the probed ones are where this test listens. Each
// DNS pod runs with --dnssec-keys on a folder of its own, filled as the kubelet fills a mounted Secret when a test
// turns DNSSEC on. The operators' --resolver is a knotd on loopback serving the parent zone example.com, where the
// test pastes the zone's DS as a user would at the registrar.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zoneConfigMapName } from '../../api/configmaps.ts';
import { publishAsSecret } from '../support/dnssec-keys.ts';
import { DsParent } from '../support/ds-parent.ts';
import { yamlObjects } from '../support/objects.ts';
import { until } from '../support/until.ts';
import { binary } from '../../tools/control-plane/binaries.ts';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/control-plane.ts';
import { PodHost } from '../../tools/control-plane/pod-host.ts';
import { createPod, setPodReady, uncontactedAddress } from '../../tools/control-plane/pods.ts';
import { spawnGeodns, startServe, type GeodnsProcess, type ServeProcess } from '../support/serve.ts';

const NS = 'geodns-system';
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const DNS_PORT = 5353;
const FRANKFURT_CLIENT = '+subnet=10.1.0.0/16';
/** The port examples/cluster/probes.yaml checks (both of its probes, on the Services' port). */
const PROBED_PORT = probedPort();

let plane: ControlPlane;
let core: CoreV1Api;
let custom: CustomObjectsApi;
const hosts: PodHost[] = [];
const dns: ServeProcess[] = [];
/** Each DNS pod's --dnssec-keys folder, where the kubelet would mount the key Secret (empty until a test fills it). */
const keyDirs: string[] = [];
const operators = new Map<string, Operator>();
let primary: http.Server;
let standby: net.Server;
/** The parent zone example.com, which the operators ask for geo.example.com's DS as their resolver. */
let parent: DsParent;

const SERVICE_RANGE = '127.96.0.0/24';
const serviceNames = yamlObjects('examples/cluster/services.yaml').map((s) => s.metadata?.name ?? '');
/** Each Service's cluster address, as the API server allocated it from SERVICE_RANGE. */
const clusterIPs = new Map<string, string>();
const addressOf = (service: string): string => {
  const address = clusterIPs.get(service);
  if (!address) throw new Error(`no cluster address read for Service web/${service}`);
  return address;
};
/** Each Service's one Pod: a TEST-NET-1 address nothing contacts. */
const podAddressOf = (service: string): string => uncontactedAddress(serviceNames.indexOf(service) + 1);

function probedPort(): number {
  const ports = new Set(yamlObjects('examples/cluster/probes.yaml').map((p) => (p.spec as { port?: number }).port));
  const [port, ...others] = [...ports];
  if (port === undefined || others.length > 0) throw new Error('examples/cluster/probes.yaml: expected one port');
  return port;
}

interface Operator {
  name: string;
  process: GeodnsProcess;
}

const kubectl = (...args: string[]) => plane.kubectl(args);

function startOperator(name: string): Operator {
  const args = [
    'operator',
    '--kubeconfig',
    path.join(plane.dir, 'operator.kubeconfig'),
    '--namespace',
    NS,
    '--metrics',
    'off',
    '--leader-elect',
    '--lease-duration',
    '4',
    '--renew-deadline',
    '3',
    '--retry-period',
    '1',
    '--resolver',
    parent.address,
  ];
  const operator = { name, process: spawnGeodns(args) };
  operators.set(name, operator);
  return operator;
}

/** The identity an operator campaigns with (its first leader-election log line). */
function identityOf(operator: Operator): string | undefined {
  return operator.process.logs.find((l) => l.msg === 'leader election: starting')?.identity as string | undefined;
}

async function kill(operator: Operator, signal: NodeJS.Signals): Promise<void> {
  await operator.process.signal(signal);
}

/** The addresses both DNS pods answer for `name` (they must agree), sorted. */
async function answers(name: string, ...extra: string[]): Promise<string> {
  const each = await Promise.all(dns.map(async (server) => (await server.addresses(name, extra)).join()));
  return each.every((a) => a === each[0]) ? each[0]! : `pods disagree: ${each.join(' | ')}`;
}

async function rcode(name: string): Promise<string> {
  const each = await Promise.all(dns.map(async (server) => (await server.dig([name, 'A'])).status ?? 'none'));
  return each.every((a) => a === each[0]) ? each[0]! : `pods disagree: ${each.join(' | ')}`;
}

/** How the tests wait for an answer from both DNS pods (a dig per pod each time). */
const ANSWERS = { timeoutMs: 30_000, intervalMs: 100 };

async function condition(plural: string, name: string, type: string, namespace?: string) {
  const object = (
    namespace
      ? await custom.getNamespacedCustomObject({ ...GROUP, namespace, plural, name })
      : await custom.getClusterCustomObject({ ...GROUP, plural, name })
  ) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return object.status?.conditions?.find((c) => c.type === type);
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await plane
    .admin()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ namespace: NS, name: 'geodns-operator' })
    .catch(() => undefined);
  return lease?.spec?.holderIdentity ?? undefined;
}

beforeAll(async () => {
  plane = await startControlPlane({
    name: 'geodns-e2e',
    apiServerArgs: [`--service-cluster-ip-range=${SERVICE_RANGE}`],
  });
  const admin = plane.admin();
  core = admin.makeApiClient(CoreV1Api);
  custom = admin.makeApiClient(CustomObjectsApi);

  // The CRDs as a user installs them: client-side apply first, then the server-side apply docs/install.md advises.
  await kubectl('apply', '-f', 'crds/');
  await kubectl('apply', '--server-side', '--force-conflicts', '-f', 'crds/');
  await kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await kubectl('apply', '-f', 'deploy/rbac/');
  await plane.serviceAccountKubeconfig(NS, 'geodns-operator', path.join(plane.dir, 'operator.kubeconfig'));

  // The DNS Service and its two pods, each on a pod host, each with the DNS pods' own token.
  await core.createNamespacedService({
    namespace: NS,
    body: {
      metadata: { name: 'geodns-dns' },
      spec: {
        selector: { app: 'geodns-dns' },
        ports: [
          { name: 'dns', port: 53, targetPort: DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: DNS_PORT, protocol: 'TCP' },
        ],
      },
    },
  });
  for (const index of [0, 1]) {
    const host = await PodHost.create();
    hosts.push(host);
    const port = await host.forward(plane.apiPort);
    const kubeconfig = await plane.serviceAccountKubeconfig(NS, 'geodns-dns', path.join(plane.dir, `dns-${index}`), {
      server: `https://${host.gateway}:${port}`,
    });
    const keyDir = path.join(plane.dir, `dns-keys-${index}`);
    await mkdir(keyDir);
    keyDirs.push(keyDir);
    dns.push(
      await startServe(['--kube', '--kubeconfig', kubeconfig, '--namespace', NS, '--kube-wait', '2'], {
        listen: [`${host.address}:${DNS_PORT}`],
        spawn: (command, args, options) => host.spawn(command, args, options),
        args: ['--dnssec-keys', keyDir],
      }),
    );
    await createPod(core, {
      namespace: NS,
      name: `geodns-dns-${index}`,
      labels: { app: 'geodns-dns' },
      ip: host.address,
      ready: true,
    });
  }

  parent = await DsParent.start(path.join(plane.dir, 'parent'));
  startOperator('geodns-operator-a');
  startOperator('geodns-operator-b');
}, 180_000);

afterAll(async () => {
  for (const operator of operators.values()) await kill(operator, 'SIGKILL');
  for (const server of dns) await server.stop();
  for (const host of hosts) await host.remove();
  if (primary) {
    primary.closeAllConnections();
    await new Promise((resolve) => primary.close(resolve));
  }
  if (standby) await new Promise((resolve) => standby.close(resolve));
  await parent?.stop();
  await plane?.stop();
}, 60_000);

describe('the operator and the DNS server on the real control plane', { timeout: 120_000 }, () => {
  it('serves examples/cluster as kubectl applies it', async () => {
    await kubectl('apply', '-f', 'examples/cluster/');
    // No kubelet runs the example's demo backend: each Service gets one ready Pod its selector picks, as the
    // backend's pods would be.
    for (const name of serviceNames) {
      const service = await core.readNamespacedService({ namespace: 'web', name });
      const address = service.spec?.clusterIP;
      const labels = service.spec?.selector;
      if (!address || !labels) throw new Error(`examples/cluster: Service ${name} has no cluster address or selector`);
      clusterIPs.set(name, address);
      await createPod(core, { namespace: 'web', name, labels, ip: podAddressOf(name), ready: true });
    }
    // The probed targets of api.geo.example.com on their cluster addresses and the probes' own port (80): an HTTP
    // server for the primary, a TCP one for the standby. The probes run every second here.
    primary = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => primary.listen(PROBED_PORT, addressOf('api-primary'), resolve));
    standby = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => standby.listen(PROBED_PORT, addressOf('api-standby'), resolve));
    for (const probe of ['api-http', 'api-tcp']) {
      const patch = { spec: { interval: '1s', timeout: '500ms', failureThreshold: 2 } };
      await kubectl('patch', 'hp', '-n', 'web', probe, '--type', 'merge', '-p', JSON.stringify(patch));
    }
    await kubectl('wait', '--for=condition=Ready', 'ge', '--all', '-n', 'web', '--timeout=60s');
    await kubectl('wait', '--for=condition=Ready', 'gz', 'geo-example', '--timeout=60s');
    // A client in Frankfurt's network (a custom network of the zone) gets the Frankfurt target from both pods.
    await until(
      'www for a Frankfurt client from the Frankfurt target',
      () => answers('www.geo.example.com', FRANKFURT_CLIENT),
      { ...ANSWERS, accept: (value) => value === addressOf('www-eu-frankfurt') },
    );
    expect(await answers('api.geo.example.com')).toBe(addressOf('api-primary'));
    const { stdout } = await kubectl('get', 'ge', '-n', 'web');
    expect(stdout).toMatch(/^NAME\s+ZONE\s+HOSTNAME\s+POLICY\s+/m);
    expect(stdout).toMatch(/^www\s+geo-example\s+www\.geo\.example\.com\s+geo\s+6\/6\s+True\s/m);
    // The worst-case failover time in the wide view: api's probes (1s × 2 + 500ms) + publish 1s + TTL 20s; www has
    // no probe (its Services' readiness) + publish + routedTTL 60s.
    const wide = await until(
      'the failover times',
      async () => (await kubectl('get', 'ge', '-n', 'web', '-o', 'wide')).stdout,
      { accept: (text) => /^api\s.*\s24s$/m.test(text), timeoutMs: 30_000 },
    );
    expect(wide).toMatch(/^NAME\s.*\sFAILOVER$/m);
    expect(wide).toMatch(/^www\s.*\s1m1s$/m);
  });

  it('explains the resources from the CRDs the server publishes', async () => {
    const { stdout } = await kubectl('explain', 'geoendpoint.spec.targets.location');
    expect(stdout).toMatch(/GROUP:\s+geodns\.io/);
    expect(stdout).toMatch(/continent\s+<string>/);
    expect(stdout).toMatch(/country\s+<string>/);
  });

  it('says how many DNS pods serve the published serial (real EndpointSlices of the DNS Service)', async () => {
    await until(
      'Serving 2/2',
      async () => {
        const { stdout } = await kubectl('get', 'gz', 'geo-example');
        return /\s2\/2\s/.test(stdout) ? stdout : undefined;
      },
      { timeoutMs: 30_000 },
    );
    await setPodReady(core, NS, 'geodns-dns-1', false);
    await until(
      'Serving 1/1 once a DNS pod is not ready',
      async () => {
        const { stdout } = await kubectl('get', 'gz', 'geo-example');
        return /\s1\/1\s/.test(stdout) ? stdout : undefined;
      },
      { timeoutMs: 30_000 },
    );
    await setPodReady(core, NS, 'geodns-dns-1', true);
  });

  it('says how many DNS pods serve the DNSSEC key set: none before the kubelet fills their folders, then each', async () => {
    const keysServed = async (): Promise<string | undefined> => {
      const zone = (await custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
        status?: { dnssec?: { serving?: string } };
      };
      return zone.status?.dnssec?.serving;
    };
    await kubectl('patch', 'gz', 'geo-example', '--type', 'merge', '-p', '{"spec":{"dnssec":{"enabled":true}}}');
    const files = await until(
      'the key Secret',
      async () => {
        const secret = await core.readNamespacedSecret({ namespace: NS, name: 'geodns-dnssec-keys' }).catch(() => null);
        const data = Object.entries(secret?.data ?? {});
        return data.length > 0
          ? Object.fromEntries(data.map(([name, value]) => [name, Buffer.from(value, 'base64').toString('utf8')]))
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    // Both pods have the document marked signed and no key: SERVFAIL for the zone, so neither serves the key set.
    await until('Keys Served 0/2', keysServed, { timeoutMs: 30_000, accept: (v) => v === '0/2' });
    expect((await dns[1]!.dig(['www.geo.example.com', 'A', '+dnssec'])).status).toBe('SERVFAIL');

    await publishAsSecret(keyDirs[0]!, 'v1', files);
    await until('Keys Served 1/2', keysServed, { timeoutMs: 30_000, accept: (v) => v === '1/2' });
    await publishAsSecret(keyDirs[1]!, 'v1', files);
    const { stdout } = await until('Keys Served 2/2 in kubectl get gz', () => kubectl('get', 'gz', 'geo-example'), {
      timeoutMs: 30_000,
      accept: (out) => /\sKEYS SERVED\s/.test(out.stdout) && /\s2\/2\s+True\s/.test(out.stdout),
    });
    expect(stdout).toMatch(
      /^NAME\s+APEX\s+SERIAL\s+ENDPOINTS\s+SERVING\s+DNSSEC\s+PARENT DS\s+KEYS SERVED\s+READY\s+AGE$/m,
    );
    // The parent (the operators' resolver) has no DS yet; once the DS from status is pasted there, it matches.
    expect(stdout).toMatch(/\sMissing\s+2\/2\s/);
    const zone = (await custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
      status?: { dnssec?: { ds?: { rdata: string }[] } };
    };
    await parent.setDs((zone.status?.dnssec?.ds ?? []).map((d) => d.rdata));
    await until('PARENT DS Matches in kubectl get gz', () => kubectl('get', 'gz', 'geo-example'), {
      timeoutMs: 60_000,
      accept: (out) => /\sMatches\s+2\/2\s/.test(out.stdout),
    });
    for (const server of dns) {
      const signed = await server.dig(['www.geo.example.com', 'A', '+dnssec', FRANKFURT_CLIENT]);
      expect(signed.answer.map((r) => r.type)).toContain('RRSIG');
    }
    // Answers without DO are as they were.
    expect(await answers('www.geo.example.com', FRANKFURT_CLIENT)).toBe(addressOf('www-eu-frankfurt'));
  });

  it('fails over when a Pod stops being ready (Pod status → EndpointSlice controller → operator), and back', async () => {
    const watch = spawn(binary('kubectl'), ['get', 'ge', '-n', 'web', 'www', '-w', '--output-watch-events'], {
      env: { ...process.env, KUBECONFIG: plane.adminKubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let watched = '';
    watch.stdout!.on('data', (chunk: Buffer) => (watched += chunk.toString()));
    try {
      await until('kubectl get -w lists www', () => /ADDED\s+www\s/.test(watched), { timeoutMs: 20_000 });
      await setPodReady(core, 'web', 'www-eu-frankfurt', false);
      await until(
        'www for a Frankfurt client without the Frankfurt target',
        async () => (await answers('www.geo.example.com', FRANKFURT_CLIENT)).includes(addressOf('www-eu-frankfurt')),
        { ...ANSWERS, accept: (value) => value === false },
      );
      // The watch shows the printer columns change: 5 of 6 targets healthy.
      await until('kubectl get -w shows 5/6', () => /MODIFIED\s+www\s+geo-example\s+\S+\s+geo\s+5\/6\s/.test(watched), {
        timeoutMs: 30_000,
      });
      await setPodReady(core, 'web', 'www-eu-frankfurt', true);
      await until(
        'www for a Frankfurt client from the Frankfurt target',
        () => answers('www.geo.example.com', FRANKFURT_CLIENT),
        { ...ANSWERS, accept: (value) => value === addressOf('www-eu-frankfurt') },
      );
    } finally {
      watch.kill('SIGTERM');
    }
  });

  it('fails over when a probed target stops answering, and the HealthProbe status says Down', async () => {
    primary.closeAllConnections();
    await new Promise((resolve) => primary.close(resolve));
    await until('api from the standby', () => answers('api.geo.example.com'), {
      ...ANSWERS,
      accept: (value) => value === addressOf('api-standby'),
    });
    type Probe = { status?: { addresses?: { address: string; state: string; lastError?: string }[] } };
    const entry = await until(
      'the HealthProbe status says Down',
      async () => {
        const object = (await custom.getNamespacedCustomObject({
          ...GROUP,
          namespace: 'web',
          plural: 'healthprobes',
          name: 'api-http',
        })) as Probe;
        const found = object.status?.addresses?.find((a) => a.address === addressOf('api-primary'));
        return found?.state === 'Down' ? found : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(entry.lastError).toBeTruthy();
  });

  it('leaves out a GeoEndpoint gone bad with its condition and a Warning Event, and keeps the rest', async () => {
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: {
        apiVersion: 'geodns.io/v1alpha1',
        kind: 'GeoEndpoint',
        metadata: { name: 'broken', namespace: 'web' },
        spec: {
          zoneRef: { name: 'geo-example' },
          hostname: 'broken.geo.example.com',
          policy: 'geo',
          targets: [
            { name: 'a', service: { name: 'www-eu-paris', useClusterIP: true }, location: { continent: 'EU' } },
          ],
        },
      },
    });
    await kubectl('wait', '--for=condition=Ready', 'ge', '-n', 'web', 'broken', '--timeout=30s');
    await until('broken from the Paris target', () => answers('broken.geo.example.com'), {
      ...ANSWERS,
      accept: (value) => value === addressOf('www-eu-paris'),
    });
    // Its Service goes away from under it: a transition, which is worth an Event.
    const patch = [{ op: 'replace', path: '/spec/targets/0/service/name', value: 'missing' }];
    await kubectl('patch', 'ge', '-n', 'web', 'broken', '--type', 'json', '-p', JSON.stringify(patch));
    const refs = await until(
      'ResolvedRefs=False',
      async () => {
        const found = await condition('geoendpoints', 'broken', 'ResolvedRefs', 'web');
        return found?.status === 'False' ? found : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(refs).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(await rcode('broken.geo.example.com')).toBe('NXDOMAIN');
    expect(await answers('canary.geo.example.com')).not.toBe('');
    // The Event as the real server stores it (events.k8s.io/v1), about the GeoEndpoint.
    const events = plane.admin().makeApiClient(EventsV1Api);
    const event = await until(
      'a Warning Event about broken',
      async () =>
        (await events.listNamespacedEvent({ namespace: 'web' })).items.find(
          (e) => e.regarding?.name === 'broken' && e.type === 'Warning',
        ),
      { timeoutMs: 30_000 },
    );
    expect(event).toMatchObject({ regarding: { kind: 'GeoEndpoint', namespace: 'web' }, reason: expect.any(String) });
    const { stdout } = await kubectl('get', 'events', '-n', 'web', '--field-selector', 'involvedObject.name=broken');
    expect(stdout).toMatch(/Warning/);
  });

  it('replaces a killed leader through the real Lease, and the new leader serves changes', async () => {
    const holder = await until('a leader', leaseHolder, { timeoutMs: 30_000 });
    const leader = [...operators.values()].find((o) => identityOf(o) === holder);
    if (!leader) throw new Error(`the Lease names ${holder}, not one of this test's operators`);
    await kill(leader, 'SIGKILL');
    const successor = await until(
      'another holder',
      async () => {
        const now = await leaseHolder();
        return now && now !== holder ? now : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect([...operators.values()].map(identityOf)).toContain(successor);
    await kubectl('delete', 'ge', '-n', 'web', 'canary');
    await until('NXDOMAIN for canary', () => rcode('canary.geo.example.com'), {
      ...ANSWERS,
      accept: (value) => value === 'NXDOMAIN',
    });
    // The killed one comes back as a standby.
    startOperator(leader.name);
  });

  it('keeps answering while the API server is down, and catches up when it is back', async () => {
    const before = await answers('www.geo.example.com', FRANKFURT_CLIENT);
    await plane.stopApiServer();
    try {
      for (let i = 0; i < 5; i++) {
        expect(await answers('www.geo.example.com', FRANKFURT_CLIENT)).toBe(before);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    } finally {
      await plane.startApiServer();
    }
    await setPodReady(core, 'web', 'www-eu-frankfurt', false);
    await until(
      'www for a Frankfurt client without the Frankfurt target',
      async () => (await answers('www.geo.example.com', FRANKFURT_CLIENT)).includes(addressOf('www-eu-frankfurt')),
      { ...ANSWERS, timeoutMs: 60_000, accept: (value) => value === false },
    );
    await setPodReady(core, 'web', 'www-eu-frankfurt', true);
    await until(
      'www for a Frankfurt client from the Frankfurt target',
      () => answers('www.geo.example.com', FRANKFURT_CLIENT),
      { ...ANSWERS, timeoutMs: 60_000, accept: (value) => value === addressOf('www-eu-frankfurt') },
    );
  });

  it('relists after a compacted etcd history answers its watches with 410 Gone', async () => {
    await plane.stopApiServer();
    // Revisions the watchers never saw, then compacted away: a watch from their last resourceVersion is too old.
    await plane.bumpEtcdRevision(20);
    await plane.compactEtcd();
    await plane.startApiServer();
    // Each DNS pod's watch from its last resourceVersion was answered 410 Gone by the real server, and it listed again.
    for (const server of dns) {
      await server.waitForLog((l) => /410 Gone/.test(String(l.msg)), '410 Gone, listing again', 60_000);
    }
    await kubectl('delete', 'ge', '-n', 'web', 'near');
    await until('NXDOMAIN for near', () => rcode('near.geo.example.com'), {
      ...ANSWERS,
      timeoutMs: 60_000,
      accept: (value) => value === 'NXDOMAIN',
    });
  });

  // The garbage collector's latency varies (1-40 s seen here): after the API server restarts above, its informers
  // and monitors come back with their own backoff.
  it(
    'takes a deleted GeoZone away (REFUSED): the garbage collector removes its ConfigMap',
    { timeout: 180_000 },
    async () => {
      // No operator runs: only the real garbage collector, following the ConfigMap's owner reference, can remove it.
      for (const operator of operators.values()) await kill(operator, 'SIGTERM');
      await kubectl('delete', 'gz', 'geo-example');
      await until(
        'the ConfigMap gone',
        async () => {
          const list = await core.listNamespacedConfigMap({ namespace: NS });
          return list.items.every((c) => c.metadata?.name !== zoneConfigMapName('geo-example')) ? true : undefined;
        },
        { timeoutMs: 150_000 },
      );
      await until('REFUSED for www', () => rcode('www.geo.example.com'), {
        ...ANSWERS,
        accept: (value) => value === 'REFUSED',
      });
    },
  );
});
