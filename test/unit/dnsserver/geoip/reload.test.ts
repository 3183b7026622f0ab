// A GeoIP database replaced under a running server: read and checked (a bad file is refused, naming the file and
// the reason), handed on once, and swapped in a handler's state with nothing remembered from the old one.
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { geoDatabaseFromBytes } from '../../../../dnsserver/geoip/database.ts';
import {
  loadGeoDatabase,
  sameBytes,
  watchGeoDatabase,
  type GeoDatabaseWatch,
  type GeoReloadOutcome,
  type LoadedGeoDatabase,
} from '../../../../dnsserver/geoip/reload.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';
import { tempDir } from '../../../support/temp-dir.ts';
import { until } from '../../../support/until.ts';
import { query } from '../../../../tools/dns-query.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/mmdb/${name}`, import.meta.url));
const EU = fixture('swap-eu.mmdb');
const AS = fixture('swap-as.mmdb');

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function scratch(): Promise<string> {
  const temp = await tempDir('geoip-unit');
  cleanups.push(temp.remove);
  return temp.dir;
}

describe('loadGeoDatabase', () => {
  it('reads a database into shared memory with its type and build time', async () => {
    const loaded = await loadGeoDatabase(EU);
    expect(loaded).toMatchObject({ path: EU, type: 'GeoIP2-City' });
    expect(loaded.bytes).toBeInstanceOf(SharedArrayBuffer);
    expect(loaded.buildEpoch.getTime()).toBeGreaterThan(0);
  });

  it.each([
    ['a truncated download', async (good: Buffer) => good.subarray(0, good.length - 200), /./],
    ['a text file', async () => Buffer.from('not a database\n'), /./],
    ['a gzip file', async (good: Buffer) => gzipSync(good), /gzip-compressed; decompress it/],
    ['an empty file', async () => Buffer.alloc(0), /./],
  ])('refuses %s, naming the file', async (_what, make, reason) => {
    const file = path.join(await scratch(), 'db.mmdb');
    await writeFile(file, await make(await readFile(EU)));
    const refusal = loadGeoDatabase(file);
    await expect(refusal).rejects.toThrow(`GeoIP database ${file}: `);
    await expect(refusal).rejects.toThrow(reason);
  });

  it('refuses a file that is not there, naming it', async () => {
    const file = path.join(await scratch(), 'missing.mmdb');
    await expect(loadGeoDatabase(file)).rejects.toThrow(new RegExp(`GeoIP database ${file}: .*ENOENT`));
  });

  it('refuses a database whose search tree points past its end', async () => {
    const bytes = Buffer.from(await readFile(EU));
    // The first node's records (24-bit) point far beyond the tree: a lookup walks off the file.
    bytes.fill(0xff, 0, 6);
    const file = path.join(await scratch(), 'damaged.mmdb');
    await writeFile(file, bytes);
    await expect(loadGeoDatabase(file)).rejects.toThrow(`GeoIP database ${file}: `);
  });
});

describe('sameBytes', () => {
  it('compares content, not identity', async () => {
    const [a, b, c] = await Promise.all([loadGeoDatabase(EU), loadGeoDatabase(EU), loadGeoDatabase(AS)]);
    expect(sameBytes(a.bytes, b.bytes)).toBe(true);
    expect(sameBytes(a.bytes, c.bytes)).toBe(false);
  });
});

