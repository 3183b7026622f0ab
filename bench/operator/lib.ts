// What the operator benchmarks share: a real control plane started by the benchmark (etcd, kube-apiserver and
// kube-controller-manager from scripts/kube/build-binaries.sh, through tools/control-plane/), with our CRDs and
// deploy/rbac/ applied by kubectl and an audit log that counts every request; `geodns operator` and
// `geodns serve --kube` as child processes (the built dist/ by default) with real ServiceAccount tokens; the DNS pods
// on pod hosts (network namespaces, because the operator queries their addresses from the EndpointSlices the real
// controller makes, and Kubernetes refuses loopback there) with a forwarder process to the API server; Services
// whose Pods' readiness the benchmark sets (TEST-NET-1 addresses nothing contacts); a UDP DNS client that polls every
// pod, RSS and CPU from /proc, percentiles, and the machine description for RESULTS.md. Traffic goes to loopback
// and to the pod hosts only; every child is stopped by its own PID when the benchmark ends (also on Ctrl-C), and
// every pod host removed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi, Watch } from '@kubernetes/client-node';
import dnsPacket from 'dns-packet';
import { binary } from '../../tools/control-plane/binaries.ts';
import { startControlPlane, type AuditedRequest, type ControlPlane } from '../../tools/control-plane/control-plane.ts';
import { PodHost } from '../../tools/control-plane/pod-host.ts';
import { createPod, ensureNode, uncontactedAddress } from '../../tools/control-plane/pods.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const NS = 'geodns-system';
export const APP_NS = 'web';
export const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
/** What the child processes run: the built CLI (what production runs), or GEODNS_ENTRY (e.g. cli/geodns.ts). */
export const ENTRY = path.resolve(ROOT, process.env.GEODNS_ENTRY ?? 'dist/cli/geodns.js');
/** Node flags of the operator: the `geodns` bin's shebang has --max-semi-space-size=4 (OPERATOR_NODE_FLAGS). */
export const OPERATOR_NODE_FLAGS = (process.env.OPERATOR_NODE_FLAGS ?? '--max-semi-space-size=4')
  .split(' ')
  .filter(Boolean);

/** Progress goes to stderr; the results block goes to stdout. */
export function say(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${message}\n`);
}

export function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a number, got '${text}'`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes, stopped by PID.

export type LogLine = Record<string, unknown> & { msg?: string };

const children = new Set<Child>();

export class Child {
  readonly child: ChildProcess;
  readonly name: string;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<void>;
  #waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  /** `node args` as a child of this process, or inside a pod host (its PID is node's: `ip netns exec` execs). */
  constructor(name: string, args: string[], options: { env?: NodeJS.ProcessEnv; host?: PodHost } = {}) {
    this.name = name;
    const spawnOptions = {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    };
    this.child = options.host
      ? options.host.spawn(process.execPath, args, spawnOptions)
      : spawn(process.execPath, args, spawnOptions);
    children.add(this);
    this.exited = once(this.child, 'exit').then(() => {
      children.delete(this);
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      // Keep what the benchmarks look for, not every line of a long run.
      if (this.logs.length < 20_000) this.logs.push(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 200) this.stderr.push(chunk.toString());
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.name} has no PID`);
    return pid;
  }

  waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: no '${what}' within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`));
      }, timeoutMs);
      this.#waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before '${what}'; stderr: ${this.stderr.join('')}`));
      });
    });
  }

  /** SIGTERM to this PID; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Stops every child this process started (by PID). */
export async function stopChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/** The pod hosts of this process: removed on every way out (`ip netns del` takes the veth pair with it). */
const podHosts = new Set<PodHost>();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.child.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  for (const host of podHosts) {
    try {
      execFileSync('ip', ['netns', 'del', host.name], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // already gone
    }
  }
});

