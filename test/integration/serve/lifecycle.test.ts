// Observability endpoints and shutdown of a live server.
import dnsPacket from 'dns-packet';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { udpExchange } from '../../support/dns-clients.ts';
import { dig } from '../../support/dig.ts';
import { EXAMPLES, runTool, startServe, type ServeProcess } from '../../support/serve.ts';

/** The value of one sample line `name{labels} value` in Prometheus text, or undefined. */
function sample(metrics: string, name: string, labels: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

const query = (id: number, name: string) => dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name }] });

describe('observability with --workers 2', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], { workers: 2 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('both workers have their own UDP and TCP socket on the port (SO_REUSEPORT)', async () => {
    expect(server.logs.find((l) => l.msg === 'serving')?.workers).toBe(2);
    const udp = await runTool('ss', ['-Huln', `sport = :${server.port}`]);
    const tcp = await runTool('ss', ['-Htln', `sport = :${server.port}`]);
    expect(udp.stdout.trim().split('\n')).toHaveLength(2);
    expect(tcp.stdout.trim().split('\n')).toHaveLength(2);
  });

  test('/metrics counts the queries of both workers, and has the zone serial and reloads', async () => {
    // Each exchange uses a fresh socket (a new source port) and the kernel hashes source ports over the two
    // sockets, so 40 queries all landing on one worker is a 2^-39 chance: the total comes out right only if
    // /metrics sums the workers.
    const count = 40;
    for (let i = 0; i < count; i++) {
      const reply = dnsPacket.decode(await udpExchange('127.0.0.1', server.port, query(i, 'mail.geo.example.com')));
      expect(reply.id).toBe(i);
    }
    await udpExchange('127.0.0.1', server.port, query(999, 'nope.geo.example.com'));
    const { status, body } = await server.fetch('/metrics');
    expect(status).toBe(200);
    expect(sample(body, 'geodns_dns_requests_total', 'zone="geo.example.com",type="A",transport="udp"')).toBe(
      count + 1,
    );
    expect(sample(body, 'geodns_dns_responses_total', 'rcode="NXDOMAIN"')).toBe(1);
    const soa = await server.dig(['geo.example.com', 'SOA']);
    const serial = Number(soa.answer[0]?.data.split(' ')[2]);
    expect(sample(body, 'geodns_zone_serial', 'zone="geo.example.com"')).toBe(serial);
    expect(sample(body, 'geodns_reloads_total', 'source="resources"')).toBe(1);
  });

  test('/healthz and /readyz answer 200', async () => {
    expect((await server.fetch('/healthz')).status).toBe(200);
    expect((await server.fetch('/readyz')).status).toBe(200);
  });
});

describe('SIGTERM', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('drains, logs stopped, exits 0, and the port stops answering', async () => {
    expect((await server.dig(['mail.geo.example.com', 'A'])).status).toBe('NOERROR');
    const port = server.port;
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['draining', 'stopped']));

    const udp = await dig({ host: '127.0.0.1', port }, ['mail.geo.example.com'], { time: 1 });
    expect(udp.raw).not.toContain('status:');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
