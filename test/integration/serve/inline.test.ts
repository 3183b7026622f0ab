// --workers 0: the DNS node answers in the main thread (no worker threads).
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

describe('serve --workers 0 (inline)', () => {
  let server: ServeProcess;
  let config: { dir: string; remove: () => Promise<void> };
  let zoneFile: string;

  beforeAll(async () => {
    config = await tempDir('inline');
    const compiled = await runCli(['compile', EXAMPLES, '--out-dir', config.dir]);
    expect(compiled.code).toBe(0);
    zoneFile = path.join(config.dir, 'geo.example.com.json');
    server = await startServe(['--config', config.dir], { workers: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await config?.remove();
  });

  test('answers with no worker thread, and counts the queries in /metrics', async () => {
    expect(server.logs.find((l) => l.msg === 'serving')?.workers).toBe(1);
    const reply = await server.dig(['www.geo.example.com', 'A', '+subnet=10.1.0.0/16']);
    expect(reply.status).toBe('NOERROR');
    expect(reply.flags).toContain('aa');
    expect(reply.answer.map((r) => r.data).sort()).toEqual(['192.0.2.10', '192.0.2.11']);
    const { body } = await server.fetch('/metrics');
    expect(body).toMatch(/geodns_dns_requests_total\{zone="geo\.example\.com",type="A",transport="udp"\} [1-9]/);
  });

  test('swaps to a changed document', async () => {
    const document = JSON.parse(await readFile(zoneFile, 'utf8')) as { serial: number };
    const next = document.serial + 5;
    await writeFile(`${zoneFile}.tmp`, JSON.stringify({ ...document, serial: next }));
    await cp(`${zoneFile}.tmp`, zoneFile);
    const soa = await until('the new serial', () => server.dig(['geo.example.com', 'SOA']), {
      accept: (r) => r.answer[0]?.data.split(' ')[2] === String(next),
      intervalMs: 100,
    });
    expect(soa.status).toBe('NOERROR');
  });
});