function checkEntry(): void {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first (or set GEODNS_ENTRY)`);
}

export interface OperatorProcess {
  proc: Child;
  metricsUrl: string;
}

/** `geodns operator` against the cluster, as its ServiceAccount; resolves once it logged its metrics address. */
export async function startOperator(kubeconfig: string, extra: string[] = []): Promise<OperatorProcess> {
  checkEntry();
  const proc = new Child('operator', [
    ...OPERATOR_NODE_FLAGS,
    ENTRY,
    'operator',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    NS,
    '--metrics',
    '127.0.0.1:0',
    '--log-level',
    process.env.OPERATOR_LOG_LEVEL ?? 'info',
    ...extra,
  ]);
  const started = await proc.waitForLog((l) => l.msg === 'starting', 'starting');
  return { proc, metricsUrl: `http://${String(started.metrics)}` };
}

export interface DnsPod {
  proc: Child;
  /** The pod's address (its pod host's): what the operator and the benchmark query. */
  host: string;
  port: number;
}

/** The port the DNS pods listen on inside their hosts (UDP and TCP), and the DNS Service's targetPort. */
export const DNS_PORT = 5353;
export const DNS_SERVICE = 'geodns-dns';

/**
 * The DNS Service (selector app=geodns-dns, port 53 → DNS_PORT) and `count` DNS pods: each `geodns serve --kube` on
 * its own pod host, with a real token of the DNS pods' ServiceAccount and a forwarder process to the API server,
 * then its Pod created Ready with the host's address, so the real EndpointSlice controller names it in the
 * Service's slice (which the operator reads for its serving check). Resolves once every pod serves.
 */
export async function startDnsPods(cluster: BenchCluster, count = 2, workers = 0): Promise<DnsPod[]> {
  checkEntry();
  await cluster.core.createNamespacedService({
    namespace: NS,
    body: {
      metadata: { name: DNS_SERVICE },
      spec: {
        selector: { app: DNS_SERVICE },
        ports: [
          { name: 'dns', port: 53, targetPort: DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: DNS_PORT, protocol: 'TCP' },
        ],
      },
    },
  });
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const host = await PodHost.create();
      podHosts.add(host);
      cluster.hosts.push(host);
      const forwarder = new Child(`forwarder ${host.address}`, [
        path.join(import.meta.dirname, 'forwarder.ts'),
        host.gateway,
        String(cluster.plane.apiPort),
      ]);
      const { port } = await forwarder.waitForLog((l) => l.msg === 'listening', 'listening');
      const kubeconfig = await cluster.plane.serviceAccountKubeconfig(
        NS,
        DNS_SERVICE,
        path.join(cluster.dir, `dns-${index}.kubeconfig`),
        { server: `https://${host.gateway}:${String(port)}` },
      );
      const proc = new Child(
        `dns ${host.address}`,
        [
          '--max-semi-space-size=4',
          ENTRY,
          'serve',
          '--kube',
          '--kubeconfig',
          kubeconfig,
          '--namespace',
          NS,
          '--listen',
          `${host.address}:${DNS_PORT}`,
          '--metrics',
          '127.0.0.1:0',
          '--workers',
          String(workers),
        ],
        { host },
      );
      await proc.waitForLog((l) => l.msg === 'serving', 'serving', 60_000);
      await createPod(cluster.core, {
        namespace: NS,
        name: `${DNS_SERVICE}-${index}`,
        labels: { app: DNS_SERVICE },
        ip: host.address,
        ready: true,
        ports: [
          { name: 'dns', containerPort: DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: DNS_PORT, protocol: 'TCP' },
        ],
      });
      return { proc, host: host.address, port: DNS_PORT };
    }),
  );
}

/** A TCP port free on 127.0.0.1 right now (the DNS pods bind it on 127.0.0.2 and .3, UDP and TCP). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster.

/** An object as the benchmarks write them. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface BenchCluster {
  plane: ControlPlane;
  /** kube-apiserver's /version (gitVersion) and etcd's version, for the results. */
  versions: string;
  dir: string;
  operatorKubeconfig: string;
  admin: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** The pod hosts of the DNS pods. */
  hosts: PodHost[];
  /** Kept-alive HTTPS connections to the API server (setPodReady). */
  agent: https.Agent;
  stop(): Promise<void>;
}

export const OPERATOR_USER = `system:serviceaccount:${NS}:geodns-operator`;
export const DNS_USER = `system:serviceaccount:${NS}:${DNS_SERVICE}`;

