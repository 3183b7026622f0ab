import { mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigReloader, type ConfigSnapshot } from '../../../../dnsserver/config/reloader.ts';
import { watchConfigDir } from '../../../../dnsserver/config/watch.ts';
import { until } from '../../../support/until.ts';
import { healthDoc, json, writeAtomic, zoneDoc } from '../../../support/documents.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dir(): Promise<string> {
  const made = await tempDir('config');
  cleanups.push(made.remove);
  return made.dir;
}

function startReloader(path: string, rescanMs = 0) {
  const swaps: ConfigSnapshot[] = [];
  const failures: string[][] = [];
  const reloader = new ConfigReloader({
    dir: path,
    onSwap: (snapshot) => swaps.push(snapshot),
    onErrors: (errors) => failures.push(errors),
    watch: { debounceMs: 50, rescanMs },
  });
  cleanups.push(() => reloader.close());
  return { reloader, swaps, failures };
}

const serials = (snapshot: { zones: readonly { zone: string; serial: number }[] } | undefined): string[] =>
  (snapshot?.zones ?? []).map((z) => `${z.zone}@${z.serial}`);

/** The kubelet's ConfigMap layout: files in a timestamped folder, `..data` → it, visible names → `..data/name`. */
class ConfigMapDir {
  readonly path: string;
  #generation = 0;
  #current: string | undefined;
  constructor(path: string) {
    this.path = path;
  }
  async publish(files: Record<string, string>): Promise<void> {
    this.#generation += 1;
    const stamped = `..2026_01_01_00_00_0${this.#generation}.000000000`;
    await mkdir(join(this.path, stamped));
    for (const [name, content] of Object.entries(files)) await writeFile(join(this.path, stamped, name), content);
    await symlink(stamped, join(this.path, '..data_tmp'));
    await rename(join(this.path, '..data_tmp'), join(this.path, '..data')); // the atomic swap
    for (const name of Object.keys(files)) {
      await symlink(join('..data', name), join(this.path, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
    if (this.#current) await rm(join(this.path, this.#current), { recursive: true });
    this.#current = stamped;
  }
}

describe('ConfigReloader', () => {
  it('reloads a ConfigMap-style folder when ..data is swapped atomically', async () => {
    const configMap = new ConfigMapDir(await dir());
    await configMap.publish({ 'geo.example.com.json': json(zoneDoc('geo.example.com', 1)) });
    const { reloader, swaps, failures } = startReloader(configMap.path);
    const first = await reloader.start();
    expect(first.changed).toBe(true);
    expect(serials(first.snapshot)).toEqual(['geo.example.com@1']);

    await configMap.publish({ 'geo.example.com.json': json(zoneDoc('geo.example.com', 2)) });
    await until('the second swap', () => swaps.length === 2, { intervalMs: 10 });
    expect(serials(swaps[1])).toEqual(['geo.example.com@2']);
    expect(serials(reloader.current())).toEqual(['geo.example.com@2']);
    expect(failures).toEqual([]);
  });

  it('refuses a bad document and keeps serving the last good one, naming the file and field', async () => {
    const path = await dir();
    const file = join(path, 'geo.example.com.json');
    await writeFile(file, json(zoneDoc('geo.example.com', 1)));
    await writeFile(join(path, 'other.example.com.json'), json(zoneDoc('other.example.com', 5)));
    const { reloader, swaps, failures } = startReloader(path);
    await reloader.start();

    const bad = zoneDoc('geo.example.com', 2);
    (bad.soa as unknown as Record<string, unknown>).refresh = 'soon';
    await writeAtomic(file, json(bad));
    await until('the failure', () => failures.length === 1, { intervalMs: 10 });
    expect(failures[0]).toEqual([
      'geo.example.com.json: soa.refresh: must be integer',
      'geo.example.com.json: refused; still serving its last good version (zone "geo.example.com" serial 1)',
    ]);
    expect(swaps).toHaveLength(1);
    expect(serials(reloader.current())).toEqual(['geo.example.com@1', 'other.example.com@5']);

    // Another zone changing meanwhile is taken; the refused one stays at its last good version.
    await writeAtomic(join(path, 'other.example.com.json'), json(zoneDoc('other.example.com', 6)));
    await until('the second swap', () => swaps.length === 2, { intervalMs: 10 });
    expect(serials(swaps[1])).toEqual(['geo.example.com@1', 'other.example.com@6']);

    await writeAtomic(file, json(zoneDoc('geo.example.com', 3)));
    await until('the third swap', () => swaps.length === 3, { intervalMs: 10 });
    expect(serials(swaps[2])).toEqual(['geo.example.com@3', 'other.example.com@6']);
  });

  it('removes the zone whose file disappears', async () => {
    const path = await dir();
    await writeFile(join(path, 'a.example.com.json'), json(zoneDoc('a.example.com', 1)));
    await writeFile(join(path, 'b.example.com.json'), json(zoneDoc('b.example.com', 1)));
    const { reloader, swaps } = startReloader(path);
    await reloader.start();
    await unlink(join(path, 'a.example.com.json'));
    await until('the second swap', () => swaps.length === 2, { intervalMs: 10 });
    expect(serials(swaps[1])).toEqual(['b.example.com@1']);
  });

  it('picks up health file changes', async () => {
    const path = await dir();
    const since = '2026-01-01T00:00:00Z';
    await writeFile(join(path, 'geo.example.com.json'), json(zoneDoc('geo.example.com', 1)));
    await writeFile(join(path, 'health.json'), json(healthDoc({ 'apps/www/eu': { up: true, since } })));
    const { reloader, swaps } = startReloader(path);
    await reloader.start();
    expect(reloader.current().health?.targets['apps/www/eu']?.up).toBe(true);
    await writeAtomic(join(path, 'health.json'), json(healthDoc({ 'apps/www/eu': { up: false, since } })));
    await until('the second swap', () => swaps.length === 2, { intervalMs: 10 });
    expect(swaps[1]?.health?.targets['apps/www/eu']).toEqual({ up: false, since });
    expect(serials(swaps[1])).toEqual(['geo.example.com@1']);
  });

  it('does not hand over a new snapshot when nothing changed, and keeps serving when the folder vanishes', async () => {
    const path = await dir();
    await writeFile(join(path, 'geo.example.com.json'), json(zoneDoc('geo.example.com', 1)));
    const { reloader, swaps, failures } = startReloader(path);
    await reloader.start();
    expect((await reloader.reload()).changed).toBe(false);
    await writeAtomic(join(path, 'geo.example.com.json'), json(zoneDoc('geo.example.com', 1))); // same bytes
    expect((await reloader.reload()).changed).toBe(false);
    expect(swaps).toHaveLength(1);

    reloader.close();
    await rm(path, { recursive: true });
    const outcome = await reloader.reload();
    expect(outcome.changed).toBe(false);
    expect(outcome.errors[0]).toMatch(/ENOENT.*still serving the last good configuration$/);
    expect(serials(reloader.current())).toEqual(['geo.example.com@1']);
    expect(failures).toHaveLength(1);
  });
});

describe('watchConfigDir', () => {
  it('calls back from the periodic re-scan only when the content changed', async () => {
    const path = await dir();
    await writeFile(join(path, 'a.json'), '{}');
    let calls = 0;
    // Events off (a debounce longer than the test) so only the re-scan can call back.
    const watcher = watchConfigDir(path, () => (calls += 1), { debounceMs: 60_000, rescanMs: 30 });
    cleanups.push(() => watcher.close());
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(calls).toBe(0);
    await writeFile(join(path, 'a.json'), '{"changed":true}');
    await until('the first call', () => calls === 1, { intervalMs: 10 });
  });
});
