// Signing keys changed under a running `geodns serve --dnssec-keys DIR`, laid out as the kubelet lays out a mounted
// Secret (the files are symlinks through `..data`, and an update is one rename of `..data`): a key added is
// published and signs, a key removed is gone from DNSKEY and from every RRSIG, a broken pair and a folder that
// would leave the zone unsigned are refused with the reason while the last good keys keep signing, and unbound,
// trusting only the new key, validates the answers after the roll.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CITY_MMDB, EXAMPLES, startServe, type ServeProcess } from '../../support/serve.ts';
import type { DigResult } from '../../support/dig.ts';
import {
  dsOf,
  pairsOf,
  publishAsSecret as publish,
  twoKeysFirstPublished,
  type KeyPair,
} from '../../support/dnssec-keys.ts';
import type { TempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';

const ZONE = 'geo.example.com';

describe('DNSSEC keys swapped while serving', () => {
  let temp: TempDir;
  let keysDir: string;
  let server: ServeProcess;
  let first: KeyPair;
  let second: KeyPair;
  let unbound: Unbound | undefined;

  /** The DNSKEY public keys served, and the key tags of every RRSIG in the DNSKEY and www answers. */
  async function published(): Promise<{ dnskeys: string[]; signedBy: number[] }> {
    const answers: DigResult[] = [
      await server.dig([ZONE, 'DNSKEY', '+dnssec']),
      await server.dig([`www.${ZONE}`, 'A', '+dnssec', '+subnet=198.51.100.0/24']),
    ];
    const records = answers.flatMap((a) => a.answer);
    return {
      dnskeys: records
        .filter((r) => r.type === 'DNSKEY')
        .map((r) => r.data.split(/\s+/).slice(3).join(''))
        .sort(),
      signedBy: [
        ...new Set(records.filter((r) => r.type === 'RRSIG').map((r) => Number(r.data.split(/\s+/)[6]))),
      ].sort(),
    };
  }

  const servedBy = (...keys: KeyPair[]) => ({
    dnskeys: keys.map((k) => k.publicKey).sort(),
    signedBy: keys.map((k) => k.tag).sort(),
  });

  beforeAll(async () => {
    ({ temp, keysDir, first, second } = await twoKeysFirstPublished('dnssec-keys'));
    server = await startServe(['--resources', EXAMPLES], {
      geoip: CITY_MMDB,
      workers: 2,
      args: ['--dnssec-keys', keysDir],
    });
  }, 60_000);

  afterAll(async () => {
    await unbound?.stop();
    await server?.stop();
    await temp?.remove();
  });

  test('a key added is published and signs beside the first; one removed is gone from DNSKEY and RRSIGs', async () => {
    expect(await published()).toEqual(servedBy(first));
    await publish(keysDir, 'v2', pairsOf(first, second));
    await until('both keys published and signing', published, {
      accept: (p) => JSON.stringify(p) === JSON.stringify(servedBy(first, second)),
      intervalMs: 100,
    });
    const swapped = await server.waitForLog((l) => l.msg === 'DNSSEC keys swapped in', 'the swap');
    expect(swapped.added).toEqual([expect.objectContaining({ zone: ZONE, keyTag: second.tag, algorithm: 15 })]);

    await publish(keysDir, 'v3', pairsOf(second));
    await until('only the second key', published, {
      accept: (p) => JSON.stringify(p) === JSON.stringify(servedBy(second)),
      intervalMs: 100,
    });
  }, 60_000);

  test('a broken pair and a folder without the zone are refused, saying why; the last good key keeps signing', async () => {
    const broken = { ...pairsOf(second), [`${first.base}.key`]: first.files[`${first.base}.key`]! };
    broken[`${first.base}.private`] = 'Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: AAAA\n';
    await publish(keysDir, 'v4', broken);
    const refused = await server.waitForLog(
      (l) => l.msg === 'DNSSEC keys refused: the last good keys keep signing',
      'the refusal of a broken pair',
    );
    expect(String(refused.reason)).toContain(`${first.base}.private`);
    expect(await published()).toEqual(servedBy(second));

    await publish(keysDir, 'v5', {});
    await server.waitForLog(
      (l) => String(l.reason).includes(`no key left for ${ZONE}: the zone would turn unsigned`),
      'the refusal of an empty folder',
    );
    expect(await published()).toEqual(servedBy(second));
    const metrics = (await server.fetch('/metrics')).body;
    expect(metrics).toMatch(/^geodns_reload_failures_total\{source="dnssec-keys"\} 2$/m);
    expect(metrics).toMatch(/^geodns_reloads_total\{source="dnssec-keys"\} 2$/m);
  }, 60_000);

  test('unbound trusting only the key rolled in validates the answers', async () => {
    const ds = dsOf(second);
    unbound = await startUnbound(temp.dir, 'rolled', ds, server.port);
    const answer = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
  }, 60_000);
});
