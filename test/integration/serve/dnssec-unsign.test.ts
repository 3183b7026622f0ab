// A zone going unsigned (RFC 8078 §4), as the operator's document says it (`dnssec.deleteDs`, beside the key tags):
// `geodns serve --config` with the zone's key keeps DNSKEY and every answer signed, and answers CDS 0 0 0 00 and
// CDNSKEY 0 3 0 AA== in place of the key's CDS and CDNSKEY, signed by the key; dig and kdig show them, unbound and
// delv, with the key's DS as their only trust anchor, validate them. A new document without the flag brings the
// key's CDS back.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { delv } from '../../support/delv.ts';
import { dsOf, keygen, type KeyPair } from '../../support/dnssec-keys.ts';
import { CITY_MMDB, EXAMPLES, runCli, runTool, startServe, type ServeProcess } from '../../support/serve.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const ZONE = 'geo.example.com';

interface Document {
  zone?: string;
  serial: number;
  dnssec?: unknown;
}

describe('a zone going unsigned publishes the CDS and CDNSKEY delete records', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let key: KeyPair;
  let ds: string;
  let file: string;
  let server: ServeProcess;
  let unbound: Unbound | undefined;

  /** Writes the zone's document with `dnssec` (and a serial `bump` above the compiled one). */
  async function writeDocument(dnssec: unknown, bump: number): Promise<void> {
    const document = JSON.parse(await readFile(file, 'utf8')) as Document;
    document.dnssec = dnssec;
    document.serial += bump;
    await writeFile(`${file}.tmp`, JSON.stringify(document));
    await runTool('mv', [`${file}.tmp`, file]);
  }

  beforeAll(async () => {
    temp = await tempDir('dnssec-unsign');
    const keys = path.join(temp.dir, 'keys');
    const config = path.join(temp.dir, 'config');
    for (const dir of [keys, config]) await mkdir(dir);
    key = await keygen(keys, 'ECDSAP256SHA256');
    ds = dsOf(key);
    const compiled = await runCli(['compile', '--out-dir', config, EXAMPLES]);
    expect(compiled.code, compiled.stderr).toBe(0);
    for (const name of await readdir(config)) {
      const document = JSON.parse(await readFile(path.join(config, name), 'utf8')) as Document;
      if (document.zone === ZONE) file = path.join(config, name);
    }
    // What the operator writes for a GeoZone with spec.dnssec.unsign while its key is kept.
    await writeDocument({ keyTags: [key.tag], deleteDs: true }, 0);
    server = await startServe(['--config', config], { geoip: CITY_MMDB, args: ['--dnssec-keys', keys] });
  }, 60_000);

  afterAll(async () => {
    await unbound?.stop();
    await server?.stop();
    await temp?.remove();
  });

  test('dig and kdig get the delete records signed by the key, and the DNSKEY and answers signed as ever', async () => {
    const rrsigOf = (records: { type: string; data: string }[]) =>
      records.filter((r) => r.type === 'RRSIG').map((r) => [r.data.split(/\s+/)[0], Number(r.data.split(/\s+/)[6])]);
    for (const ask of [server.dig.bind(server), server.kdig.bind(server)]) {
      const cds = await ask([ZONE, 'CDS', '+dnssec']);
      expect(cds.status).toBe('NOERROR');
      expect(cds.answer.filter((r) => r.type === 'CDS').map((r) => r.data)).toEqual(['0 0 0 00']);
      expect(rrsigOf(cds.answer)).toEqual([['CDS', key.tag]]);
      const cdnskey = await ask([ZONE, 'CDNSKEY', '+dnssec']);
      expect(cdnskey.answer.filter((r) => r.type === 'CDNSKEY').map((r) => r.data)).toEqual(['0 3 0 AA==']);
      expect(rrsigOf(cdnskey.answer)).toEqual([['CDNSKEY', key.tag]]);
      const dnskey = await ask([ZONE, 'DNSKEY', '+dnssec']);
      expect(dnskey.answer.filter((r) => r.type === 'DNSKEY').map((r) => r.data.replaceAll(' ', ''))).toEqual([
        `257313${key.publicKey}`,
      ]);
      expect(rrsigOf(dnskey.answer)).toEqual([['DNSKEY', key.tag]]);
      // Without DO, the same records unsigned.
      const plain = await ask([ZONE, 'CDS']);
      expect(plain.answer.map((r) => [r.type, r.data])).toEqual([['CDS', '0 0 0 00']]);
    }
  }, 30_000);

  test("unbound and delv, trusting only the key's DS, validate the delete records and the zone's answers", async () => {
    unbound = await startUnbound(temp.dir, 'unsign', ds, server.port);
    for (const [name, type, data] of [
      [ZONE, 'CDS', '0 0 0 00'],
      [ZONE, 'CDNSKEY', '0 3 0 AA=='],
      [`www.${ZONE}`, 'A', undefined],
    ] as const) {
      const validated = await unbound.dig([name, type, '+subnet=198.51.100.0/24']);
      expect(validated.status, type).toBe('NOERROR');
      expect(validated.flags, type).toContain('ad');
      const records = validated.answer.filter((r) => r.type === type);
      expect(records.length, type).toBeGreaterThan(0);
      if (data) expect(records.map((r) => r.data)).toEqual([data]);
    }
    for (const [type, data] of [
      ['CDS', '0 0 0 00'],
      ['CDNSKEY', '0 3 0 AA=='],
    ] as const) {
      const text = await delv({ dir: temp.dir, zone: ZONE, ds, port: server.port }, ZONE, type);
      expect(text, type).toContain('; fully validated');
      expect(text, type).toMatch(new RegExp(`\\s${type}\\s+${data}(\\s|$)`, 'm'));
    }
  }, 60_000);

  test("a document without the flag brings the key's CDS and CDNSKEY back", async () => {
    await writeDocument({ keyTags: [key.tag] }, 1);
    const dsData = ds.split(/\s+/).slice(3).join('').toLowerCase();
    await until('the CDS of the key', () => server.dig([ZONE, 'CDS']), {
      accept: (a) => a.answer.map((r) => r.data.replaceAll(' ', '').toLowerCase()).join() === dsData,
      intervalMs: 100,
    });
    const cdnskey = await server.dig([ZONE, 'CDNSKEY']);
    expect(cdnskey.answer.map((r) => r.data.replaceAll(' ', ''))).toEqual([`257313${key.publicKey}`]);
  }, 30_000);
});
