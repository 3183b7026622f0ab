// Garbage at a live server: random and mutated datagrams must not crash it or stop it answering.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, startServe, type ServeProcess, SERVE_UDP_IOS } from '../../support/serve.ts';
import { mulberry32 } from '../../../tools/random.ts';
import { query } from '../../../tools/dns-query.ts';

const SEED = 20261123;
const PACKETS = 3000;

/** Half pure noise, half valid queries with a few bytes changed, lengths cut or junk appended. */
function garbage(random: () => number): Buffer[] {
  const byte = () => Math.floor(random() * 256);
  const valid = query('www.geo.example.com', { id: 1, ecs: { ip: '10.1.0.0', prefix: 16 } });
  const packets: Buffer[] = [];
  for (let i = 0; i < PACKETS; i++) {
    if (i % 2 === 0) {
      packets.push(Buffer.from(Array.from({ length: Math.floor(random() * 600) }, byte)));
      continue;
    }
    let packet = Buffer.from(valid);
    const flips = 1 + Math.floor(random() * 6);
    for (let f = 0; f < flips; f++) packet[Math.floor(random() * packet.length)] = byte();
    const cut = random();
    if (cut < 0.2) packet = packet.subarray(0, Math.floor(random() * packet.length));
    else if (cut < 0.3)
      packet = Buffer.concat([packet, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, byte))]);
    packets.push(packet);
  }
  return packets;
}

describe.each(SERVE_UDP_IOS)('robustness against garbled UDP (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], { udpIo });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test(`${PACKETS} random and mutated datagrams, then valid queries are still answered`, async () => {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => undefined);
    socket.on('message', () => undefined);
    try {
      const packets = garbage(mulberry32(SEED));
      for (let i = 0; i < packets.length; i += 50) {
        await Promise.all(
          packets
            .slice(i, i + 50)
            .map(
              (packet) =>
                new Promise<void>((resolve) => socket.send(packet, server.port, '127.0.0.1', () => resolve())),
            ),
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      socket.close();
    }

    // Garbage with a readable header is answered (FORMERR, NOTIMP, ...) and counted.
    const metrics = (await server.fetch('/metrics')).body;
    const handled = metrics
      .split('\n')
      .filter((l) => l.startsWith('geodns_dns_requests_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    // Loopback may drop some datagrams under load; a lenient floor shows the garbage did reach the parser.
    expect(handled).toBeGreaterThan(300);
    expect(metrics).toMatch(/geodns_dns_responses_total\{zone="other",rcode="FORMERR"\} \d+/);
    const udp = await server.dig(['www.geo.example.com', 'A', '+subnet=10.1.0.0/16']);
    expect(udp.answer.map((r) => r.data).sort()).toEqual(['192.0.2.10', '192.0.2.11']);
    const tcp = await server.dig(['+tcp', 'mail.geo.example.com', 'A']);
    expect(tcp.answer.map((r) => r.data)).toEqual(['192.0.2.25']);
    expect(server.child.exitCode).toBeNull();
    expect((await server.fetch('/healthz')).status).toBe(200);
    expect(server.logs.filter((l) => l.level === 'fatal' || l.msg === 'a DNS worker died; exiting')).toEqual([]);
  });
});
