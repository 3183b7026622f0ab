// Response rate limiting at a live server, with real sockets: a flood from one /24 (a socket bound to another
// 127.x address) is cut to the rate plus slips while another network gets every answer; dig follows a slip to TCP
// and gets the full answer; a client with a valid server cookie is not limited; TCP never is.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dig } from '../../support/dig.ts';
import { EXAMPLES, startServe, type ServeProcess, SERVE_UDP_IOS } from '../../support/serve.ts';
import { until } from '../../support/until.ts';
import { query } from '../../../tools/dns-query.ts';

const RATE = 20;
const FLOOD = 400;
const NAME = 'mail.geo.example.com';

/** A UDP socket bound to `address`, sending queries and sorting the replies into full answers and slips. */
async function client(address: string) {
  const socket = dgram.createSocket('udp4');
  const seen = { full: 0, slipped: 0 };
  socket.on('message', (reply) => {
    const packet = dnsPacket.decode(reply);
    if (packet.flag_tc && (packet.answers ?? []).length === 0) seen.slipped++;
    else if ((packet.answers ?? []).length > 0) seen.full++;
  });
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  const send = (port: number, id: number) =>
    new Promise<void>((resolve) => socket.send(query(NAME, { id }), port, '127.0.0.1', () => resolve()));
  return { socket, seen, send };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

function counter(metrics: string, name: string, responseClass: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{class="${responseClass}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe.each(SERVE_UDP_IOS)('response rate limiting (UDP) (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], {
      udpIo,
      args: ['--rrl-rate', String(RATE), '--rrl-slip', '2', '--rrl-window', '5'],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('a flood from one /24 is cut to the rate plus slips; another network keeps getting every answer', async () => {
    const flooder = await client('127.0.2.1');
    const other = await client('127.0.4.1');
    try {
      const started = Date.now();
      for (let i = 0; i < FLOOD; i++) {
        await flooder.send(server.port, i);
        // Another network asks at a tenth of the rate meanwhile.
        if (i % 40 === 0) await other.send(server.port, i);
      }
      const seconds = (Date.now() - started) / 1000;
      // Every query is answered in full, sent truncated or dropped (counted as limited): wait for the replies.
      const metrics = await until('every reply of the flood', async () => (await server.fetch('/metrics')).body, {
        accept: (text) =>
          counter(text, 'geodns_rrl_limited_total', 'answer') + flooder.seen.full === FLOOD &&
          counter(text, 'geodns_rrl_slipped_total', 'answer') === flooder.seen.slipped &&
          other.seen.full === FLOOD / 40,
        intervalMs: 100,
      });
      const { full, slipped } = flooder.seen;
      expect(full).toBeGreaterThanOrEqual(RATE);
      expect(full).toBeLessThanOrEqual(Math.ceil(RATE * (1 + seconds)) + 1);
      const limited = FLOOD - full;
      expect(counter(metrics, 'geodns_rrl_limited_total', 'answer')).toBe(limited);
      expect(slipped).toBeGreaterThanOrEqual(Math.floor(limited / 2) - 1);
      expect(slipped).toBeLessThanOrEqual(Math.ceil(limited / 2));
      expect(other.seen).toEqual({ full: FLOOD / 40, slipped: 0 });
      const line = server.logs.find((l) => l.msg === 'rate limiting responses');
      expect(line).toMatchObject({ network: '127.0.2.0/24', class: 'answer', name: NAME, qtype: 1 });
    } finally {
      flooder.socket.close();
      other.socket.close();
    }
  });

  test('dig follows a slip to TCP and gets the full answer; TCP is never limited', async () => {
    // The flooded bucket is still in debt (5 s window): every other reply is a slip, so one retry at most.
    const target = { host: '127.0.0.1', port: server.port };
    const out = await dig(target, ['-b', '127.0.2.9', '+tries=3', NAME], { time: 1 });
    expect(out.raw).toContain('Truncated, retrying in TCP mode');
    expect(out.status).toBe('NOERROR');
    expect(out.answer).toContainEqual(expect.objectContaining({ name: `${NAME}.`, type: 'A', data: '192.0.2.25' }));
    for (let i = 0; i < 10; i++) {
      const tcp = await dig(target, ['+tcp', NAME], { tool: 'kdig' });
      expect(tcp.raw).toContain('192.0.2.25');
    }
  });

  test('a client presenting its valid server cookie is not limited', async () => {
    const ask = (args: string[]) =>
      dig({ host: '127.0.0.1', port: server.port }, ['-b', '127.0.3.1', ...args], { time: 1 });
    const first = await ask(['+cookie', NAME]);
    const cookie = first.cookie;
    expect(cookie).toMatch(/^[0-9a-f]{48}$/);
    const flooder = await client('127.0.3.2');
    try {
      for (let i = 0; i < 200; i++) await flooder.send(server.port, i);
      await settle();
      expect(flooder.seen.full).toBeLessThan(200);
    } finally {
      flooder.socket.close();
    }
    for (let i = 0; i < 5; i++) {
      const answered = await ask([`+cookie=${cookie}`, NAME]);
      expect(answered.raw).not.toContain('Truncated');
      expect(answered.raw).toContain('192.0.2.25');
      expect(answered.raw).toContain('(good)');
    }
    // A server cookie we did not give this address proves nothing: still limited (a slip to TCP, or no reply).
    const forged = `${cookie?.slice(0, 16)}${'ab'.repeat(16)}`;
    expect((await ask([`+cookie=${forged}`, NAME])).raw).toMatch(/Truncated|timed out|no servers could be reached/);
  });
});
