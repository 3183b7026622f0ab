// What the operator benchmarks share: the API test server in this process (RBAC on, the operator and the DNS
// pods bound to exactly deploy/rbac/, as test/operator/cluster.ts sets it up), `geodns operator` and
// `geodns serve --kube` as child processes (the built dist/ by default), a UDP DNS client that polls every pod,
// RSS from /proc, percentiles, and the machine description for RESULTS.md. Loopback only; every child is stopped
// by its own PID when the benchmark ends (also on Ctrl-C).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import dnsPacket from 'dns-packet';
import {
  ADMIN_TOKEN,
  DNS_TOKEN,
  OPERATOR_NAMESPACE,
  OPERATOR_TOKEN,
  startCluster,
} from '../../test/operator/cluster.ts';
import type { ApiServer } from '../../test/apiserver/server.ts';
import type { StoreEvent } from '../../test/apiserver/store.ts';
import type { KubeObject } from '../../test/apiserver/types.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const NS = OPERATOR_NAMESPACE;
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

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.name = name;
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.child.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
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
  host: string;
  port: number;
}

/** `geodns serve --kube` on host:port (UDP and TCP), as the DNS pods' ServiceAccount; resolves once serving. */
export async function startDnsPod(kubeconfig: string, host: string, port: number, workers = 0): Promise<DnsPod> {
  checkEntry();
  const proc = new Child(`dns ${host}`, [
    '--max-semi-space-size=4',
    ENTRY,
    'serve',
    '--kube',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    NS,
    '--listen',
    `${host}:${port}`,
    '--metrics',
    '127.0.0.1:0',
    '--workers',
    String(workers),
  ]);
  await proc.waitForLog((l) => l.msg === 'serving', 'serving');
  return { proc, host, port };
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

export interface BenchCluster {
  server: ApiServer;
  dir: string;
  operatorKubeconfig: string;
  dnsKubeconfig: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  discovery: DiscoveryV1Api;
  /** Subscribes to every write the server stores (in-process, synchronous: its time is the write's). */
  onWrite: (listener: (event: StoreEvent) => void) => () => void;
}

/** The API test server with RBAC on (test/operator/cluster.ts), kubeconfigs for the operator and the DNS pods. */
export async function startBenchCluster(name: string): Promise<BenchCluster> {
  const server = await startCluster();
  const dir = path.join(ROOT, 'bench', 'out', 'operator', name);
  mkdirSync(dir, { recursive: true });
  const operatorKubeconfig = path.join(dir, 'operator.kubeconfig');
  const dnsKubeconfig = path.join(dir, 'dns.kubeconfig');
  await server.writeKubeconfig(operatorKubeconfig, OPERATOR_TOKEN);
  await server.writeKubeconfig(dnsKubeconfig, DNS_TOKEN);
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig(ADMIN_TOKEN));
  return {
    server,
    dir,
    operatorKubeconfig,
    dnsKubeconfig,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    onWrite: (listener) => server.store.subscribe(listener),
  };
}

export const OPERATOR_USER = 'system:serviceaccount:geodns-system:geodns-operator';

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

/** The DNS Service and its EndpointSlice: the pods the operator asks for each zone's serial (GeoZone Serving). */
export function dnsServiceObjects(addresses: string[], port: number): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'geodns-dns', namespace: NS },
      spec: { type: 'ClusterIP', ports: [{ name: 'dns', port: 53, targetPort: port, protocol: 'UDP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'geodns-dns-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'geodns-dns' } },
      addressType: 'IPv4',
      ports: [{ name: 'dns', port, protocol: 'UDP' }],
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    },
  ];
}

/** A LoadBalancer Service with one ingress address and its EndpointSlice, as seeded objects. */
export function serviceObjects(name: string, ingress: string, ready: boolean, namespace = APP_NS): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
      status: { loadBalancer: { ingress: [{ ip: ingress }] } },
    },
    sliceObject(name, ready, namespace),
  ];
}

export function sliceObject(service: string, ready: boolean, namespace = APP_NS): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-1`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }],
  };
}

/** Seeds a Service with its status (the seed drops status on create, as the API does: it is set afterwards). */
export function seedAll(server: ApiServer, objects: KubeObject[]): void {
  for (const object of objects) {
    const stored = server.seed(object);
    if (object.kind === 'Service' && object.status) {
      server.store.put('/services', { ...stored, status: object.status });
    }
  }
}

/** Sets the ready condition of a Service's one endpoint (the EndpointSlice controller's write), as admin. */
export async function setSliceReady(cluster: BenchCluster, service: string, ready: boolean): Promise<void> {
  await cluster.discovery.replaceNamespacedEndpointSlice({
    namespace: APP_NS,
    name: `${service}-1`,
    body: {
      metadata: { name: `${service}-1`, namespace: APP_NS, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }],
    },
  });
}

export function condition(object: KubeObject | undefined, type: string): { status?: string; reason?: string } {
  const status = object?.status as { conditions?: { type: string; status: string; reason: string }[] } | undefined;
  return status?.conditions?.find((c) => c.type === type) ?? {};
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
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
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

/** The header of a results block: machine, Node, commit, date, load, command. */
export function header(title: string, command: string): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    // RESULTS.md itself changes while bench/operator.sh appends to it.
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/RESULTS.md'],
      {
        cwd: ROOT,
      },
    ).toString();
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
