// Hot reload of a live server: standalone resource files, and a ConfigMap-style --config folder.
import { cp, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { EXAMPLES, runCli, startServe, type LogLine, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const TOKYO_SUBNET = '+subnet=10.3.0.0/16';

let server: ServeProcess | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await cleanup?.();
  cleanup = undefined;
});

const tokyo = () => server!.addresses('www.geo.example.com', [TOKYO_SUBNET]);
const errorLines = () => server!.logs.filter((l: LogLine) => l.level === 'error');

describe('standalone hot reload', () => {
  test('an edit changes the answer; an invalid edit keeps the last good answer and says why; a fix applies', async () => {
    const temp = await tempDir('reload');
    cleanup = temp.remove;
    await cp(EXAMPLES, temp.dir, { recursive: true });
    const endpoints = path.join(temp.dir, 'endpoints.yaml');
    const original = await readFile(endpoints, 'utf8');
    expect(original).toContain('addresses: [203.0.113.10,');

    server = await startServe(['--resources', temp.dir]);
    expect(await tokyo()).toEqual(['203.0.113.10']);

    await writeFile(endpoints, original.replace('[203.0.113.10,', '[203.0.113.99,'));
    await until('the edited Tokyo address', tokyo, { accept: (a) => a.join() === '203.0.113.99', intervalMs: 100 });

    // A schema error: ttl must be an integer.
    const broken = original.replace('[203.0.113.10,', '[203.0.113.77,').replace('ttl: 60', 'ttl: sixty');
    await writeFile(endpoints, broken);
    const refusal = await server.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('reload refused'),
      'reload refused',
    );
    expect(refusal.level).toBe('error');
    const why = errorLines()
      .map((l) => String(l.msg))
      .join('\n');
    expect(why).toMatch(
      /endpoints\.yaml: document 1 \(GeoEndpoint web\/www\), line \d+: spec\.ttl: must be an integer/,
    );
    expect(await tokyo()).toEqual(['203.0.113.99']);

    await writeFile(endpoints, original.replace('[203.0.113.10,', '[203.0.113.77,'));
    await until('the fixed Tokyo address', tokyo, { accept: (a) => a.join() === '203.0.113.77', intervalMs: 100 });
  });
});

describe('--config DIR (ConfigMap layout)', () => {
  /** Writes `files` into a new timestamped folder and points ..data at it with an atomic rename. */
  async function swapIn(configDir: string, version: string, files: Record<string, string>): Promise<void> {
    const target = path.join(configDir, `..2026_11_23_00_00_00.${version}`);
    await mkdir(target);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(target, name), text);
    const next = path.join(configDir, '..data_tmp');
    await symlink(path.basename(target), next);
    await rename(next, path.join(configDir, '..data'));
  }

  async function compile(resources: string, outDir: string, previous?: string): Promise<string> {
    const args = ['compile', resources, '--out-dir', outDir, ...(previous ? ['--previous', previous] : [])];
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    return readFile(path.join(outDir, 'geo.example.com.json'), 'utf8');
  }

  const serial = async () => {
    const result = await server!.dig(['geo.example.com', 'SOA']);
    return Number(result.answer[0]?.data.split(' ')[2]);
  };

  test('a ..data swap to a new compile changes serial and answer; a corrupt swap keeps the last good', async () => {
    const temp = await tempDir('config');
    cleanup = temp.remove;
    const [first, second, resources, config] = ['d1', 'd2', 'resources', 'config'].map((d) => path.join(temp.dir, d));
    await cp(EXAMPLES, resources!, { recursive: true });
    const firstDoc = await compile(resources!, first!);

    const endpoints = path.join(resources!, 'endpoints.yaml');
    await writeFile(endpoints, (await readFile(endpoints, 'utf8')).replace('[203.0.113.10,', '[203.0.113.88,'));
    const secondDoc = await compile(resources!, second!, first);
    const serials = [firstDoc, secondDoc].map((d) => (JSON.parse(d) as { serial: number }).serial);
    expect(serials[1]).toBeGreaterThan(serials[0]!);

    await mkdir(config!);
    await swapIn(config!, '1', { 'geo.example.com.json': firstDoc });
    await symlink('..data/geo.example.com.json', path.join(config!, 'geo.example.com.json'));

    server = await startServe(['--config', config!]);
    expect(await tokyo()).toEqual(['203.0.113.10']);
    expect(await serial()).toBe(serials[0]);

    await swapIn(config!, '2', { 'geo.example.com.json': secondDoc });
    await until('the answer from the second compile', tokyo, {
      accept: (a) => a.join() === '203.0.113.88',
      intervalMs: 100,
    });
    expect(await serial()).toBe(serials[1]);

    const before = errorLines().length;
    await swapIn(config!, '3', { 'geo.example.com.json': '{"zone": "geo.example.com", "serial": ' });
    await until('an error naming the corrupt file', async () => errorLines().slice(before), {
      accept: (lines) => lines.some((l) => String(l.msg).includes('geo.example.com.json')),
      intervalMs: 100,
    });
    expect(await tokyo()).toEqual(['203.0.113.88']);
    expect(await serial()).toBe(serials[1]);
  });
});