/**
 * A real control plane (audit log on) with crds/ applied and Established, the namespaces geodns-system and web,
 * deploy/rbac/ applied with kubectl, the test Node, and the operator's ServiceAccount kubeconfig.
 */
export async function startBenchCluster(name: string): Promise<BenchCluster> {
  const dir = path.join(ROOT, 'bench', 'out', 'operator', name);
  mkdirSync(dir, { recursive: true });
  say(`${name}: starting etcd, kube-apiserver and kube-controller-manager`);
  const plane = await startControlPlane({ name: `geodns-bench-${name}`, audit: true });
  const hosts: PodHost[] = [];
  const cluster: BenchCluster = {
    plane,
    versions: '',
    dir,
    operatorKubeconfig: path.join(dir, 'operator.kubeconfig'),
    admin: plane.admin(),
    core: plane.admin().makeApiClient(CoreV1Api),
    custom: plane.admin().makeApiClient(CustomObjectsApi),
    hosts,
    agent: new https.Agent({ keepAlive: true, maxSockets: 16, ca: readFileSync(plane.caFile) }),
    stop: async () => {
      cluster.agent.destroy();
      for (const host of hosts) {
        await host.remove();
        podHosts.delete(host);
      }
      await plane.stop();
    },
  };
  try {
    await plane.kubectl(['apply', '-f', 'crds/']);
    await plane.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
    await plane.kubectl(['create', 'namespace', NS]);
    await plane.kubectl(['create', 'namespace', APP_NS]);
    await plane.kubectl(['apply', '-f', 'deploy/rbac/']);
    await plane.serviceAccountKubeconfig(NS, 'geodns-operator', cluster.operatorKubeconfig);
    await ensureNode(cluster.core);
    const version = await plane.admin().makeApiClient(VersionApi).getCode();
    const etcd = /etcd Version: (\S+)/.exec(execFileSync(binary('etcd'), ['--version']).toString())?.[1] ?? '?';
    cluster.versions = `kube-apiserver ${version.gitVersion}, etcd ${etcd}`;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** What each scenario says about where it ran. */
export function clusterText(cluster: BenchCluster): string {
  return (
    `Real control plane (${cluster.versions}, kube-controller-manager with the EndpointSlice controller; RBAC, audit log of every request), each its own process; ` +
    `the operator and the DNS pods with TokenRequest tokens of their ServiceAccounts bound to deploy/rbac/; ` +
    `the DNS pods in network namespaces (pod hosts, reached over veth), their API traffic through a forwarder process`
  );
}

/** The GeoZone `bench` (apex bench.example), every namespace may publish. */
export function benchZone(): KubeObject {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoZone',
    metadata: { name: 'bench' },
    spec: {
      apex: 'bench.example',
      soa: { hostmaster: 'hostmaster.bench.example' },
      nameServers: [{ name: 'ns1.bench.example', addresses: ['192.0.2.53'] }],
      defaultTTL: 30,
    },
  };
}

/** A GeoEndpoint `name` (hostname name.bench.example) in the zone `bench`, namespace web; `spec` adds to it. */
export function benchEndpoint(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoEndpoint',
    metadata: { name, namespace: APP_NS },
    spec: { zoneRef: { name: 'bench' }, hostname: `${name}.bench.example`, ...spec },
  };
}

const PLURALS: Record<string, string> = {
  GeoZone: 'geozones',
  GeoEndpoint: 'geoendpoints',
  HealthProbe: 'healthprobes',
};

/** Creates our resources (GeoZone, HealthProbe, GeoEndpoint) as the administrator, `concurrency` at a time. */
export async function createObjects(cluster: BenchCluster, objects: KubeObject[], concurrency = 1): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const object = objects[next++];
        if (!object) return;
        const plural = PLURALS[object.kind];
        if (!plural) throw new Error(`createObjects: no plural for ${object.kind}`);
        if (object.metadata.namespace) {
          await cluster.custom.createNamespacedCustomObject({
            ...GROUP,
            namespace: object.metadata.namespace,
            plural,
            body: object,
          });
        } else {
          await cluster.custom.createClusterCustomObject({ ...GROUP, plural, body: object });
        }
      }
    }),
  );
}

