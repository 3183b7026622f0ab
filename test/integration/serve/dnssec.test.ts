// DNSSEC end to end: `geodns serve --dnssec-keys` with a key dnssec-keygen made, validated by unbound (a validating
// resolver on loopback with the zone's DS as its only trust anchor, stub to the server, forwarding the client's
// subnet) and by delv. Positive answers for clients in two locations, NXDOMAIN, NODATA and the apex validate;
// signatures past their expiry and a trust anchor for another key do not.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CITY_MMDB, EXAMPLES, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { delv } from '../../support/delv.ts';
import { tempDir } from '../../support/temp-dir.ts';

const ZONE = 'geo.example.com';
const FRANKFURT = ['192.0.2.10', '192.0.2.11'];
const TOKYO = ['203.0.113.10'];

describe('DNSSEC validated by unbound and delv', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let server: ServeProcess;
  let ds: string;
  const resolvers: Unbound[] = [];

  beforeAll(async () => {
    temp = await tempDir('dnssec');
    const keys = path.join(temp.dir, 'keys');
    execFileSync('mkdir', [keys]);
    const base = execFileSync('dnssec-keygen', ['-q', '-K', keys, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ZONE], {
      encoding: 'utf8',
    }).trim();
    // The DS as BIND computes it: an independent check of the DNSKEY the server publishes.
    ds = execFileSync('dnssec-dsfromkey', ['-2', path.join(keys, `${base}.key`)], { encoding: 'utf8' }).trim();
    server = await startServe(['--resources', EXAMPLES], { geoip: CITY_MMDB, args: ['--dnssec-keys', keys] });
  }, 60_000);

  afterAll(async () => {
    for (const resolver of resolvers) await resolver.stop();
    await server?.stop();
    await temp?.remove();
  });

  test('a missing folder or a broken key stops the server at start-up, saying which file and why', async () => {
    const missing = path.join(temp.dir, 'missing');
    const broken = path.join(temp.dir, 'broken');
    execFileSync('mkdir', [broken]);
    const none = await runCli([
      'serve',
      '--resources',
      EXAMPLES,
      '--listen',
      '127.0.0.1:0',
      '--metrics',
      'off',
      '--dnssec-keys',
      missing,
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`--dnssec-keys ${missing}: ENOENT`);
    const base = execFileSync('dnssec-keygen', ['-q', '-K', broken, '-a', 'ED25519', ZONE], {
      encoding: 'utf8',
    }).trim();
    await writeFile(path.join(broken, `${base}.private`), 'Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\n');
    const rsa = await runCli([
      'serve',
      '--resources',
      EXAMPLES,
      '--listen',
      '127.0.0.1:0',
      '--metrics',
      'off',
      '--dnssec-keys',
      broken,
    ]);
    expect(rsa.code).toBe(1);
    expect(rsa.stderr).toContain(`${base}.private:2: algorithm '8 (RSASHA256)' is not supported`);
  }, 60_000);

  test('an empty folder (a Secret not filled yet) starts unsigned, says so, and signs once keys arrive', async () => {
    const empty = path.join(temp.dir, 'empty');
    execFileSync('mkdir', [empty]);
    const waiting = await startServe(['--resources', EXAMPLES], { geoip: CITY_MMDB, args: ['--dnssec-keys', empty] });
    try {
      const warning = await waiting.waitForLog((l) => l.msg?.startsWith('DNSSEC: no keys yet') === true, 'no keys');
      expect(warning.msg).toBe('DNSSEC: no keys yet; nothing is signed until keys arrive');
      const unsigned = await waiting.dig([`www.${ZONE}`, 'A', '+dnssec']);
      expect(unsigned.answer.filter((r) => r.type === 'RRSIG')).toEqual([]);
      execFileSync('dnssec-keygen', ['-q', '-K', empty, '-a', 'ED25519', '-f', 'KSK', ZONE]);
      await waiting.waitForLog((l) => l.msg === 'DNSSEC keys swapped in', 'keys swapped in');
      const signed = await waiting.dig([`www.${ZONE}`, 'A', '+dnssec']);
      expect(signed.answer.filter((r) => r.type === 'RRSIG').length).toBeGreaterThan(0);
    } finally {
      await waiting.stop();
    }
  }, 60_000);

  test('the server logs the DS BIND computes for its key', async () => {
    const line = await server.waitForLog((l) => l.msg === 'DNSSEC signing key', 'DNSSEC signing key');
    expect(`${ZONE}. IN DS ${String(line.ds)}`.toLowerCase()).toBe(ds.replace(/\s+/g, ' ').toLowerCase());
  });

  test('unbound validates routed answers for two locations, NXDOMAIN, NODATA and the apex', async () => {
    const unbound = await startUnbound(temp.dir, 'valid', ds, server.port);
    resolvers.push(unbound);
    const eu = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
    expect(eu.status).toBe('NOERROR');
    expect(eu.flags).toContain('ad');
    expect(
      eu.answer
        .filter((r) => r.type === 'A')
        .map((r) => r.data)
        .sort(),
    ).toEqual(FRANKFURT);
    const jp = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=203.0.113.0/24']);
    expect(jp.flags).toContain('ad');
    expect(
      jp.answer
        .filter((r) => r.type === 'A')
        .map((r) => r.data)
        .sort(),
    ).toEqual(TOKYO);

    // A name that does not exist: a compact answer (NOERROR, an NSEC at the name with NXNAME), proven.
    const nx = await unbound.dig([`nope.${ZONE}`, 'A']);
    expect(['NOERROR', 'NXDOMAIN']).toContain(nx.status);
    expect(nx.flags).toContain('ad');
    expect(nx.answer).toEqual([]);
    const nodata = await unbound.dig([`www.${ZONE}`, 'TXT']);
    expect(nodata.status).toBe('NOERROR');
    expect(nodata.flags).toContain('ad');
    expect(nodata.answer).toEqual([]);
    for (const type of ['SOA', 'NS', 'DNSKEY', 'MX']) {
      const apex = await unbound.dig([ZONE, type]);
      expect(apex.status, type).toBe('NOERROR');
      expect(apex.flags, type).toContain('ad');
    }
    const metrics = (await server.fetch('/metrics')).body;
    expect(metrics).toMatch(new RegExp(`^geodns_dnssec_signatures_total\\{zone="${ZONE}",path="[a-z]+"\\} [1-9]`, 'm'));
    expect(metrics).toMatch(/^geodns_dnssec_budget_exceeded_total 0$/m);
  }, 60_000);

  test('delv reports the answer fully validated', async () => {
    expect(await delv({ dir: temp.dir, zone: ZONE, ds, port: server.port }, `www.${ZONE}`, 'A')).toContain(
      '; fully validated',
    );
  });

  test('the apex answers CDS and CDNSKEY for the signing key, signed; unbound and delv validate them', async () => {
    const dsData = ds.split(/\s+/).slice(3).join(' ').toLowerCase();
    const dnskeys = (await server.dig([ZONE, 'DNSKEY', '+dnssec'])).answer.filter((r) => r.type === 'DNSKEY');
    expect(dnskeys).toHaveLength(1);

    const cds = await server.kdig([ZONE, 'CDS', '+dnssec']);
    expect(cds.status).toBe('NOERROR');
    expect(cds.flags).toContain('aa');
    expect(cds.answer.filter((r) => r.type === 'CDS').map((r) => r.data.toLowerCase())).toEqual([dsData]);
    expect(cds.answer.filter((r) => r.type === 'RRSIG').map((r) => r.data.split(/\s+/)[0])).toEqual(['CDS']);
    const cdnskey = await server.dig([ZONE, 'CDNSKEY', '+dnssec']);
    expect(cdnskey.answer.filter((r) => r.type === 'CDNSKEY').map((r) => r.data)).toEqual(dnskeys.map((r) => r.data));
    expect(cdnskey.answer.filter((r) => r.type === 'RRSIG').map((r) => r.data.split(/\s+/)[0])).toEqual(['CDNSKEY']);

    // A NODATA proof at the apex lists them among the types there.
    const nodata = await server.dig([ZONE, 'SRV', '+dnssec']);
    const nsec = nodata.authority.find((r) => r.type === 'NSEC');
    expect(nsec?.data.split(/\s+/)).toEqual(expect.arrayContaining(['DNSKEY', 'CDS', 'CDNSKEY']));

    const unbound = await startUnbound(temp.dir, 'cds', ds, server.port);
    resolvers.push(unbound);
    for (const type of ['CDS', 'CDNSKEY']) {
      const validated = await unbound.dig([ZONE, type]);
      expect(validated.status, type).toBe('NOERROR');
      expect(validated.flags, type).toContain('ad');
      expect(validated.answer.some((r) => r.type === type)).toBe(true);
    }
    const nodataValidated = await unbound.dig([ZONE, 'SRV']);
    expect(nodataValidated.flags).toContain('ad');

    for (const type of ['CDS', 'CDNSKEY'])
      expect(await delv({ dir: temp.dir, zone: ZONE, ds, port: server.port }, ZONE, type), type).toContain(
        '; fully validated',
      );
  }, 60_000);

  test('without DO, dig and kdig get DNSKEY, CDS, CDNSKEY and NSEC unsigned; RRSIG queries are refused', async () => {
    for (const ask of [server.dig.bind(server), server.kdig.bind(server)]) {
      for (const [name, type] of [
        [ZONE, 'DNSKEY'],
        [ZONE, 'CDS'],
        [ZONE, 'CDNSKEY'],
        [`www.${ZONE}`, 'NSEC'],
      ] as const) {
        const signed = await ask([name, type, '+dnssec']);
        const plain = await ask([name, type]);
        expect(plain.status, `${name} ${type}`).toBe('NOERROR');
        expect(plain.flags, `${name} ${type}`).toContain('aa');
        expect(plain.answer.map((r) => r.type)).toEqual(plain.answer.map(() => type));
        expect(plain.answer).toEqual(signed.answer.filter((r) => r.type !== 'RRSIG'));
        expect(plain.answer.length).toBeGreaterThan(0);
      }
      for (const flags of [['+dnssec'], []]) {
        const rrsig = await ask([`www.${ZONE}`, 'RRSIG', ...flags]);
        expect(rrsig.status).toBe('REFUSED');
        expect(rrsig.answer).toEqual([]);
      }
    }
    // The apex's NSEC bitmap, as kdig prints it, names what is there.
    const nsec = await server.kdig([ZONE, 'NSEC']);
    expect(nsec.answer[0]?.data.split(/\s+/)).toEqual(expect.arrayContaining(['SOA', 'NS', 'DNSKEY', 'CDS', 'NSEC']));
  }, 60_000);

  test('unbound refuses expired signatures and a trust anchor for another key', async () => {
    // The validator's clock a year ahead: every signature (valid for hours) has expired.
    const late = await startUnbound(temp.dir, 'expired', ds, server.port, [
      `val-override-date: "${new Date(Date.now() + 365 * 86400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}"`,
    ]);
    resolvers.push(late);
    const expired = await late.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
    expect(expired.status).toBe('SERVFAIL');

    // A DS whose digest is one nibble off: the DNSKEY the server publishes is not the anchored key.
    const flipped = ds.replace(/([0-9a-f])$/i, (c) => (c.toLowerCase() === '0' ? '1' : '0'));
    const tampered = await startUnbound(temp.dir, 'tampered', flipped, server.port);
    resolvers.push(tampered);
    const bogus = await tampered.dig([`www.${ZONE}`, 'A']);
    expect(bogus.status).toBe('SERVFAIL');
    // With checking disabled the same answer comes through: it was the validation that failed.
    const unchecked = await tampered.dig(['+cd', `www.${ZONE}`, 'A']);
    expect(unchecked.status).toBe('NOERROR');
  }, 60_000);
});
