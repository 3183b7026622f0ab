// The native path's reply cache against the dgram path (which has none), on the examples: every query of a corpus
// (static data, routed names by source and by ECS, CNAME chains, a referral, NXDOMAIN, NODATA, truncation, DO on
// an unsigned zone, letter case) asked three times of the native server and once of the dgram server gets the same
// bytes every time but the ID, and the native server answered the repeats from its cache.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, startServe, type ServeProcess } from '../../support/serve.ts';
import { skipNative } from '../../support/udp-paths.ts';
import { udpExchange } from '../../support/dns-clients.ts';
import { query, type QueryOptions } from '../../../tools/dns-query.ts';
import dnsPacket from 'dns-packet';
import { pairsOf, publishAsSecret, twoKeysFirstPublished, type KeyPair } from '../../support/dnssec-keys.ts';
import type { TempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const ZONE = 'geo.example.com';
const CORPUS: [string, QueryOptions][] = [
  [ZONE, { type: 'SOA' }],
  [ZONE, { type: 'NS' }],
  [ZONE, { type: 'MX', edns: true }],
  [ZONE, { type: 'TXT' }],
  [ZONE, { type: 'CAA', do: true }],
  [`www.${ZONE}`, { type: 'A' }],
  [`WwW.Geo.Example.COM`, { type: 'A' }],
  [`www.${ZONE}`, { type: 'AAAA', edns: true }],
  [`www.${ZONE}`, { type: 'A', ecs: { ip: '10.3.0.0', prefix: 16 } }],
  [`www.${ZONE}`, { type: 'A', ecs: { ip: '10.1.0.0', prefix: 16 } }],
  [`www.${ZONE}`, { type: 'A', ecs: { ip: '2001:db8::', prefix: 56 } }],
  [`www.${ZONE}`, { type: 'A', ecs: { ip: '0.0.0.0', prefix: 0 } }],
  [`www.${ZONE}`, { type: 'TXT' }],
  [`near.${ZONE}`, { type: 'A', ecs: { ip: '10.3.0.0', prefix: 16 } }],
  [`api.${ZONE}`, { type: 'A' }],
  [`mail.${ZONE}`, { type: 'AAAA' }],
  [`docs.${ZONE}`, { type: 'A' }],
  [`_sip._tcp.${ZONE}`, { type: 'SRV' }],
  [`host.lab.${ZONE}`, { type: 'A' }],
  [`missing.${ZONE}`, { type: 'A', edns: true }],
  [ZONE, { type: 'ANY', udpSize: 512 }],
];

describe.skipIf(skipNative)('the reply cache answers as the handler does', () => {
  let native: ServeProcess;
  let dgram: ServeProcess;
  beforeAll(async () => {
    [native, dgram] = await Promise.all([
      startServe(['--resources', EXAMPLES], { udpIo: 'native', workers: 1 }),
      startServe(['--resources', EXAMPLES], { udpIo: 'dgram', workers: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([native?.stop(), dgram?.stop()]);
  });

  const hits = async (): Promise<number> => {
    const text = (await native.fetch('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith('geodns_udp_reply_cache_lookups_total{result="hit"}'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  test('three times from the native path, once from dgram: the same bytes but the ID', async () => {
    const before = await hits();
    let id = 1000;
    for (const [name, options] of CORPUS) {
      const ask = async (server: ServeProcess) => {
        const asked = ++id;
        const reply = await udpExchange('127.0.0.1', server.port, query(name, { ...options, id: asked }));
        expect(reply.readUInt16BE(0), `${name} ${options.type}`).toBe(asked);
        return reply.subarray(2);
      };
      const first = await ask(native);
      const REFUSED = 5;
      expect(((first[1] as number) & 0x0f) === REFUSED, `${name} refused`).toBe(false);
      expect(await ask(native), `${name} ${options.type}, asked again`).toEqual(first);
      expect(await ask(native), `${name} ${options.type}, a third time`).toEqual(first);
      expect(await ask(dgram), `${name} ${options.type}, of the dgram path`).toEqual(first);
    }
    // Every repeat came from the cache: no name of the corpus is routed at random or signed.
    expect((await hits()) - before).toBe(2 * CORPUS.length);
  });
});

describe.skipIf(skipNative)('the reply cache with a signed zone', () => {
  let server: ServeProcess;
  let temp: TempDir;
  let keysDir: string;
  let first: KeyPair;
  let second: KeyPair;
  beforeAll(async () => {
    ({ temp, keysDir, first, second } = await twoKeysFirstPublished('reply-cache-signed'));
    server = await startServe(['--resources', EXAMPLES], {
      udpIo: 'native',
      workers: 1,
      args: ['--dnssec-keys', keysDir],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await temp?.remove();
  });

  const hits = async (): Promise<number> => {
    const text = (await server.fetch('/metrics')).body;
    const line = text.split('\n').find((l) => l.startsWith('geodns_udp_reply_cache_lookups_total{result="hit"}'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  let id = 0;
  const ask = async (name: string, options: QueryOptions) =>
    dnsPacket.decode(await udpExchange('127.0.0.1', server.port, query(name, { ...options, id: ++id })));
  /** The key tags the DNSKEY set (with DO) is signed by. */
  const dnskeySigners = async () =>
    ((await ask(ZONE, { type: 'DNSKEY', do: true })).answers ?? [])
      .flatMap((r) => (r.type === 'RRSIG' ? [r.data.keyTag] : []))
      .sort((a, b) => a - b);

  test('signed answers (DO) are sent again from the cache, and a new key is answered at once', async () => {
    const before = await hits();
    for (const [name, options] of [
      [`static.${ZONE}`, { type: 'A', do: true }],
      [`www.${ZONE}`, { type: 'A', do: true, ecs: { ip: '10.3.0.0', prefix: 16 } }],
      [`missing.${ZONE}`, { type: 'A', do: true }],
    ] as [string, QueryOptions][]) {
      const replies = [await ask(name, options), await ask(name, options), await ask(name, options)];
      expect(
        replies[0]?.answers?.concat(replies[0]?.authorities ?? []).some((r) => r.type === 'RRSIG'),
        name,
      ).toBe(true);
      expect(replies[1]?.answers).toEqual(replies[0]?.answers);
      expect(replies[2]?.authorities).toEqual(replies[0]?.authorities);
    }
    expect(await dnskeySigners()).toEqual([first.tag]);
    expect(await dnskeySigners()).toEqual([first.tag]);
    expect((await hits()) - before).toBe(2 * 3 + 1);

    // The kept DNSKEY reply holds for hours by its signatures; the change of keys must forget it.
    await publishAsSecret(keysDir, 'v2', pairsOf(first, second));
    await until('the DNSKEY set signed by both keys', dnskeySigners, {
      accept: (tags) => tags.length === 2,
      intervalMs: 100,
    });
    expect(await dnskeySigners()).toEqual([first.tag, second.tag].sort((a, b) => a - b));
  });
});
