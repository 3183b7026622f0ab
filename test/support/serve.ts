// Runs geodns as a real child process: `geodns serve` (queried with dig/kdig, ./dig.ts) or any other command, its JSON
// log lines read as they come. Loopback only; the child is stopped by its own PID (SIGTERM, then SIGKILL if it does
// not exit in time).
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { UdpIo } from '../../dnsserver/transport/udp.ts';
import { dig, type DigResult, type DigTarget } from './dig.ts';
import { skipUdpIo, UDP_IOS } from './udp-paths.ts';

/** The UDP paths the serve suites run against: both, or dgram alone where the native addon is not built. */
export const SERVE_UDP_IOS: readonly UdpIo[] = UDP_IOS.filter((io) => !skipUdpIo(io));

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'cli/geodns.ts');
export const CITY_MMDB = path.join(REPO_ROOT, 'test/fixtures/mmdb/city.mmdb');
export const EXAMPLES = path.join(REPO_ROOT, 'examples/standalone');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/serve');

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export type LogLine = Record<string, unknown> & { msg?: string; level?: string | number };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ToolOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** How long it may run (default 15 s; 30 s for the CLI). */
  timeoutMs?: number;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a program in the repository to completion without throwing on a non-zero exit; `code` is -1 when it did not
 * exit by itself (killed at the timeout, or not started).
 */
export function runTool(file: string, args: string[], options: RunOptions = {}): Promise<ToolOutput> {
  const { timeoutMs = 15_000, env = process.env } = options;
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO_ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `node cli/geodns.ts ...args` to completion. */
export function runCli(args: string[], options: RunOptions = {}): Promise<ToolOutput> {
  return runTool(process.execPath, [CLI, ...args], { timeoutMs: 30_000, ...options });
}

function hostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match?.[1] || !match[2]) throw new Error(`cannot parse address '${address}'`);
  return { host: match[1], port: Number(match[2]) };
}

/** A geodns child process (serve, operator): its JSON log lines as they come, its stderr, its exit. */
export class GeodnsProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  #logWaiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  constructor(child: ChildProcess) {
    this.child = child;
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (text) => {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text, unparsed: true };
        }
        this.logs.push(line);
        this.#logWaiters = this.#logWaiters.filter((w) => {
          if (!w.match(line)) return true;
          w.resolve(line);
          return false;
        });
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  /** Resolves with the first log line (already seen or coming) that matches; rejects on timeout or exit. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#logWaiters = this.#logWaiters.filter((w) => w.resolve !== done);
        reject(new Error(`no log line '${what}' within ${timeoutMs} ms; stderr: ${this.stderr.join('')}`));
      }, timeoutMs);
      const done = (line: LogLine) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#logWaiters.push({ match, resolve: done });
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`geodns exited (${JSON.stringify(exit)}) before '${what}'; stderr: ${this.stderr.join('')}`));
      });
    });
  }

  /** Sends `signal` to this child's PID (if it still runs) and waits for its exit. */
  signal(signal: NodeJS.Signals): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM to this child's PID and wait; SIGKILL if it does not exit within the bound. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** `geodns serve`: the addresses from its `serving` line, dig against them, its metrics endpoint. */
export class ServeProcess extends GeodnsProcess {
  /** Addresses from the `serving` line. */
  dns: { host: string; port: number }[] = [];
  metrics: { host: string; port: number } | undefined;

  get port(): number {
    const first = this.dns[0];
    if (!first) throw new Error('the server is not serving');
    return first.port;
  }

  get metricsUrl(): string {
    if (!this.metrics) throw new Error('metrics are off');
    return `http://${this.metrics.host}:${this.metrics.port}`;
  }

  /** dig against the first DNS address (or `target`); parsed. */
  dig(args: string[], target?: DigTarget): Promise<DigResult> {
    return dig(target ?? { host: this.dns[0]?.host ?? '127.0.0.1', port: this.port }, args);
  }

  kdig(args: string[]): Promise<DigResult> {
    return dig({ host: this.dns[0]?.host ?? '127.0.0.1', port: this.port }, args, { tool: 'kdig' });
  }

  /** The addresses (A/AAAA data) in the answer to `name`, sorted. */
  async addresses(name: string, extra: string[] = []): Promise<string[]> {
    const result = await this.dig([name, ...extra]);
    return result.answer
      .filter((r) => r.type === 'A' || r.type === 'AAAA')
      .map((r) => r.data)
      .sort();
  }

  async fetch(pathname: string): Promise<{ status: number; body: string }> {
    const response = await fetch(this.metricsUrl + pathname, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.text() };
  }
}

export interface StartOptions {
  workers?: number;
  /** `--udp-io`; the server must then say it serves with that path. */
  udpIo?: UdpIo;
  listen?: string[];
  geoip?: string | undefined;
  /** More `geodns serve` options. */
  args?: string[];
  /** Starts the process (default: child_process.spawn); a pod host's spawn runs it inside its network namespace. */
  spawn?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
}

/** Starts `node cli/geodns.ts ...args` in the repository with its output piped (`env` as the child's environment). */
export function spawnGeodns(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): GeodnsProcess {
  const env = options.env ?? process.env;
  return new GeodnsProcess(
    spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

/** Starts `geodns serve <sourceArgs>` on ephemeral loopback ports and waits for the `serving` line. */
export async function startServe(sourceArgs: string[], options: StartOptions = {}): Promise<ServeProcess> {
  const args = [CLI, 'serve', ...sourceArgs];
  for (const listen of options.listen ?? ['127.0.0.1:0']) args.push('--listen', listen);
  args.push('--metrics', '127.0.0.1:0', '--workers', String(options.workers ?? 1));
  if (options.geoip !== undefined) args.push('--geoip', options.geoip);
  if (options.udpIo !== undefined) args.push('--udp-io', options.udpIo);
  args.push(...(options.args ?? []));
  const child = (options.spawn ?? spawn)(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new ServeProcess(child);
  try {
    const serving = await server.waitForLog((l) => l.msg === 'serving', 'serving', START_TIMEOUT_MS);
    server.dns = (serving.dns as string[]).map(hostPort);
    if (options.udpIo !== undefined && serving.udpIo !== options.udpIo) {
      throw new Error(`asked for --udp-io ${options.udpIo}, serving with ${String(serving.udpIo)}`);
    }
    if (typeof serving.metrics === 'string' && serving.metrics !== 'off') server.metrics = hostPort(serving.metrics);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
