// A real Kubernetes control plane for tests, as kubebuilder's envtest starts one: etcd, kube-apiserver and
// kube-controller-manager (the EndpointSlice, garbage-collector, namespace and service-account controllers), built
// from their Go modules by scripts/kube/build-binaries.sh. Everything listens on 127.0.0.1 at free ports and lives
// in one temporary folder; RBAC is on; the test is an administrator (a static token in system:masters) and the
// processes under test get real ServiceAccount tokens through TokenRequest. stop() ends every process it started,
// by PID, and removes the folder. There is no kubelet: tests create Pods bound to a Node object and set their status.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { binary } from './binaries.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const CONTROLLERS = ['endpointslice', 'garbagecollector', 'namespace', 'serviceaccount'];

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags (`--flag=value`), after the defaults so they win. */
  apiServerArgs?: string[];
  /** kube-controller-manager's controllers (default CONTROLLERS). */
  controllers?: string[];
  /** Prefix of the temporary folder's name. */
  name?: string;
  /** Write an audit log of every request (user, verb, resource), read by requests(). */
  audit?: boolean;
}

/** One request as the API server's audit log records it (stage ResponseComplete). */
export interface AuditedRequest {
  user: string;
  verb: string;
  resource: string;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  code: number | undefined;
  /** When the API server received it (RFC 3339, microseconds). */
  time: string;
  /** How long the API server took over it, received → response complete, in ms (microsecond precision). */
  serverMs: number;
}

/** An audit timestamp in microseconds since 1970 (Date.parse keeps milliseconds only). */
const micros = (t: string): number => Date.parse(t) * 1000 + Number(/\.\d{3}(\d{3})/.exec(t)?.[1] ?? 0);

export interface CommandResult {
  stdout: string;
  stderr: string;
}

interface Started {
  name: string;
  child: ChildProcess;
  log: string;
}