describe('watchGeoDatabase', () => {
  async function watched(): Promise<{
    file: string;
    dir: string;
    swapped: LoadedGeoDatabase[];
    outcomes: GeoReloadOutcome[];
    watch: GeoDatabaseWatch;
  }> {
    const dir = await scratch();
    const file = path.join(dir, 'GeoLite2-City.mmdb');
    await copyFile(EU, file);
    const swapped: LoadedGeoDatabase[] = [];
    const outcomes: GeoReloadOutcome[] = [];
    const watch = watchGeoDatabase({
      current: await loadGeoDatabase(file),
      swap: async (next) => void swapped.push(next),
      onOutcome: (outcome) => outcomes.push(outcome),
      debounceMs: 20,
      rescanMs: 0,
    });
    cleanups.push(() => watch.close());
    return { file, dir, swapped, outcomes, watch };
  }
  const replace = async (dir: string, file: string, bytes: Buffer) => {
    const staged = path.join(dir, '.staged');
    await writeFile(staged, bytes);
    await rename(staged, file);
  };

  it('swaps in a new version renamed over the file, and says so', async () => {
    const { file, dir, swapped, outcomes, watch } = await watched();
    await replace(dir, file, await readFile(AS));
    await until('an outcome', () => outcomes.length >= 1);
    expect(outcomes[0]).toMatchObject({ result: 'swapped', database: { path: file, type: 'GeoIP2-City' } });
    expect(swapped).toHaveLength(1);
    expect(watch.current).toBe(swapped[0]);
    const lookup = geoDatabaseFromBytes(watch.current.bytes, file).lookup({
      family: 4,
      bytes: [198, 51, 100, 1],
      text: '198.51.100.1',
    });
    expect(lookup.location.continent).toBe('AS');
  });

  it('refuses a bad file and keeps the last good database; a good one afterwards swaps', async () => {
    const { file, dir, swapped, outcomes, watch } = await watched();
    const first = watch.current;
    await replace(dir, file, Buffer.from('garbage'));
    await until('the refusal', () => outcomes.length >= 1);
    expect(outcomes[0]).toMatchObject({ result: 'refused', path: file });
    expect(outcomes[0]?.result === 'refused' && outcomes[0].reason).toContain(`GeoIP database ${file}: `);
    expect(swapped).toHaveLength(0);
    expect(watch.current).toBe(first);

    await replace(dir, file, await readFile(AS));
    await until('the swap after the refusal', () => swapped.length === 1);
  });

  it('does not swap the same bytes again', async () => {
    const { file, dir, swapped, outcomes } = await watched();
    await replace(dir, file, await readFile(EU));
    await until('an outcome', () => outcomes.length >= 1);
    expect(outcomes.map((o) => o.result)).toEqual(['unchanged']);
    expect(swapped).toHaveLength(0);
  });

  it('reports a swap the nodes could not take as refused, and keeps the current database', async () => {
    const dir = await scratch();
    const file = path.join(dir, 'db.mmdb');
    await copyFile(EU, file);
    const outcomes: GeoReloadOutcome[] = [];
    const current = await loadGeoDatabase(file);
    const watch = watchGeoDatabase({
      current,
      swap: () => Promise.reject(new Error('the worker exited')),
      onOutcome: (outcome) => outcomes.push(outcome),
      debounceMs: 20,
      rescanMs: 0,
    });
    cleanups.push(() => watch.close());
    await replace(dir, file, await readFile(AS));
    await until('an outcome', () => outcomes.length >= 1);
    expect(outcomes[0]).toMatchObject({ result: 'refused', reason: 'handing it to the DNS nodes: the worker exited' });
    expect(watch.current).toBe(current);
  });
});

describe('a handler state given another database', () => {
  const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
  const addresses = (reply: Buffer | null) =>
    (dnsPacket.decode(reply ?? Buffer.alloc(0)).answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();

  it('answers from the new database at once: no location or answer remembered from the old one', async () => {
    const open = async (file: string) => geoDatabaseFromBytes((await loadGeoDatabase(file)).bytes, file);
    const zone = exampleZone();
    const www = zone.routed.find((r) => r.name === 'www.geo.example')!;
    const asia = { ...www.targets[0]!, id: 'web/www/as', name: 'as', addresses: ['192.0.2.99'] };
    const targets = [...www.targets, { ...asia, location: { continent: 'AS' as const } }];
    const routed = zone.routed.map((r) => (r === www ? { ...www, targets } : r));
    const state = new ServerState({ zones: [{ ...zone, routed }], geoip: await open(EU) });
    const handler = createHandler(state, { random: () => 0 });
    const ecs = () => addresses(handler(query('www.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } }), client));
    const plain = () => addresses(handler(query('www.geo.example'), client));

    for (let i = 0; i < 3; i++) {
      expect(ecs()).toEqual(['198.51.100.1']);
      expect(plain()).toEqual(['198.51.100.1']);
    }
    state.setGeoDatabase(await open(AS));
    expect(ecs()).toEqual(['192.0.2.99']);
    expect(plain()).toEqual(['192.0.2.99']);
    state.setGeoDatabase(await open(EU));
    expect(ecs()).toEqual(['198.51.100.1']);
    expect(plain()).toEqual(['198.51.100.1']);
  });
});
