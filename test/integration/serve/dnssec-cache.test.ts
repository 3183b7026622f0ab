// The cache bounds against a real `geodns serve` (one worker thread): with --dnssec-cache 4 and --answer-cache 4,
// signing in advance stops at its bound (the log line says so), and a signed answer pushed out of the caches by
// newer ones is signed again when asked again, while the newest is not (read from /metrics).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';

const ZONE = 'geo.example.com';

describe('geodns serve --dnssec-cache and --answer-cache', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let server: ServeProcess;

  beforeAll(async () => {
    temp = await tempDir('dnssec-cache');
    const keys = path.join(temp.dir, 'keys');
    execFileSync('mkdir', [keys]);
    execFileSync('dnssec-keygen', ['-q', '-K', keys, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ZONE]);
    const args = ['--dnssec-keys', keys, '--dnssec-sign-rate', '0', '--dnssec-cache', '4', '--answer-cache', '4'];
    server = await startServe(['--resources', EXAMPLES], { args });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await temp?.remove();
  });

  async function inlineSignatures(): Promise<number> {
    const metrics = (await server.fetch('/metrics')).body;
    const line = new RegExp(`^geodns_dnssec_signatures_total\\{zone="${ZONE}",path="inline"\\} (\\d+)`, 'm');
    return Number(line.exec(metrics)?.[1] ?? 0);
  }

  /** Signatures made inline for a made-up name asked with DO (its NSEC is its own). */
  async function signedFor(i: number): Promise<number> {
    const before = await inlineSignatures();
    const reply = await server.dig([`nx${i}.${ZONE}`, 'A', '+dnssec']);
    expect(reply.authority.some((r) => r.type === 'RRSIG')).toBe(true);
    return (await inlineSignatures()) - before;
  }

  test('signing in advance and the signature caches keep to the bound', async () => {
    const ahead = await server.waitForLog(
      (l) => l.msg === 'DNSSEC: signed in advance' && l.zone === ZONE,
      'signing in advance at start-up',
    );
    expect(ahead.capped).toBe(true);
    expect(Number(ahead.answers)).toBeLessThanOrEqual(4);

    for (let i = 1; i <= 6; i++) expect(await signedFor(i)).toBeGreaterThan(0);
    expect(await signedFor(6)).toBe(0);
    expect(await signedFor(1)).toBeGreaterThan(0);
  });
});