/** Every child of every control plane of this process: killed if the process exits without stop(). */
const living = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class ControlPlane {
  readonly dir: string;
  readonly etcdUrl: string;
  readonly apiPort: number;
  readonly url: string;
  readonly adminToken: string;
  /** The API server's serving certificate and its CA (what kube-apiserver wrote into its cert dir). */
  readonly caFile: string;
  /** An administrator's kubeconfig (system:masters), for kubectl, helm and the test itself. */
  readonly adminKubeconfig: string;
  /** The audit log (with the audit option). */
  readonly auditLog: string;
  readonly #options: ControlPlaneOptions;
  readonly #processes = new Map<string, Started>();
  #stopped = false;

  private constructor(dir: string, etcdPort: number, apiPort: number, options: ControlPlaneOptions) {
    this.dir = dir;
    this.etcdUrl = `http://127.0.0.1:${etcdPort}`;
    this.apiPort = apiPort;
    this.url = `https://127.0.0.1:${apiPort}`;
    this.adminToken = randomBytes(24).toString('hex');
    this.caFile = path.join(dir, 'certs/apiserver.crt');
    this.adminKubeconfig = path.join(dir, 'admin.kubeconfig');
    this.auditLog = path.join(dir, 'audit.log');
    this.#options = options;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const dir = await mkdtemp(path.join(tmpdir(), `${options.name ?? 'control-plane'}-`));
    const plane = new ControlPlane(dir, await freePort(), await freePort(), options);
    try {
      await plane.#start();
    } catch (error) {
      const logs = await plane.#tails();
      await plane.stop();
      throw new Error(`the control plane did not start: ${(error as Error).message}\n${logs}`, { cause: error });
    }
    return plane;
  }

  async #start(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(path.join(this.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(path.join(this.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(path.join(this.dir, 'tokens.csv'), `${this.adminToken},admin,admin,"system:masters"\n`);
    // Metadata of every request once it completes; watches count when they end.
    const policy =
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived, ResponseStarted]\nrules:\n  - level: Metadata\n';
    await writeFile(path.join(this.dir, 'audit-policy.yaml'), policy);
    await this.#startEtcd();
    await this.#startApiServer();
    await writeFile(this.adminKubeconfig, this.kubeconfigText({ token: this.adminToken, user: 'admin' }));
    this.#startControllerManager();
    // The service-account controller makes `default` in every namespace: the controller manager is at work.
    const core = this.admin().makeApiClient(CoreV1Api);
    await this.#until('kube-controller-manager (the default ServiceAccount)', async () => {
      try {
        await core.readNamespacedServiceAccount({ namespace: 'default', name: 'default' });
        return true;
      } catch {
        return false;
      }
    });
  }

  async #startEtcd(): Promise<void> {
    const peerPort = await freePort();
    const peer = `http://127.0.0.1:${peerPort}`;
    this.#spawn('etcd', binary('etcd'), [
      '--name=default',
      `--data-dir=${path.join(this.dir, 'etcd')}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // Tests throw their data away: no fsync, as envtest does.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await this.#until('etcd /health', async () => {
      const response = await fetch(`${this.etcdUrl}/health`).catch(() => undefined);
      return response?.ok === true;
    });
  }

  #apiServerArgs(): string[] {
    return [
      `--etcd-servers=${this.etcdUrl}`,
      `--etcd-prefix=/registry`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.apiPort}`,
      `--cert-dir=${path.join(this.dir, 'certs')}`,
      `--token-auth-file=${path.join(this.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${path.join(this.dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(this.dir, 'sa.key')}`,
      `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // No kubelet and no Endpoints for the `kubernetes` Service: it would name 127.0.0.1, which is not an address
      // an EndpointSlice may hold.
      '--endpoint-reconciler-type=none',
      // Open watches end within a second of SIGTERM, rather than holding stopApiServer() until the SIGKILL bound.
      '--shutdown-watch-termination-grace-period=1s',
      '--profiling=false',
      ...(this.#options.audit
        ? [
            `--audit-policy-file=${path.join(this.dir, 'audit-policy.yaml')}`,
            `--audit-log-path=${this.auditLog}`,
            '--audit-log-format=json',
            '--audit-log-mode=blocking',
          ]
        : []),
      ...(this.#options.apiServerArgs ?? []),
    ];
  }

  async #startApiServer(): Promise<void> {
    this.#spawn('kube-apiserver', binary('kube-apiserver'), this.#apiServerArgs());
    await this.#until('kube-apiserver /readyz', async () => {
      if (!existsSync(this.caFile)) return false;
      return (await this.#readyz()) === 200;
    });
  }

  #startControllerManager(): void {
    this.#spawn('kube-controller-manager', binary('kube-controller-manager'), [
      `--kubeconfig=${this.adminKubeconfig}`,
      `--controllers=${(this.#options.controllers ?? CONTROLLERS).join(',')}`,
      '--leader-elect=false',
      '--secure-port=0',
      '--concurrent-gc-syncs=5',
      '--profiling=false',
    ]);
  }

  async #readyz(): Promise<number | undefined> {
    return new Promise((resolve) => {
      const request = https.get(
        `${this.url}/readyz`,
        { ca: readFileSync(this.caFile), headers: { authorization: `Bearer ${this.adminToken}` }, timeout: 2000 },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on('error', () => resolve(undefined));
      request.on('timeout', () => request.destroy());
    });
  }

  #spawn(name: string, file: string, args: string[]): void {
    const log = path.join(this.dir, `${name}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const child = spawn(file, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    living.add(child);
    child.once('exit', () => living.delete(child));
    this.#processes.set(name, { name, child, log });
  }

  async #until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      for (const started of this.#processes.values()) {
        if (started.child.exitCode !== null || started.child.signalCode !== null) {
          throw new Error(`${started.name} exited (${started.child.exitCode ?? started.child.signalCode})`);
        }
      }
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #tails(): Promise<string> {
    const parts: string[] = [];
    for (const { name, log } of this.#processes.values()) {
      const text = await readFile(log, 'utf8').catch(() => '');
      parts.push(`--- ${name} (${log}), last lines:\n${text.split('\n').slice(-15).join('\n')}`);
    }
    return parts.join('\n');
  }

  /** A kubeconfig's text for `server` (default this.url); through a forwarder it checks the certificate's name `kubernetes`. */
  kubeconfigText(credentials: { token: string; user: string; namespace?: string; server?: string }): string {
    const cluster: Record<string, string> = {
      server: credentials.server ?? this.url,
      'certificate-authority-data': readFileSync(this.caFile).toString('base64'),
    };
    if (credentials.server && credentials.server !== this.url) cluster['tls-server-name'] = 'kubernetes';
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: credentials.user, user: { token: credentials.token } }],
      contexts: [
        {
          name: 'test',
          context: { cluster: 'test', user: credentials.user, namespace: credentials.namespace ?? 'default' },
        },
      ],
      'current-context': 'test',
    });
  }

  /** A client-node KubeConfig of the administrator. */
  admin(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromFile(this.adminKubeconfig);
    return config;
  }

  /**
   * A real token of ServiceAccount `namespace/name` (TokenRequest, one hour) in a kubeconfig written to `file`:
   * the process that uses it has exactly the RBAC bound to that account.
   */
  async serviceAccountKubeconfig(
    namespace: string,
    name: string,
    file: string,
    options: { server?: string; expirationSeconds?: number } = {},
  ): Promise<string> {
    const core = this.admin().makeApiClient(CoreV1Api);
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name,
      body: { spec: { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: options.expirationSeconds ?? 3600 } },
    });
    const token = request.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    await writeFile(
      file,
      this.kubeconfigText({ token, user: `${namespace}-${name}`, namespace, server: options.server }),
      { mode: 0o600 },
    );
    return file;
  }

  /** kubectl as the administrator (its own discovery cache), from the repository root, bounded. */
  kubectl(args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
    return this.#command('kubectl', args, options);
  }

  /** helm as the administrator (its own cache and config folders), from the repository root, bounded. */
  helm(args: string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.#command('helm', args, options);
  }

  async #command(
    name: 'kubectl' | 'helm',
    args: string[],
    options: { timeoutMs?: number; input?: string },
  ): Promise<CommandResult> {
    const env = {
      ...process.env,
      KUBECONFIG: this.adminKubeconfig,
      HOME: this.dir,
      HELM_CACHE_HOME: path.join(this.dir, 'helm/cache'),
      HELM_CONFIG_HOME: path.join(this.dir, 'helm/config'),
      HELM_DATA_HOME: path.join(this.dir, 'helm/data'),
    };
    const extra = name === 'kubectl' ? ['--cache-dir', path.join(this.dir, 'kubectl-cache')] : [];
    const child = run(binary(name), [...extra, ...args], {
      cwd: REPO,
      env,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 << 20,
    });
    if (options.input !== undefined) {
      child.child.stdin!.end(options.input);
    }
    try {
      const { stdout, stderr } = await child;
      return { stdout, stderr };
    } catch (error) {
      const e = error as Error & { stdout?: string; stderr?: string; code?: number };
      throw Object.assign(
        new Error(`${name} ${args.join(' ')} failed (${e.code ?? e.message}):\n${e.stderr ?? ''}${e.stdout ?? ''}`),
        { stdout: e.stdout ?? '', stderr: e.stderr ?? '', exitCode: e.code },
      );
    }
  }

  /** Every request the audit log holds so far, oldest first (needs the audit option). */
  async requests(): Promise<AuditedRequest[]> {
    if (!this.#options.audit) throw new Error('requests() needs a control plane started with { audit: true }');
    const text = await readFile(this.auditLog, 'utf8').catch(() => '');
    const requests: AuditedRequest[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const event = JSON.parse(line) as {
        user: { username: string };
        verb: string;
        objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
        responseStatus?: { code?: number };
        requestReceivedTimestamp: string;
        stageTimestamp: string;
      };
      requests.push({
        user: event.user.username,
        verb: event.verb,
        resource: event.objectRef?.resource ?? '',
        subresource: event.objectRef?.subresource,
        namespace: event.objectRef?.namespace,
        name: event.objectRef?.name,
        code: event.responseStatus?.code,
        time: event.requestReceivedTimestamp,
        serverMs: (micros(event.stageTimestamp) - micros(event.requestReceivedTimestamp)) / 1000,
      });
    }
    return requests;
  }

  /** etcd's current revision (its HTTP gateway). */
  async etcdRevision(): Promise<number> {
    const response = await fetch(`${this.etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/registry/').toString('base64'), limit: 1 }),
    });
    const body = (await response.json()) as { header: { revision: string } };
    return Number(body.header.revision);
  }

  /** Writes `count` revisions to etcd directly, outside the API server's keys (works while it is down). */
  async bumpEtcdRevision(count: number): Promise<number> {
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${this.etcdUrl}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({
          key: Buffer.from('/test/bump').toString('base64'),
          value: Buffer.from(String(i)).toString('base64'),
        }),
      });
      if (!response.ok) throw new Error(`etcd put: ${response.status} ${await response.text()}`);
    }
    return this.etcdRevision();
  }

  /** Compacts etcd's history up to its current revision: watches from an older resourceVersion get 410 Gone. */
  async compactEtcd(): Promise<number> {
    const revision = await this.etcdRevision();
    const response = await fetch(`${this.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: String(revision), physical: true }),
    });
    if (!response.ok) throw new Error(`etcd compaction at ${revision}: ${response.status} ${await response.text()}`);
    return revision;
  }

  /** Stops kube-apiserver (every watch and connection drops); startApiServer() brings it back on the same port. */
  async stopApiServer(): Promise<void> {
    await this.#stopProcess('kube-apiserver');
  }

  async startApiServer(): Promise<void> {
    await this.#startApiServer();
  }

  /** The log file of one component, for a test's diagnostics. */
  logOf(name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager'): string {
    return path.join(this.dir, `${name}.log`);
  }

  async #stopProcess(name: string): Promise<void> {
    const started = this.#processes.get(name);
    if (!started) return;
    this.#processes.delete(name);
    const { child } = started;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const name of ['kube-controller-manager', 'kube-apiserver', 'etcd']) await this.#stopProcess(name);
    if (!process.env.KEEP_CONTROL_PLANE) await rm(this.dir, { recursive: true, force: true });
  }
}

export const startControlPlane = (options?: ControlPlaneOptions): Promise<ControlPlane> => ControlPlane.start(options);
