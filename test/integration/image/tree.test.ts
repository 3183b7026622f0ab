// The container image without Docker: assemble the file tree the Dockerfile's final stage holds (production
// dependencies only, the built dist/, package.json) in a temporary folder outside the repository, so that nothing
// resolves from the repository's node_modules, and run its ENTRYPOINT from there: a production dependency or a
// file the Dockerfile leaves out fails here.
import { execFile } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, REPO_ROOT, ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 180_000;
const ADDON = path.join(REPO_ROOT, 'build/geodns_udp.node');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (comments and blank lines dropped; no line continuations used). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

let stages: Stage[];
let dir: string;
let removeDir: (() => Promise<void>) | undefined;
let app: string;
let entrypoint: string[];

beforeAll(
  async () => {
    stages = parseDockerfile(await readFile(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const final = stages.at(-1)!;
    entrypoint = JSON.parse(ops(final, 'ENTRYPOINT')[0] ?? '[]') as string[];
    ({ dir, remove: removeDir } = await tempDir('image'));
    app = path.join(dir, 'app');

    // The build stage: `npm run build` is scripts/bundle.ts into dist/.
    await run(process.execPath, [path.join(REPO_ROOT, 'scripts/bundle.ts'), path.join(app, 'dist')], {
      cwd: REPO_ROOT,
      timeout: BUILD_TIMEOUT_MS,
    });
    // The build stage's addon (scripts/build-native.ts into build/), as `npm ci` built it here, if it did.
    await mkdir(path.join(app, 'build'), { recursive: true });
    if (existsSync(ADDON)) await copyFile(ADDON, path.join(app, 'build/geodns_udp.node'));
    // The deps stage: `npm ci --omit=dev` from the lock file, offline from the cache the project's own `npm ci` filled,
    // online only when that cache lacks something.
    for (const file of ['package.json', 'package-lock.json'])
      await copyFile(path.join(REPO_ROOT, file), path.join(app, file));
    const ci = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
    try {
      await run('npm', [...ci, '--offline'], { cwd: app, timeout: BUILD_TIMEOUT_MS });
    } catch {
      await run('npm', [...ci, '--prefer-offline'], { cwd: app, timeout: BUILD_TIMEOUT_MS });
    }
    // The final stage copies node_modules, dist/ and package.json, not the lock file.
    await rm(path.join(app, 'package-lock.json'));
  },
  2 * BUILD_TIMEOUT_MS + 60_000,
);

afterAll(async () => {
  await removeDir?.();
});

/** The ENTRYPOINT with /app as the temporary tree. */
function command(args: string[]): { file: string; args: string[] } {
  const [node, ...rest] = entrypoint;
  expect(node).toBe('node');
  return { file: process.execPath, args: [...rest.map((a) => a.replace(/^\/app\//, `${app}/`)), ...args] };
}

describe('the image (Dockerfile)', () => {
  it('builds on Node 24 and ships production dependencies, dist/ and package.json as a non-root user', async () => {
    expect(stages.map((s) => s.from.split(':')[0])).toEqual(['node', 'node', 'node']);
    expect(stages.every((s) => s.from.startsWith('node:24'))).toBe(true);
    const [build, deps, final] = stages as [Stage, Stage, Stage];
    expect(ops(build, 'RUN')).toContain('npm run build');
    expect(ops(build, 'RUN')).toContain('mkdir -p build && node scripts/build-native.ts');
    expect(ops(deps, 'RUN').some((r) => r.startsWith('npm ci --omit=dev'))).toBe(true);
    expect(ops(final, 'COPY')).toEqual([
      `--from=${deps.name} /app/node_modules ./node_modules`,
      `--from=${build.name} /src/dist ./dist`,
      `--from=${build.name} /src/build ./build`,
      'package.json ./',
    ]);
    expect(ops(final, 'WORKDIR')).toEqual(['/app']);
    expect(ops(final, 'USER')).toEqual(['65532:65532']);
    expect(entrypoint.at(-1)).toBe('/app/dist/cli/geodns.js');
  });

  it('.dockerignore lets through everything the build copies, and nothing else', async () => {
    const allowed = (await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const copied = stages.flatMap((s) =>
      ops(s, 'COPY')
        .filter((c) => !c.startsWith('--from'))
        .flatMap((c) => c.split(/\s+/).slice(0, -1)),
    );
    expect(new Set(copied)).toEqual(new Set(allowed));
  });

  it('holds exactly the production packages of the lock file, the embedded GeoIP database among them', async () => {
    const lock = JSON.parse(await readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const installed = Object.entries(lock.packages).filter(([where]) => where.startsWith('node_modules/'));
    const dev = installed.filter(([, p]) => p.dev).map(([where]) => where);
    const production = installed.filter(([, p]) => !p.dev && !p.optional).map(([where]) => where);
    expect(dev).toContain('node_modules/typescript');
    expect(dev.filter((where) => existsSync(path.join(app, where)))).toEqual([]);
    expect(production.filter((where) => !existsSync(path.join(app, where)))).toEqual([]);
    expect(
      existsSync(path.join(app, 'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb')),
    ).toBe(true);
  });

  it('runs geodns operator --help', async () => {
    const { file, args } = command(['operator', '--help']);
    const { stdout } = await run(file, args, { cwd: app, timeout: 20_000 });
    expect(stdout).toMatch(/^Usage: geodns operator/);
  });

  it('runs geodns serve: answers a query and is ready, then stops on SIGTERM', async () => {
    const { file, args } = command([
      'serve',
      '--resources',
      EXAMPLES,
      '--listen',
      '127.0.0.1:0',
      '--metrics',
      '127.0.0.1:0',
      '--workers',
      '1',
    ]);
    const server = new ServeProcess(spawn(file, args, { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const serving = await server.waitForLog((l) => l.msg === 'serving', 'serving', 20_000);
      const at = (address: string) => {
        const [, host = '', port = ''] = /^(.*):(\d+)$/.exec(address) ?? [];
        return { host, port: Number(port) };
      };
      server.dns = (serving.dns as string[]).map(at);
      server.metrics = at(serving.metrics as string);
      const geoip = server.logs.find((l) => l.msg === 'GeoIP database');
      expect(String(geoip?.geoip)).toContain(path.join(app, 'node_modules/@ip-location-db/'));
      const answer = await server.dig(['mail.geo.example.com', 'A']);
      expect(answer.status).toBe('NOERROR');
      expect(answer.answer.map((r) => r.data)).toEqual(['192.0.2.25']);
      expect((await server.fetch('/readyz')).status).toBe(200);
      // The addon resolves from dist/cli/ to build/ in the image's layout; without it (not built) dgram serves.
      expect(serving.udpIo).toBe(existsSync(ADDON) ? 'native' : 'dgram');
    } finally {
      const exit = await server.stop();
      expect(exit.code).toBe(0);
    }
  });
});
