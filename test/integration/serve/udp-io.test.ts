// --udp-io: which UDP path serves, how the server says so (serving log line, /readyz, geodns_udp_io), the fallback
// when the addon cannot load (said once, dgram serves), and a long fuzz run against the native path.
import dgram from 'node:dgram';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { spawn, type SpawnOptions } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { skipNative } from '../../support/udp-paths.ts';
import { mulberry32 } from '../../../tools/random.ts';
import { query } from '../../../tools/dns-query.ts';
import { udpExchange } from '../../support/dns-clients.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const MISSING_ADDON = '/nonexistent/geodns_udp.node';

function withEnv(env: Record<string, string>) {
  return (command: string, args: string[], options: SpawnOptions) =>
    spawn(command, args, { ...options, env: { ...process.env, ...env } });
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

async function rssKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

describe('--udp-io', () => {
  test.each(skipNative ? (['dgram'] as const) : (['dgram', 'native'] as const))(
    '%s: said in the serving line, /readyz and geodns_udp_io',
    async (io) => {
      const server = await startServe(['--resources', EXAMPLES], { udpIo: io });
      try {
        expect((await server.dig(['www.geo.example.com', 'A'])).status).toBe('NOERROR');
        const ready = await server.fetch('/readyz');
        expect(ready.status).toBe(200);
        expect(ready.body).toMatch(
          new RegExp(`^ok\nudp-io: ${io}\ngeoip: .*geo-whois-asn-country\\.mmdb \\(built \\S+\\)\n$`),
        );
        const metrics = (await server.fetch('/metrics')).body;
        expect(metric(metrics, `geodns_udp_io{path="${io}"}`)).toBe(1);
        expect(metrics).not.toContain(`geodns_udp_io{path="${io === 'native' ? 'dgram' : 'native'}"}`);
        expect(metrics).toContain('geodns_udp_send_errors_total{reason="EAGAIN"} 0');
        if (io === 'native') expect(metric(metrics, 'geodns_udp_batch_datagrams_total')).toBeGreaterThan(0);
      } finally {
        await server.stop();
      }
    },
  );

  test.skipIf(skipNative)('auto (the default) serves native where the addon loads', async () => {
    const server = await startServe(['--resources', EXAMPLES]);
    try {
      expect(server.logs.find((l) => l.msg === 'serving')?.udpIo).toBe('native');
    } finally {
      await server.stop();
    }
  });

  test.skipIf(skipNative)(
    'native: repeats come from the reply cache and are counted; an edit is answered at once, never a kept reply',
    async () => {
      const temp = await tempDir('reply-cache');
      await cp(EXAMPLES, temp.dir, { recursive: true });
      const endpoints = path.join(temp.dir, 'endpoints.yaml');
      const original = await readFile(endpoints, 'utf8');
      const server = await startServe(['--resources', temp.dir], { udpIo: 'native' });
      const requests = 'geodns_dns_requests_total{zone="geo.example.com",type="A",transport="udp"}';
      // Tokyo by ECS and no cookie: a reply the handler says holds for every source, kept on first answer.
      const tokyo = async (id: number) => {
        const message = query('www.geo.example.com', { id, ecs: { ip: '10.3.0.0', prefix: 16 } });
        const reply = dnsPacket.decode(await udpExchange('127.0.0.1', server.port, message));
        expect(reply.id).toBe(id);
        return (reply.answers ?? []).map((a) => ('data' in a ? String(a.data) : ''));
      };
      try {
        const before = (await server.fetch('/metrics')).body;
        for (let id = 1; id <= 40; id++) expect(await tokyo(id)).toEqual(['203.0.113.10']);
        const after = (await server.fetch('/metrics')).body;
        // Every query counted once, whichever answered it; at most one miss per worker (SO_REUSEPORT spreads the
        // clients' ports over them).
        expect(metric(after, requests) - (metric(before, requests) || 0)).toBe(40);
        const hits = 'geodns_udp_reply_cache_lookups_total{result="hit"}';
        expect(metric(after, hits) - (metric(before, hits) || 0)).toBeGreaterThanOrEqual(40 - 2);

        await writeFile(endpoints, original.replace('[203.0.113.10,', '[203.0.113.99,'));
        await until('the edited Tokyo address', () => tokyo(100), {
          accept: (a) => a.join() === '203.0.113.99',
          intervalMs: 100,
        });
      } finally {
        await server.stop();
        await temp.remove();
      }
    },
  );

  test('auto without a loadable addon: dgram serves, and the reason is logged once for all workers', async () => {
    const server = await startServe(['--resources', EXAMPLES], {
      workers: 2,
      spawn: withEnv({ GEODNS_UDP_ADDON: MISSING_ADDON }),
    });
    try {
      expect(server.logs.find((l) => l.msg === 'serving')?.udpIo).toBe('dgram');
      expect((await server.dig(['www.geo.example.com', 'A'])).status).toBe('NOERROR');
      const warnings = server.logs.filter((l) => String(l.msg).startsWith('native UDP path unavailable'));
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]?.reason)).toContain(MISSING_ADDON);
      expect((await server.fetch('/readyz')).body).toMatch(/^ok\nudp-io: dgram\ngeoip: /);
    } finally {
      await server.stop();
    }
  });

  test('native without a loadable addon refuses to start; an unknown path is a usage error', async () => {
    const child = spawn(
      process.execPath,
      [
        'cli/geodns.ts',
        'serve',
        '--resources',
        EXAMPLES,
        '--listen',
        '127.0.0.1:0',
        '--metrics',
        'off',
        '--udp-io',
        'native',
      ],
      { env: { ...process.env, GEODNS_UDP_ADDON: MISSING_ADDON }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(`--udp-io native: cannot load ${MISSING_ADDON}`);
    const usage = await runCli(['serve', '--resources', EXAMPLES, '--udp-io', 'fast']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--udp-io: expected auto, native, dgram, got 'fast'");
  });
});

// A million garbled datagrams at the native path on loopback: the server stays up, keeps answering, counts what
// it got, and its resident memory does not grow with the datagrams (measured, with a generous bound).
const FUZZ_DATAGRAMS = 1_000_000;

describe.skipIf(skipNative)('native path under a million garbled datagrams', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], { udpIo: 'native' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test(`${FUZZ_DATAGRAMS} datagrams: alive, answering, counted, RSS flat`, { timeout: 300_000 }, async () => {
    const random = mulberry32(0x0dd5eed);
    const byte = () => Math.floor(random() * 256);
    const valid = query('www.geo.example.com', { id: 1, ecs: { ip: '10.1.0.0', prefix: 16 } });
    // 4,096 distinct packets (noise of 0..600 bytes, and valid queries with bytes changed or cut), each sent with
    // a changing ID so that no two consecutive datagrams are the same.
    const packets = Array.from({ length: 4096 }, (_, i) => {
      if (i % 2 === 0) return Buffer.from(Array.from({ length: Math.floor(random() * 600) }, byte));
      const packet = Buffer.from(valid);
      for (let f = 1 + Math.floor(random() * 6); f > 0; f--) packet[Math.floor(random() * packet.length)] = byte();
      return random() < 0.2 ? packet.subarray(0, Math.floor(random() * packet.length)) : packet;
    });
    const pid = server.child.pid as number;
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => undefined);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        const packet = packets[i % packets.length] as Buffer;
        if (packet.length >= 2) packet.writeUInt16BE(i & 0xffff, 0);
        socket.send(packet, server.port, '127.0.0.1');
        // Let the sends drain now and then (a datagram lost in the kernel only weakens the run).
        if (i % 2000 === 1999) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await send(0, 100_000);
    const rssWarm = await rssKib(pid);
    await send(100_000, FUZZ_DATAGRAMS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.close();
    const rssAfter = await rssKib(pid);

    expect(server.child.exitCode).toBeNull();
    expect(await server.addresses('www.geo.example.com')).not.toEqual([]);
    const metrics = (await server.fetch('/metrics')).body;
    const received = metric(metrics, 'geodns_udp_batch_datagrams_total');
    const batches = metric(metrics, 'geodns_udp_batches_total');
    console.log(
      `fuzz: ${received} of ${FUZZ_DATAGRAMS} datagrams reached the server in ${batches} batches; ` +
        `RSS ${Math.round(rssWarm / 1024)} MiB after 100,000, ${Math.round(rssAfter / 1024)} MiB after all`,
    );
    expect(received).toBeGreaterThan(FUZZ_DATAGRAMS / 10);
    // Counted as client errors (not-a-query, malformed) or answered; none is lost without a trace.
    expect(metrics).toMatch(/geodns_client_errors_total\{transport="udp",reason="(not-a-query|malformed)"\} [1-9]/);
    expect(rssAfter - rssWarm).toBeLessThan(64 * 1024);
  });
});
