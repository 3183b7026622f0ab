// Signed answers that health changes: failover, weighted and regional names of examples/standalone and
// examples/regional, served signed by `geodns serve --config` with health from the folder's health table (as the
// operator publishes it; nothing is probed), and validated by unbound with the zone's DS as its only trust anchor and
// no cache, before and after targets go down: each answer the routing gives after a change is signed and validates.
import { execFileSync } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HEALTH_FORMAT, type HealthTable } from '../../../api/health.ts';
import type { DigResult } from '../../support/dig.ts';
import { CITY_MMDB, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { until } from '../../support/until.ts';

const ZONE = 'geo.example.com';
const since = '2026-12-01T00:00:00Z';
const EU_CLIENT = '+subnet=198.51.100.0/24';

describe('signed answers before and after targets go down, validated by unbound', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let config: string;
  let server: ServeProcess;
  let unbound: Unbound;

  async function setDown(...ids: string[]): Promise<void> {
    const table: HealthTable = {
      format: HEALTH_FORMAT,
      targets: Object.fromEntries(ids.map((id) => [`web/${id}`, { up: false, since }])),
    };
    await writeFile(path.join(config, '.health.tmp'), JSON.stringify(table));
    await rename(path.join(config, '.health.tmp'), path.join(config, 'health.json'));
  }

  /** unbound's answer for `name`, once every address it gives is among `expected`; it must validate (AD). */
  async function validated(name: string, type: 'A' | 'AAAA', expected: string[], ...extra: string[]) {
    const answer = await until(
      `${name} ${type} from ${expected.join(', ')}`,
      () => unbound.dig([name, type, ...extra]),
      {
        accept: (r: DigResult) => {
          const addresses = r.answer.filter((a) => a.type === type).map((a) => a.data);
          return addresses.length > 0 && addresses.every((a) => expected.includes(a));
        },
        intervalMs: 100,
        timeoutMs: 20_000,
      },
    );
    expect(answer.status, name).toBe('NOERROR');
    expect(answer.flags, name).toContain('ad');
    return answer.answer.filter((a) => a.type === type).map((a) => a.data);
  }

  beforeAll(async () => {
    temp = await tempDir('dnssec-failover');
    const keys = path.join(temp.dir, 'keys');
    config = path.join(temp.dir, 'config');
    for (const dir of [keys, config]) await mkdir(dir);
    const base = execFileSync('dnssec-keygen', ['-q', '-K', keys, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ZONE], {
      encoding: 'utf8',
    }).trim();
    const ds = execFileSync('dnssec-dsfromkey', ['-2', path.join(keys, `${base}.key`)], { encoding: 'utf8' }).trim();
    const compiled = await runCli(['compile', '--out-dir', config, 'examples/standalone', 'examples/regional']);
    expect(compiled.code, compiled.stderr).toBe(0);
    await setDown();
    server = await startServe(['--config', config], { geoip: CITY_MMDB, args: ['--dnssec-keys', keys] });
    // No cache: every question reaches the server, so each answer after a health change is the new one.
    unbound = await startUnbound(temp.dir, 'failover', ds, server.port, [
      'cache-max-ttl: 0',
      'cache-max-negative-ttl: 0',
    ]);
  }, 60_000);

  afterAll(async () => {
    await unbound?.stop();
    await server?.stop();
    await temp?.remove();
  });

  test('failover: the primary, then the standby once it is down, then the maintenance page', async () => {
    expect(await validated(`api.${ZONE}`, 'A', ['127.0.0.10'])).toEqual(['127.0.0.10']);
    await setDown('api/primary');
    expect(await validated(`api.${ZONE}`, 'A', ['127.0.0.11'])).toEqual(['127.0.0.11']);
    await setDown('api/primary', 'api/standby');
    expect(await validated(`api.${ZONE}`, 'A', ['192.0.2.99'])).toEqual(['192.0.2.99']);
    await setDown();
    expect(await validated(`api.${ZONE}`, 'A', ['127.0.0.10'])).toEqual(['127.0.0.10']);
  }, 60_000);

  test('weighted: each target alone while the other is down, then either', async () => {
    await setDown('canary/stable');
    expect(await validated(`canary.${ZONE}`, 'A', ['192.0.2.41'])).toEqual(['192.0.2.41']);
    await setDown('canary/next');
    expect(await validated(`canary.${ZONE}`, 'A', ['192.0.2.40'])).toEqual(['192.0.2.40']);
    await setDown();
    expect((await validated(`canary.${ZONE}`, 'A', ['192.0.2.40', '192.0.2.41'])).length).toBe(1);
  }, 60_000);

  test('regional: an EU client gets EU servers, and the backup region (US) when all of EU is down, A and AAAA', async () => {
    const eu = (family: 'A' | 'AAAA') =>
      [1, 2, 3, 4, 5].map((n) => (family === 'A' ? `192.0.2.10${n}` : `2001:db8:e1::${n}`));
    const us = (family: 'A' | 'AAAA') =>
      [1, 2, 3, 4, 5].map((n) => (family === 'A' ? `198.51.100.10${n}` : `2001:db8:a1::${n}`));
    for (const family of ['A', 'AAAA'] as const) {
      expect((await validated(`app.${ZONE}`, family, eu(family), EU_CLIENT)).length).toBeGreaterThan(0);
    }
    await setDown(...[1, 2, 3, 4, 5].map((n) => `app/eu-${n}`));
    for (const family of ['A', 'AAAA'] as const) {
      expect((await validated(`app.${ZONE}`, family, us(family), EU_CLIENT)).length).toBeGreaterThan(0);
    }
    await setDown();
  }, 60_000);
});