/**
 * A LoadBalancer Service `name` (selector app=name) with one load-balancer ingress address, and its one Pod
 * `name-0` on the test Node with the TEST-NET-1 address `uncontactedAddress(index)` (nothing contacts it), Ready as
 * asked: the real EndpointSlice controller makes the slice.
 */
export async function createService(
  cluster: BenchCluster,
  name: string,
  ingress: string,
  ready: boolean,
  index: number,
  namespace = APP_NS,
): Promise<void> {
  const service = await cluster.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name },
      spec: {
        type: 'LoadBalancer',
        allocateLoadBalancerNodePorts: false,
        selector: { app: name },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    },
  });
  service.status = { loadBalancer: { ingress: [{ ip: ingress }] } };
  await cluster.core.replaceNamespacedServiceStatus({ namespace, name, body: service });
  await createPod(cluster.core, {
    namespace,
    name: `${name}-0`,
    labels: { app: name },
    ip: uncontactedAddress(index),
    ready,
    ports: [{ containerPort: 8080 }],
  });
}

/**
 * Sets the Ready condition of a Service's one Pod as its kubelet would: one strategic-merge patch of pods/status
 * (conditions merge by type), as the administrator; the EndpointSlice controller does the rest. Sent with node:https
 * over kept-alive connections rather than client-node, whose cost per request held flap.ts's writer below 100/s.
 */
