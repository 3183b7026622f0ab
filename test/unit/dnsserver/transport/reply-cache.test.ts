// The native UDP path's reply cache (native/reply_cache.c, udp-native.ts), through real sockets: what the handler
// says may be reused is sent again by the addon without the handler, to the sources it holds for, with each query's
// own ID; every query is counted once, by the handler or as a repeat; forgetReplies() and the bounds of what is kept.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { startNativeUdpServer } from '../../../../dnsserver/transport/udp-native.ts';
import type { UdpServer } from '../../../../dnsserver/transport/udp.ts';
import type { ClientInfo, QueryHandler } from '../../../../dnsserver/wire/types.ts';
import { testHandler } from '../../../support/test-handler.ts';
import { skipNative } from '../../../support/udp-paths.ts';
import { query } from '../../../../tools/dns-query.ts';

const open: UdpServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** What the fake handler was asked, and the repeats the server counted without it. */
interface Tally {
  handled: { name: string; client: ClientInfo }[];
  repeats: Map<string, number>;
}

/**
 * A server whose handler answers A 192.0.2.1 (testHandler) and says the reply holds for `sourcePrefix(name)` bits of
 * the source (-1: not reusable), counting as its "event" the question name.
 */
async function cachedServer(
  sourcePrefix: (name: string) => number,
  options: { entries?: number; host?: string } = {},
): Promise<{ server: UdpServer; tally: Tally }> {
  const tally: Tally = { handled: [], repeats: new Map() };
  // Names starting with 'big' get 40 records: with EDNS, a reply too large to keep.
  const small = testHandler();
  const big = testHandler({ records: 40 });
  const handler: QueryHandler<string> = (message, client, reuse) => {
    const name = dnsPacket.decode(message).questions?.[0]?.name ?? '';
    tally.handled.push({ name, client });
    if (reuse) {
      reuse.sourcePrefix = sourcePrefix(name);
      reuse.holdsForMs = name.startsWith('brief') ? 150 : Infinity;
      reuse.counted = name;
    }
    return (name.startsWith('big') ? big : small)(message, client);
  };
  const server = await startNativeUdpServer<string>({
    host: options.host ?? '127.0.0.1',
    port: 0,
    handler,
    replyCache: {
      entries: options.entries ?? 64,
      onReused: (name, times) => tally.repeats.set(name, (tally.repeats.get(name) ?? 0) + times),
    },
  });
  open.push(server);
  return { server, tally };
}

function aQuery(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
}

