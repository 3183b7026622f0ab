// test/e2e/kind.sh runs on users' machines (Docker, kind, helm), not here: CI holds it to `bash -n` and
// shellcheck, and checks that without its tools it names what is missing and fails instead of passing.
import { execFile } from 'node:child_process';
import { chmod, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runTool } from '../support/serve.ts';
import { tempDir } from '../support/temp-dir.ts';

const SCRIPT = path.join(REPO_ROOT, 'test/e2e/kind.sh');

let bin: string;
let removeBin: (() => Promise<void>) | undefined;
beforeAll(async () => {
  // A PATH with bash and dirname only, and stand-ins for some of the tools that record being called.
  ({ dir: bin, remove: removeBin } = await tempDir('kind-sh'));
  const which = async (tool: string) => (await runTool('bash', ['-c', `command -v ${tool}`])).stdout.trim();
  for (const tool of ['bash', 'dirname']) await symlink(await which(tool), path.join(bin, tool));
});

afterAll(async () => {
  await removeBin?.();
});

function runScript(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(bin, 'bash'),
      [SCRIPT],
      { env: { PATH: bin, HOME: bin }, timeout: 10_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

async function fakeTool(name: string): Promise<void> {
  const file = path.join(bin, name);
  await writeFile(file, `#!${path.join(bin, 'bash')}\necho "${name} was called" >&2\nexit 0\n`);
  await chmod(file, 0o755);
}

describe('test/e2e/kind.sh', () => {
  it('parses (bash -n)', async () => {
    const result = await runTool('bash', ['-n', SCRIPT]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is shellcheck-clean (apt-get install shellcheck; .ci/run installs it)', async () => {
    const result = await runTool('shellcheck', ['--severity=style', SCRIPT]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('applies examples/cluster as it is: no patch, label or deployment of its own before the checks', async () => {
    const script = await readFile(SCRIPT, 'utf8');
    const setup = script.slice(
      script.indexOf('kubectl apply -f "$root/examples/cluster/"'),
      script.indexOf('primary=$('),
    );
    expect(setup).toContain('kubectl apply -f "$root/examples/cluster/"');
    expect(setup).not.toMatch(/kubectl\b[^\n]*\b(patch|label|create|set|edit|replace)\b/);
  });

  it('without docker, kind, helm, kubectl and dig: names them, runs nothing and exits 2', async () => {
    const result = await runScript();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not found on PATH: docker kind helm kubectl dig');
    expect(result.stderr).toContain('this is not a pass');
    expect(result.stderr).not.toContain('PASS');
  });

  it('with some of them: names only the missing ones and calls none', async () => {
    await fakeTool('docker');
    await fakeTool('kubectl');
    const result = await runScript();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not found on PATH: kind helm dig');
    expect(result.stderr).not.toContain('was called');
  });

  it('with every tool but a Docker engine that does not answer: says so and exits 2', async () => {
    for (const tool of ['kind', 'helm', 'dig']) await fakeTool(tool);
    await writeFile(path.join(bin, 'docker'), `#!${path.join(bin, 'bash')}\nexit 1\n`);
    const result = await runScript();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('its engine does not answer');
    expect(result.stderr).not.toContain('kind was called');
  });
});