export async function setPodReady(cluster: BenchCluster, service: string, ready: boolean): Promise<void> {
  const status = ready ? 'True' : 'False';
  const lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const body = JSON.stringify({
    status: {
      conditions: [
        { type: 'ContainersReady', status, lastTransitionTime },
        { type: 'Ready', status, lastTransitionTime },
      ],
    },
  });
  await new Promise<void>((resolve, reject) => {
    const request = https.request(
      `${cluster.plane.url}/api/v1/namespaces/${APP_NS}/pods/${service}-0/status`,
      {
        method: 'PATCH',
        agent: cluster.agent,
        headers: {
          authorization: `Bearer ${cluster.plane.adminToken}`,
          'content-type': 'application/strategic-merge-patch+json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if ((response.statusCode ?? 0) < 300) resolve();
          else reject(new Error(`patch pods/${service}-0/status: ${response.statusCode} ${Buffer.concat(chunks)}`));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.end(body);
  });
}

export type WatchPhase = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * An administrator's watch of `apiPath` (e.g. /apis/discovery.k8s.io/v1/namespaces/web/endpointslices): every
 * event with performance.now() at its arrival. Existing objects come first as ADDED. Stop with the returned abort.
 */
export async function watch(
  cluster: BenchCluster,
  apiPath: string,
  onEvent: (phase: WatchPhase, object: KubeObject, at: number) => void,
  query: Record<string, string> = {},
): Promise<() => void> {
  let stopped = false;
  let controller: AbortController | undefined;
  const start = async (): Promise<void> => {
    controller = await new Watch(cluster.admin).watch(
      apiPath,
      query,
      (phase: string, object: KubeObject) => onEvent(phase as WatchPhase, object, performance.now()),
      (error: unknown) => {
        if (stopped) return;
        say(`watch ${apiPath} ended (${error ? String(error) : 'done'}): again in 100 ms`);
        setTimeout(() => {
          if (!stopped) void start().catch((e: unknown) => say(`watch ${apiPath}: ${String(e)}`));
        }, 100);
      },
    );
  };
  await start();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** Is a Service's EndpointSlice saying its endpoints are ready (undefined: no endpoints at all)? */
export function sliceReady(slice: KubeObject): boolean | undefined {
  const endpoints = (slice.endpoints as { conditions?: { ready?: boolean } }[] | undefined) ?? [];
  if (endpoints.length === 0) return undefined;
  return endpoints.some((e) => e.conditions?.ready === true);
}

export function condition(object: KubeObject | undefined, type: string): { status?: string; reason?: string } {
  const status = object?.status as { conditions?: { type: string; status: string; reason: string }[] } | undefined;
  return status?.conditions?.find((c) => c.type === type) ?? {};
}

/** The audit log's requests received in [from, to) (Date.now() values), by everyone. */
export async function auditedRequests(cluster: BenchCluster, from = 0, to = Infinity): Promise<AuditedRequest[]> {
  return (await cluster.plane.requests()).filter((r) => {
    const t = Date.parse(r.time);
    return t >= from && t < to;
  });
}

/** How long the API server took over each request that matches (the audit log: received → response complete), ms. */
export async function serverMs(
  cluster: BenchCluster,
  match: { user?: string; verb: string; resource: string; subresource?: string },
): Promise<number[]> {
  return (await cluster.plane.requests())
    .filter(
      (r) =>
        (match.user === undefined || r.user === match.user) &&
        r.verb === match.verb &&
        r.resource === match.resource &&
        r.subresource === match.subresource,
    )
    .map((r) => r.serverMs);
}

export const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Counts the requests that match `filter` (an undefined field matches anything). */
export function countRequests(
  requests: readonly AuditedRequest[],
  filter: Partial<Pick<AuditedRequest, 'user' | 'verb' | 'resource' | 'subresource' | 'name'>> & { write?: boolean },
): number {
  return requests.filter(
    (r) =>
      (filter.user === undefined || r.user === filter.user) &&
      (filter.verb === undefined || r.verb === filter.verb) &&
      (filter.resource === undefined || r.resource === filter.resource) &&
      (filter.subresource === undefined || r.subresource === filter.subresource) &&
      (filter.name === undefined || r.name === filter.name) &&
      (filter.write === undefined || WRITE_VERBS.has(r.verb) === filter.write),
  ).length;
}

/** Who sent a request, in the words of the results tables. */
export function who(user: string): string {
  if (user === OPERATOR_USER) return 'operator';
  if (user === DNS_USER) return 'DNS pods';
  // kube-controller-manager runs with the administrator's kubeconfig (tools/control-plane), as does the benchmark.
  if (user === 'admin') return 'admin (kube-controller-manager, benchmark)';
  return user;
}

/** Requests grouped by who, verb and resource[/subresource], most first within each. */
export function requestRows(requests: readonly AuditedRequest[]): string[] {
  const counts = new Map<string, { who: string; verb: string; resource: string; count: number }>();
  for (const r of requests) {
    const resource = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}` || '(non-resource)';
    const key = `${who(r.user)}\u0000${r.verb}\u0000${resource}`;
    const entry = counts.get(key) ?? { who: who(r.user), verb: r.verb, resource, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()]
    .sort((a, b) => a.who.localeCompare(b.who) || a.verb.localeCompare(b.verb) || b.count - a.count)
    .map((e) => `| ${e.who} | ${e.verb} | ${e.resource} | ${e.count} |`);
}

/** The PIDs of the control plane's processes (children of this process, by their command name). */
export function controlPlanePids(): Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager', number | undefined> {
  const found: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = /\((.*)\)/.exec(stat)?.[1] ?? '';
      const ppid = Number(stat.split(') ')[1]?.split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (comm === 'etcd' || comm === 'kube-apiserver' || comm.startsWith('kube-controller')) {
        found[comm.startsWith('kube-controller') ? 'kube-controller-manager' : comm] = Number(entry);
      }
    } catch {
      // gone meanwhile
    }
  }
  return {
    etcd: found.etcd,
    'kube-apiserver': found['kube-apiserver'],
    'kube-controller-manager': found['kube-controller-manager'],
  };
}

/** CPU seconds of the control plane's processes so far. */
export function controlPlaneCpu(): { apiserver: number; etcd: number; controllers: number } {
  const pids = controlPlanePids();
  const of = (pid: number | undefined) => (pid === undefined ? NaN : cpuSeconds(pid));
  return {
    apiserver: of(pids['kube-apiserver']),
    etcd: of(pids.etcd),
    controllers: of(pids['kube-controller-manager']),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// DNS.

/** One UDP socket; queries with their own ids. */
export class DnsClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, (packet: dnsPacket.Packet | undefined) => void>();
  #nextId = 1;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (message: Buffer) => {
      let packet: dnsPacket.Packet;
      try {
        packet = dnsPacket.decode(message);
      } catch {
        return;
      }
      const resolve = this.#pending.get(packet.id ?? -1);
      if (!resolve) return;
      this.#pending.delete(packet.id ?? -1);
      resolve(packet);
    });
  }

  static async open(): Promise<DnsClient> {
    const socket = createSocket('udp4');
    // Any local address: the pods are on pod hosts (reached over their veth pair), which a socket bound to
    // 127.0.0.1 cannot send to.
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    return new DnsClient(socket);
  }

  /** The reply, or undefined after `timeoutMs`. */
  ask(
    host: string,
    port: number,
    name: string,
    type: 'A' | 'SOA',
    timeoutMs = 200,
  ): Promise<dnsPacket.Packet | undefined> {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 65_000) + 1;
    const message = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type, class: 'IN', name }] });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(id, (packet) => {
        clearTimeout(timer);
        resolve(packet);
      });
      this.#socket.send(message, port, host);
    });
  }

  /** The A addresses of the answer, sorted; undefined on a timeout or an rcode other than NOERROR. */
  async query(host: string, port: number, name: string, timeoutMs = 200): Promise<string[] | undefined> {
    const packet = await this.ask(host, port, name, 'A', timeoutMs);
    // The low 4 bits of the flags are the rcode.
    if (!packet || ((packet.flags ?? 0) & 0xf) !== 0) return undefined;
    return (packet.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();
  }

  /** The SOA serial a pod serves for `apex`, or undefined. */
  async serial(host: string, port: number, apex: string, timeoutMs = 200): Promise<number | undefined> {
    const packet = await this.ask(host, port, apex, 'SOA', timeoutMs);
    const soa = packet?.answers?.find((a) => a.type === 'SOA');
    return soa?.type === 'SOA' ? soa.data.serial : undefined;
  }

  close(): void {
    this.#socket.close();
  }
}

export const sameSet = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Polls every pod (one query in flight per pod, a new one every `intervalMs`) until each answers `expected` for
 * `name`; the milliseconds since `since` (performance.now()) at which each pod first did, or undefined for a pod
 * that had not by the deadline.
 */
export async function waitForAnswers(
  dns: DnsClient,
  pods: readonly { host: string; port: number }[],
  name: string,
  expected: readonly string[],
  since: number,
  timeoutMs: number,
  intervalMs = 5,
): Promise<(number | undefined)[]> {
  const want = [...expected].sort();
  return Promise.all(
    pods.map(async (pod) => {
      for (;;) {
        const sent = performance.now();
        if (sent - since > timeoutMs) return undefined;
        const answer = await dns.query(pod.host, pod.port, name, 100);
        const at = performance.now();
        if (sameSet(answer, want)) return at - since;
        const rest = intervalMs - (at - sent);
        if (rest > 0) await sleep(rest);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers.

export function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? NaN;
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');

export function stats(values: readonly number[]): string {
  return `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))}, max ${ms(Math.max(...values))} (n=${values.length})`;
}

/** A Prometheus text metric's value, summed over every series of that name that matches `labels`. */
export async function scrape(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** What the benchmarks run: the sources dist/ is built from, and the benchmarks (not their RESULTS.md). */
const BUILT_FROM = ['api', 'cli', 'dnsserver', 'operator', 'scripts/bundle.ts', 'package.json', 'bench/operator'];

/** The header of a results block: machine, Node, commit, date, load, command. */
export function header(title: string, command: string): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    // Other engineers' work in progress elsewhere in the tree (tests, docs, the DNS benchmarks) does not change
    // what runs.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', ...BUILT_FROM], {
      cwd: ROOT,
    }).toString();
    if (dirty.trim() !== '') commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `### ${title} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- machine: ${cpu.length} vCPU (${cpu[0]?.model.trim() ?? 'unknown'}), shared with other engineers' test runs; load average at start ${load}`,
    `- Node ${process.version}, geodns at ${commit}; children: \`node ${OPERATOR_NODE_FLAGS.join(' ')} ${path.relative(ROOT, ENTRY)} operator\`, \`node --max-semi-space-size=4 ${path.relative(ROOT, ENTRY)} serve --kube\``,
    `- command: \`${command}\``,
    '',
  ].join('\n');
}

export function loadNow(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