/** Sends `message` from `source` (a loopback address) to the server and returns the reply. */
async function askFrom(source: string, port: number, message: Buffer, target = '127.0.0.1'): Promise<Buffer> {
  const socket = dgram.createSocket(source.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, source, resolve);
    });
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from ${target}:${port} to ${source}`)), 2000);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      socket.send(message, port, target);
    });
  } finally {
    socket.close();
  }
}

const ask = (port: number, message: Buffer) => askFrom('127.0.0.1', port, message);

describe.skipIf(skipNative)('the native path reply cache', () => {
  it('sends a reusable reply again without the handler, with each query its own ID, counting every query', async () => {
    const { server, tally } = await cachedServer(() => 0);
    const first = await ask(server.port, aQuery('kept.example', 100));
    const again: Buffer[] = [];
    for (let id = 101; id <= 105; id++) again.push(await ask(server.port, aQuery('kept.example', id)));
    expect(tally.handled.map((h) => h.name)).toEqual(['kept.example']);
    again.forEach((reply, i) => {
      expect(reply.readUInt16BE(0)).toBe(101 + i);
      expect(reply.subarray(2)).toEqual(first.subarray(2));
    });
    expect(dnsPacket.decode(again[0] as Buffer)).toMatchObject({
      answers: [{ name: 'kept.example', data: '192.0.2.1' }],
    });
    const counts = server.takeCounts();
    expect(counts.replyCache).toEqual({ hits: 5, misses: 1, kept: 1 });
    expect(tally.repeats.get('kept.example')).toBe(5);
    expect(server.takeCounts().replyCache).toEqual({ hits: 0, misses: 0, kept: 0 });
    expect(tally.repeats.get('kept.example')).toBe(5); // counted once
  });

  it('runs the handler for every query whose reply it says may not be reused', async () => {
    const { server, tally } = await cachedServer(() => -1);
    for (let id = 1; id <= 3; id++) await ask(server.port, aQuery('fresh.example', id));
    expect(tally.handled).toHaveLength(3);
    expect(server.takeCounts().replyCache).toEqual({ hits: 0, misses: 3, kept: 0 });
    expect(tally.repeats.size).toBe(0);
  });

  it('keeps a reply by the exact query bytes: another letter case or another flag is another query', async () => {
    const { server, tally } = await cachedServer(() => 0);
    await ask(server.port, aQuery('case.example', 1));
    const upper = await ask(server.port, aQuery('CASE.example', 2));
    expect(dnsPacket.decode(upper).questions?.[0]?.name).toBe('CASE.example');
    const noRecursion = dnsPacket.encode({ type: 'query', id: 3, questions: [{ type: 'A', name: 'case.example' }] });
    const reply = await ask(server.port, noRecursion);
    expect((dnsPacket.decode(reply).flags ?? 0) & dnsPacket.RECURSION_DESIRED).toBe(0);
    expect(tally.handled.map((h) => h.name)).toEqual(['case.example', 'CASE.example', 'case.example']);
  });

  it('sends a reply that holds for a network of the source only to sources in that network', async () => {
    const { server, tally } = await cachedServer((name) => (name.startsWith('net24') ? 24 : 25));
    const query = aQuery('net24.example', 7);
    await askFrom('127.0.0.1', server.port, query);
    await askFrom('127.0.0.2', server.port, query); // the same /24: from the cache
    await askFrom('127.0.1.1', server.port, query); // another /24: the handler
    await askFrom('127.0.1.9', server.port, query); // the same /24 as the last: from the cache
    expect(tally.handled.map((h) => h.client.address)).toEqual(['127.0.0.1', '127.0.1.1']);
    // More bits than the cache files replies under (/24 for IPv4): never kept.
    const fine = aQuery('net25.example', 8);
    await askFrom('127.0.0.1', server.port, fine);
    await askFrom('127.0.0.1', server.port, fine);
    expect(tally.handled.filter((h) => h.name === 'net25.example')).toHaveLength(2);
    server.takeCounts();
    expect(tally.repeats.get('net24.example')).toBe(2);
  });

  it('forgets every reply on forgetReplies(), and still counts the repeats it sent before', async () => {
    const { server, tally } = await cachedServer(() => 0);
    const query = aQuery('changing.example', 9);
    await ask(server.port, query);
    await ask(server.port, query);
    server.forgetReplies();
    await ask(server.port, query);
    await ask(server.port, query);
    expect(tally.handled).toHaveLength(2);
    server.takeCounts();
    expect(tally.repeats.get('changing.example')).toBe(2);
  });

  it('keeps a reply that holds for a while no longer than that', async () => {
    const { server, tally } = await cachedServer(() => 0);
    const query = aQuery('brief.example', 1);
    await ask(server.port, query);
    await ask(server.port, query); // within 150 ms: from the cache
    expect(tally.handled).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ask(server.port, query); // past it: the handler, and kept again
    await ask(server.port, query);
    expect(tally.handled).toHaveLength(2);
    expect(server.takeCounts().replyCache).toEqual({ hits: 2, misses: 2, kept: 2 });
  });

  it('answers and counts every query right when many more queries than entries share the cache', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `n${i}.crowd.example`);
    const { server, tally } = await cachedServer(() => 0, { entries: 8 });
    let id = 0;
    for (let round = 0; round < 3; round++) {
      for (const name of names) {
        const reply = dnsPacket.decode(await ask(server.port, aQuery(name, ++id)));
        expect(reply).toMatchObject({ id, questions: [{ name }], answers: [{ name, data: '192.0.2.1' }] });
      }
      for (const name of names.slice(0, 4)) {
        const reply = dnsPacket.decode(await ask(server.port, aQuery(name, ++id)));
        expect(reply).toMatchObject({ id, answers: [{ name }] });
      }
    }
    server.takeCounts();
    for (const name of names) {
      const asked = names.indexOf(name) < 4 ? 6 : 3;
      const handled = tally.handled.filter((h) => h.name === name).length;
      expect(handled + (tally.repeats.get(name) ?? 0)).toBe(asked);
    }
    expect(tally.repeats.size).toBeGreaterThan(0);
  });

  it('does not keep a reply too large for an entry, and answers it through the handler each time', async () => {
    const { server, tally } = await cachedServer(() => 0);
    const big = (id: number) => query('big.example', { id, edns: true });
    const first = await ask(server.port, big(1));
    expect(first.length).toBeGreaterThan(488);
    expect(dnsPacket.decode(first).answers).toHaveLength(40);
    expect((await ask(server.port, big(2))).subarray(2)).toEqual(first.subarray(2));
    expect(tally.handled).toHaveLength(2);
    expect(server.takeCounts().replyCache.kept).toBe(0);
  });

  it('counts the repeats of a kept reply as its own when a reply too large to keep comes between', async () => {
    // 4 entries: one set, so the large reply is offered a slot that holds one of the small ones.
    const { server, tally } = await cachedServer(() => 0, { entries: 4 });
    const small = ['s1.example', 's2.example', 's3.example', 's4.example'];
    const asked = new Map<string, number>();
    let id = 0;
    const send = async (name: string) => {
      asked.set(name, (asked.get(name) ?? 0) + 1);
      const message = name.startsWith('big') ? query(name, { id: ++id, edns: true }) : aQuery(name, ++id);
      expect(dnsPacket.decode(await ask(server.port, message)).id).toBe(id);
    };
    for (let round = 0; round < 3; round++) {
      for (const name of small) await send(name);
      await send('big.example');
    }
    server.takeCounts();
    for (const name of [...small, 'big.example']) {
      const handled = tally.handled.filter((h) => h.name === name).length;
      expect(handled + (tally.repeats.get(name) ?? 0), name).toBe(asked.get(name));
    }
    expect(tally.handled.filter((h) => h.name === 'big.example')).toHaveLength(3);
    expect(tally.repeats.get('big.example')).toBeUndefined();
  });

  it('keeps nothing for an IPv4 client of an IPv6 socket unless the reply holds for every source', async () => {
    const { server, tally } = await cachedServer((name) => (name.startsWith('any') ? 0 : 16), { host: '::' });
    for (const name of ['any.mapped.example', 'net.mapped.example']) {
      for (let id = 1; id <= 2; id++) await askFrom('127.0.0.1', server.port, aQuery(name, id));
    }
    expect(tally.handled.map((h) => [h.name, h.client.address])).toEqual([
      ['any.mapped.example', '::ffff:127.0.0.1'],
      ['net.mapped.example', '::ffff:127.0.0.1'],
      ['net.mapped.example', '::ffff:127.0.0.1'],
    ]);
    // An IPv6 client within the /56 the cache files under: kept for its network.
    for (let id = 1; id <= 2; id++) await askFrom('::1', server.port, aQuery('net.v6.example', id), '::1');
    expect(tally.handled.filter((h) => h.name === 'net.v6.example')).toHaveLength(1);
  });

  it('is off without replyCache: no lookups, the handler gets no hint', async () => {
    const hints: boolean[] = [];
    const server = await startNativeUdpServer({
      host: '127.0.0.1',
      port: 0,
      handler: (message, client, reuse) => {
        hints.push(reuse !== undefined);
        return testHandler()(message, client);
      },
    });
    open.push(server);
    await ask(server.port, aQuery('plain.example', 1));
    await ask(server.port, aQuery('plain.example', 2));
    expect(hints).toEqual([false, false]);
    expect(server.takeCounts().replyCache).toEqual({ hits: 0, misses: 0, kept: 0 });
  });
});
