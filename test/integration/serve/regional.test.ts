// The reference design (examples/regional) served by a live `geodns serve` on loopback, asked with dig and kdig
// over EDNS Client Subnet (+subnet=, documentation ranges placed by the test city database and the zone's custom
// networks): each client's region, the ECS scope, backups when a region fails (per family), the weighted spread.
// Health comes from a health table in the --config folder, as the operator publishes it; nothing is probed.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HEALTH_FORMAT, type HealthTable } from '../../../api/health.ts';
import { CITY_MMDB, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { dig, parseDig, type DigResult, type DigTarget } from '../../support/dig.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const NAME = 'app.geo.example.com';
const PREFIX = { us: '198.51.100.10', eu: '192.0.2.10', apac: '203.0.113.10' } as const;
const PREFIX6 = { us: '2001:db8:a1::', eu: '2001:db8:e1::', apac: '2001:db8:ac::' } as const;
type Region = keyof typeof PREFIX;

/** The region of an address of the example (198.51.100.101 → us, 2001:db8:e1::3 → eu). */
function regionOf(address: string): Region | undefined {
  const table = address.includes(':') ? PREFIX6 : PREFIX;
  return (Object.keys(table) as Region[]).find((r) => address.startsWith(table[r]));
}

const since = '2026-12-01T00:00:00Z';
const down = (...names: string[]) => Object.fromEntries(names.map((n) => [`web/app/${n}`, { up: false, since }]));
const all = (region: Region) => [1, 2, 3, 4, 5].map((n) => `${region}-${n}`);

describe('the regional reference design on a live server', () => {
  let server: ServeProcess;
  let dir = '';
  let removeDir: () => Promise<void> = async () => undefined;

  async function setHealth(targets: HealthTable['targets']): Promise<void> {
    const table: HealthTable = { format: HEALTH_FORMAT, targets };
    await writeFile(path.join(dir, '.health.tmp'), JSON.stringify(table));
    await rename(path.join(dir, '.health.tmp'), path.join(dir, 'health.json'));
  }

  beforeAll(async () => {
    ({ dir, remove: removeDir } = await tempDir('regional'));
    const compiled = await runCli(['compile', '--out-dir', dir, 'examples/standalone', 'examples/regional']);
    expect(compiled.code, compiled.stderr).toBe(0);
    await setHealth({});
    server = await startServe(['--config', dir], { geoip: CITY_MMDB });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await removeDir();
  });

  const ask = (type: 'A' | 'AAAA', subnet: string) => server.dig([NAME, type, `+subnet=${subnet}`]);
  const regionsIn = (result: DigResult) => result.answer.map((r) => regionOf(r.data));

  test.each<[string, 'A' | 'AAAA', string, Region, number]>([
    ['Munich (GeoIP: EU)', 'A', '198.51.100.0/24', 'eu', 24],
    ['Frankfurt (custom network: EU)', 'A', '10.1.0.0/16', 'eu', 16],
    ['Tokyo (GeoIP: AS)', 'A', '203.0.113.0/24', 'apac', 24],
    ['Australia (custom network: OC)', 'A', '10.3.128.0/24', 'apac', 17],
    ['California (GeoIP: NA)', 'A', '192.0.2.0/24', 'us', 24],
    ['Virginia (custom network: NA)', 'A', '10.2.0.0/16', 'us', 16],
    ['Paris over IPv6 (GeoIP: EU)', 'AAAA', '2001:db8:100::/48', 'eu', 48],
    ['Australia over IPv6 (GeoIP: OC)', 'AAAA', '2001:db8:200::/48', 'apac', 40],
  ])('%s: %s answers from %s, ECS scope /%i', async (_, type, subnet, region, scope) => {
    const result = await ask(type, subnet);
    expect(result.status).toBe('NOERROR');
    expect(result.answer).toHaveLength(2);
    expect(result.answer.every((r) => r.type === type)).toBe(true);
    expect(new Set(result.answer.map((r) => r.data)).size).toBe(2);
    expect(regionsIn(result)).toEqual([region, region]);
    expect(result.ecs?.scope).toBe(scope);
  });

  test('an address no database knows goes to the default region (kdig)', async () => {
    const result = await server.kdig([NAME, 'A', '+subnet=100.64.0.0/24']);
    expect(result.status).toBe('NOERROR');
    expect(regionsIn(result)).toEqual(['us', 'us']);
    expect(result.ecs?.scope).toBeGreaterThan(0);
  });

  test('a region that fails sends its clients to its backup: EU → US, APAC → US, US → EU', async () => {
    await setHealth(down(...all('eu'), ...all('apac')));
    await until('EU clients answered from US', async () => regionsIn(await ask('A', '198.51.100.0/24')), {
      accept: (r) => r.join() === 'us,us',
      intervalMs: 100,
    });
    expect(regionsIn(await ask('AAAA', '2001:db8:100::/48'))).toEqual(['us', 'us']);
    expect(regionsIn(await ask('A', '203.0.113.0/24'))).toEqual(['us', 'us']);
    const eu = await ask('A', '198.51.100.0/24');
    expect(eu.ecs?.scope).toBe(24);

    await setHealth(down(...all('us')));
    await until('US clients answered from EU', async () => regionsIn(await ask('A', '192.0.2.0/24')), {
      accept: (r) => r.join() === 'eu,eu',
      intervalMs: 100,
    });
    expect(regionsIn(await ask('A', '203.0.113.0/24'))).toEqual(['apac', 'apac']);
  });

  test('per family: APAC without working IPv6 answers A itself and sends AAAA to US', async () => {
    const v6down = Object.fromEntries(
      [1, 2, 3, 4, 5].map((n) => [`web/app/apac-${n}`, { up: true, since, downAddresses: [`2001:db8:ac::${n}`] }]),
    );
    await setHealth(v6down);
    await until('AAAA for Australia from US', async () => regionsIn(await ask('AAAA', '2001:db8:200::/48')), {
      accept: (r) => r.join() === 'us,us',
      intervalMs: 100,
    });
    expect(regionsIn(await ask('A', '10.3.128.0/24'))).toEqual(['apac', 'apac']);
  });

  test('within a region, by weight over the healthy servers: one down, never answered, the others all first', async () => {
    await setHealth(down('eu-3'));
    // Every worker has the new table once 20 answers in a row leave eu-3 out (with it up, 2 of 5 are drawn per
    // answer: 20 answers without it by chance is 0.6^20, about 4 in 100,000).
    await until(
      'eu-3 left out of the EU answers',
      async () =>
        (await Promise.all(Array.from({ length: 20 }, () => ask('A', '198.51.100.0/24')))).flatMap((r) =>
          r.answer.map((a) => a.data),
        ),
      { accept: (addresses) => addresses.length === 40 && !addresses.includes('192.0.2.103'), intervalMs: 100 },
    );
    // 100 queries in one dig process (batch file); the pure tests measure the shares, this one that they reach the wire.
    const batch = path.join(dir, 'queries.txt');
    await writeFile(batch, `${Array.from({ length: 100 }, () => `${NAME} A +subnet=198.51.100.0/24`).join('\n')}\n`);
    const out = await dig(server.dns[0] as DigTarget, ['-f', batch], { timeoutMs: 60_000 });
    const answers = out.raw
      .split(/^; <<>> DiG/m)
      .slice(1)
      .map((chunk) => parseDig(chunk).answer.map((r) => r.data));
    expect(answers).toHaveLength(100);
    const firsts = new Map<string, number>();
    for (const [first, second] of answers) {
      expect(second).not.toBe(first);
      firsts.set(first as string, (firsts.get(first as string) ?? 0) + 1);
    }
    expect(answers.flat()).not.toContain('192.0.2.103');
    expect([...firsts.keys()].sort()).toEqual(['192.0.2.101', '192.0.2.102', '192.0.2.104', '192.0.2.105']);
    // 25 expected each; below 5 is more than 4.5 standard deviations away.
    for (const count of firsts.values()) expect(count).toBeGreaterThanOrEqual(5);
  });
});
