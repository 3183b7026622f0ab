// Runs the machine's kubectl against a server: its own kubeconfig and discovery cache, every run bounded.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness.ts';
import type { ApiServer } from './server.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly dir: string;
  private readonly kubeconfig: string;

  constructor(server: ApiServer, token?: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
    this.kubeconfig = join(this.dir, 'kubeconfig');
    writeFileSync(this.kubeconfig, server.kubeconfig(token));
  }

  private args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfig, '--cache-dir', join(this.dir, 'cache'), ...args];
  }

  run(args: string[], input?: string, timeoutMs = 20_000): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(
        'kubectl',
        this.args(args),
        { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** Starts a long-running kubectl (get -w); the caller stops it with stop(). */
  start(args: string[]): { child: ChildProcess; output: () => string; stop: () => void } {
    const child = spawn('kubectl', this.args(args), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    return {
      child,
      output: () => out,
      stop: () => {
        clearTimeout(guard);
        child.kill('SIGKILL');
      },
    };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The client's minor version, e.g. 32. */
export async function kubectlMinor(): Promise<number> {
  const result = await new Promise<string>((resolve) =>
    execFile('kubectl', ['version', '--client', '-o', 'json'], { timeout: 10_000 }, (_e, stdout) => resolve(stdout)),
  );
  try {
    const parsed = JSON.parse(result) as { clientVersion?: { minor?: string } };
    return Number.parseInt(parsed.clientVersion?.minor ?? '0', 10);
  } catch {
    return 0;
  }
}
