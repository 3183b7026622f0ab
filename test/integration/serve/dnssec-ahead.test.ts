// Signing in advance against a real `geodns serve --dnssec-keys`: after the document changes, the DNS thread signs
// the new routed answer in the background, so the first query with the DO bit for it signs nothing inline (read
// from /metrics), and unbound and delv, trusting only the zone's DS, validate it.
import { execFileSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CITY_MMDB, EXAMPLES, startServe, type LogLine, type ServeProcess } from '../../support/serve.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { delv } from '../../support/delv.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const ZONE = 'geo.example.com';
const TOKYO_NETWORK = '+subnet=10.3.0.0/16';

describe('DNSSEC signing in advance', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let server: ServeProcess;
  let ds: string;
  let unbound: Unbound | undefined;

  beforeAll(async () => {
    temp = await tempDir('dnssec-ahead');
    const keys = path.join(temp.dir, 'keys');
    const resources = path.join(temp.dir, 'resources');
    execFileSync('mkdir', [keys]);
    await cp(EXAMPLES, resources, { recursive: true });
    const base = execFileSync('dnssec-keygen', ['-q', '-K', keys, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ZONE], {
      encoding: 'utf8',
    }).trim();
    ds = execFileSync('dnssec-dsfromkey', ['-2', path.join(keys, `${base}.key`)], { encoding: 'utf8' }).trim();
    server = await startServe(['--resources', resources], { geoip: CITY_MMDB, args: ['--dnssec-keys', keys] });
  }, 60_000);

  afterAll(async () => {
    await unbound?.stop();
    await server?.stop();
    await temp?.remove();
  });

  /** geodns_dnssec_signatures_total of the zone for `path` (0 while never counted). */
  async function signatures(path: 'inline' | 'ahead'): Promise<number> {
    const metrics = (await server.fetch('/metrics')).body;
    const match = new RegExp(`^geodns_dnssec_signatures_total\\{zone="${ZONE}",path="${path}"\\} (\\d+)`, 'm').exec(
      metrics,
    );
    return match ? Number(match[1]) : 0;
  }

  const signedAhead = (serial: number) => (l: LogLine) =>
    l.msg === 'DNSSEC: signed in advance' && l.zone === ZONE && l.serial === serial;
  const serial = async () => Number((await server.dig([ZONE, 'SOA'])).answer[0]?.data.split(/\s+/)[2]);

  test('after a document change the new routed answer is signed before it is asked for', async () => {
    // At start-up: signed in advance for the first document, within the bounds.
    const first = await server.waitForLog(signedAhead(await serial()), 'signing in advance at start-up');
    expect(first.capped).toBe(false);
    expect(Number(first.signatures)).toBeGreaterThan(0);
    expect(await signatures('ahead')).toBe(Number(first.signatures));

    const endpoints = path.join(temp.dir, 'resources', 'endpoints.yaml');
    const original = await readFile(endpoints, 'utf8');
    expect(original).toContain('addresses: [203.0.113.10,');
    await writeFile(endpoints, original.replace('[203.0.113.10,', '[203.0.113.99,'));
    // Without DO (nothing signed inline): the new document is served.
    await until('the new Tokyo address', () => server.addresses(`www.${ZONE}`, [TOKYO_NETWORK]), {
      accept: (a) => a.join() === '203.0.113.99',
      intervalMs: 100,
    });
    const changed = await server.waitForLog(signedAhead(await serial()), 'signing in advance after the change');
    expect(changed.capped).toBe(false);

    const inline = await signatures('inline');
    const tokyo = await server.dig([`www.${ZONE}`, 'A', '+dnssec', TOKYO_NETWORK]);
    expect(tokyo.answer.filter((r) => r.type === 'A').map((r) => r.data)).toEqual(['203.0.113.99']);
    expect(tokyo.answer.filter((r) => r.type === 'RRSIG').map((r) => r.data.split(/\s+/)[0])).toEqual(['A']);
    // Its signature was made in advance: nothing was signed for this query.
    expect(await signatures('inline')).toBe(inline);

    unbound = await startUnbound(temp.dir, 'ahead', ds, server.port);
    const validated = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=203.0.113.0/24']);
    expect(validated.status).toBe('NOERROR');
    expect(validated.flags).toContain('ad');
    expect(validated.answer.filter((r) => r.type === 'A').map((r) => r.data)).toEqual(['203.0.113.99']);
    expect(await delv({ dir: temp.dir, zone: ZONE, ds, port: server.port }, `www.${ZONE}`, 'A')).toContain(
      '; fully validated',
    );
  }, 60_000);
});
