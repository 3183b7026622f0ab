import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { UdpIo, UdpServer, UdpServerOptions } from '../../../../dnsserver/transport/udp.ts';
import type { QueryHandler } from '../../../../dnsserver/wire/types.ts';
import { TEST_ADDRESS, testHandler } from '../../../support/test-handler.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { udpExchange } from '../../../support/dns-clients.ts';
import { dig } from '../../../support/dig.ts';
import { mulberry32 } from '../../../../tools/random.ts';
import { query } from '../../../../tools/dns-query.ts';
import { skipUdpIo, UDP_IOS, udpServerStarter } from '../../../support/udp-paths.ts';

const open: UdpServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

let startUdpServer: (options: UdpServerOptions) => Promise<UdpServer>;

async function start(host: string, handler: QueryHandler, onError?: (e: unknown) => void): Promise<UdpServer> {
  const server = await startUdpServer({ host, port: 0, handler, ...(onError ? { onError } : {}) });
  open.push(server);
  return server;
}

function aQuery(name: string, id = 1): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name }] });
}

// Every test runs against both UDP paths: Node's dgram and the batched native addon.
describe.each(UDP_IOS)('%s', (io: UdpIo) => {
  if (skipUdpIo(io)) {
    it.skip('native UDP addon not built here', () => undefined);
    return;
  }
  beforeAll(() => {
    startUdpServer = udpServerStarter(io);
  });

  describe.each(['127.0.0.1', '::1'])('UDP server on %s', (host) => {
    it('answers dig and kdig', async () => {
      const server = await start(host, testHandler());
      expect(server.port).toBeGreaterThan(0);
      expect(server.address).toBe(host);
      const target = { host, port: server.port };
      const answer = await dig(target, ['Www.Example.Com', 'A']);
      expect(answer.status).toBe('NOERROR');
      expect(answer.flags).toEqual(['qr', 'aa', 'rd']);
      expect(answer.answer).toEqual([{ name: 'Www.Example.Com.', ttl: 30, type: 'A', data: TEST_ADDRESS }]);
      expect(answer.raw).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
      const short = await dig(target, ['example.org', 'A', '+short'], { tool: 'kdig' });
      expect(short.raw.trim()).toBe(TEST_ADDRESS);
      const subnet = await dig(target, ['example.org', '+subnet=203.0.113.0/24']);
      expect(subnet.ecs).toEqual({ address: '203.0.113.0', source: 24, scope: 0 });
    });
  });

  describe('UDP server options', () => {
    it('lets two sockets share one port with reusePort', async () => {
      const first = await startUdpServer({ host: '127.0.0.1', port: 0, handler: testHandler(), reusePort: true });
      open.push(first);
      const second = await startUdpServer({
        host: '127.0.0.1',
        port: first.port,
        handler: testHandler(),
        reusePort: true,
      });
      open.push(second);
      expect(second.port).toBe(first.port);
      const reply = await udpExchange('127.0.0.1', first.port, aQuery('shared.example', 11));
      expect(dnsPacket.decode(reply).id).toBe(11);
    });

    it('fails with a clear message when the port is taken without reusePort', async () => {
      const first = await start('127.0.0.1', testHandler());
      await expect(startUdpServer({ host: '127.0.0.1', port: first.port, handler: testHandler() })).rejects.toThrow(
        new RegExp(`cannot bind 127\\.0\\.0\\.1 port ${first.port}`),
      );
    });
  });

  describe('UDP server robustness', () => {
    it('survives a throwing handler and reports the error', async () => {
      const errors: unknown[] = [];
      const answer = testHandler();
      const server = await start(
        '127.0.0.1',
        (message, client) => {
          if (message.includes(Buffer.from('boom'))) throw new Error('handler failed');
          return answer(message, client);
        },
        (e) => errors.push(e),
      );
      const socket = dgram.createSocket('udp4');
      socket.send(aQuery('boom.example'), server.port, '127.0.0.1');
      const reply = await udpExchange('127.0.0.1', server.port, aQuery('fine.example', 7));
      socket.close();
      expect(dnsPacket.decode(reply)).toMatchObject({ id: 7, answers: [{ data: TEST_ADDRESS }] });
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(/handler failed/);
    });

    it('sends nothing when the handler returns null (e.g. a response packet)', async () => {
      const server = await start('127.0.0.1', testHandler());
      const response = dnsPacket.encode({ type: 'response', id: 3, questions: [{ type: 'A', name: 'x.example' }] });
      await expect(udpExchange('127.0.0.1', server.port, response, 300)).rejects.toThrow(/no UDP reply/);
    });

    it('fuzz: 5000 random and mutated packets never crash the server or the handler', async () => {
      const errors: unknown[] = [];
      const server = await start('127.0.0.1', testHandler(), (e) => errors.push(e));
      const random = mulberry32(0x5eed);
      const byte = (): number => Math.floor(random() * 256);
      const seeds = [
        aQuery('www.example.com'),
        query('a.b.c.example', {
          id: 9,
          type: 'AAAA',
          flags: 0,
          udpSize: 4096,
          ecs: { ip: '198.51.100.0', prefix: 24 },
        }),
      ];
      const client = dgram.createSocket('udp4');
      client.on('message', () => undefined);
      for (let i = 0; i < 5000; i++) {
        let packet: Buffer;
        if (i % 2 === 0) {
          packet = Buffer.from(Array.from({ length: Math.floor(random() * 120) }, byte));
        } else {
          packet = Buffer.from(seeds[i % seeds.length] as Buffer);
          const flips = 1 + Math.floor(random() * 4);
          for (let f = 0; f < flips; f++) packet[Math.floor(random() * packet.length)] = byte();
          if (random() < 0.2) packet = packet.subarray(0, Math.floor(random() * packet.length));
          packet[2] = (packet[2] ?? 0) & 0x7f; // keep QR=0 mostly so the parser goes deep
        }
        client.send(packet, server.port, '127.0.0.1');
        if (i % 200 === 199) await sleep(5); // let the server keep up; loss would only weaken the test
      }
      await sleep(100);
      client.close();
      const reply = await udpExchange('127.0.0.1', server.port, aQuery('after.fuzz', 77));
      expect(dnsPacket.decode(reply)).toMatchObject({ id: 77, answers: [{ name: 'after.fuzz', data: TEST_ADDRESS }] });
      expect(errors).toEqual([]);
    });
  });
});
