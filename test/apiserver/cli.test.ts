// npm run apiserver: a separate process on 127.0.0.1 that writes a kubeconfig kubectl can use.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, until } from './harness.ts';
import { execFile } from 'node:child_process';

it('starts, writes a kubeconfig that kubectl uses, and stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-cli-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, ['test/apiserver/cli.ts', '--port', '0', '--kubeconfig', kubeconfig], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 25_000);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await until('the kubeconfig', () => existsSync(kubeconfig) && stderr.includes('listening'));
    expect(stderr).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+; kubeconfig written to /);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'namespaces', '-o', 'name'],
        { timeout: 15_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(out.trim().split('\n').sort()).toEqual([
      'namespace/default',
      'namespace/kube-public',
      'namespace/kube-system',
    ]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
