// The native UDP path's own cases, beyond what udp.test.ts runs against both paths: whole batches, datagrams of
// every size, replies the kernel refuses (EAGAIN, ENOBUFS through an LD_PRELOAD shim; EMSGSIZE for real), a
// handler that closes the server mid-batch, and the client as the handler sees it, compared with dgram's.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNativeUdpServer } from '../../../../dnsserver/transport/udp-native.ts';
import { startUdpServer, type UdpServer, type UdpServerOptions } from '../../../../dnsserver/transport/udp.ts';
import type { ClientInfo, QueryHandler } from '../../../../dnsserver/wire/types.ts';
import { TEST_ADDRESS, testHandler } from '../../../support/test-handler.ts';
import { udpExchange } from '../../../support/dns-clients.ts';
import { until } from '../../../support/until.ts';
import { skipNative } from '../../../support/udp-paths.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const run = promisify(execFile);
const FIXTURES = path.join(import.meta.dirname, '../../../fixtures/transport');

const open: UdpServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(options: Partial<UdpServerOptions> & { handler: QueryHandler }): Promise<UdpServer> {
  const server = await startNativeUdpServer({ host: '127.0.0.1', port: 0, ...options });
  open.push(server);
  return server;
}

function aQuery(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name }] });
}

/** A bound client socket that collects the IDs of the replies it gets. */
async function client(family: 4 | 6 = 4): Promise<{ socket: dgram.Socket; ids: number[] }> {
  const socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  const ids: number[] = [];
  socket.on('message', (message) => ids.push(dnsPacket.decode(message).id ?? -1));
  await new Promise<void>((resolve) => socket.bind(0, family === 4 ? '127.0.0.1' : '::1', resolve));
  return { socket, ids };
}

describe.skipIf(skipNative)('native UDP path', () => {
  it('reads a burst in full batches and answers every datagram', async () => {
    const server = await start({ handler: testHandler() });
    const { socket, ids } = await client();
    // Sent in one turn of this thread, which also runs the server: all of them wait in the socket meanwhile.
    for (let id = 1; id <= 200; id++) socket.send(aQuery(`n${id}.example`, id), server.port, '127.0.0.1');
    await until('every reply', () => ids.length >= 200, { timeoutMs: 5000 });
    socket.close();
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const counts = server.takeCounts();
    expect(counts.datagrams).toBe(200);
    expect(counts.batches).toBeLessThanOrEqual(Math.ceil(200 / 32) + 1);
    expect(counts.sendErrors).toEqual({ EAGAIN: 0, ENOBUFS: 0, other: 0 });
    expect(server.takeCounts().datagrams).toBe(0); // counts are taken, not kept
  });

  it('hands the handler datagrams of every size, the empty one and the largest included', async () => {
    const seen: number[] = [];
    const answer = testHandler();
    const server = await start({
      handler: (message, info) => {
        seen.push(message.length);
        return answer(message, info);
      },
    });
    const { socket } = await client();
    const sizes = [0, 1, 11, 12, 511, 4096, 65_507];
    for (const size of sizes) socket.send(Buffer.alloc(size, 0xab), server.port, '127.0.0.1');
    await until('every datagram', () => seen.length >= sizes.length, { timeoutMs: 5000 });
    socket.close();
    expect(seen).toEqual(sizes);
    expect(server.takeCounts().truncatedReceives).toBe(0);
    const reply = await udpExchange('127.0.0.1', server.port, aQuery('after.sizes', 5));
    expect(dnsPacket.decode(reply)).toMatchObject({ id: 5, answers: [{ data: TEST_ADDRESS }] });
  });

  it('a throwing handler costs only its own reply: the rest of the batch is answered', async () => {
    const errors: unknown[] = [];
    const answer = testHandler();
    const server = await start({
      handler: (message, info) => {
        if (message.readUInt16BE(0) % 3 === 0) throw new Error('every third fails');
        return answer(message, info);
      },
      onError: (error) => errors.push(error),
    });
    const { socket, ids } = await client();
    for (let id = 1; id <= 30; id++) socket.send(aQuery('x.example', id), server.port, '127.0.0.1');
    await until('twenty replies', () => ids.length >= 20, { timeoutMs: 5000 });
    await sleep(50);
    socket.close();
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1).filter((i) => i % 3));
    expect(errors).toHaveLength(10);
  });

  it('a reply too large for UDP is counted as a send error, and the others in its batch still go', async () => {
    const answer = testHandler();
    const server = await start({
      handler: (message, info) =>
        message.readUInt16BE(0) === 2 ? Buffer.alloc(70_000) : (answer(message, info) as Buffer),
    });
    const { socket, ids } = await client();
    for (let id = 1; id <= 3; id++) socket.send(aQuery('x.example', id), server.port, '127.0.0.1');
    await until('two replies', () => ids.length >= 2, { timeoutMs: 5000 });
    await sleep(50);
    socket.close();
    expect([...ids].sort()).toEqual([1, 3]);
    expect(server.takeCounts().sendErrors).toEqual({ EAGAIN: 0, ENOBUFS: 0, other: 1 });
  });

  it('a handler that closes the server in the middle of a batch ends it cleanly', async () => {
    let server: UdpServer | undefined;
    let calls = 0;
    const answer = testHandler();
    server = await start({
      handler: (message, info) => {
        if (++calls === 2) void server?.close();
        return answer(message, info);
      },
    });
    const { socket } = await client();
    for (let id = 1; id <= 10; id++) socket.send(aQuery('x.example', id), server.port, '127.0.0.1');
    await until('the second call', () => calls >= 2, { timeoutMs: 5000 });
    await sleep(100);
    socket.close();
    expect(calls).toBeLessThanOrEqual(10);
    await server.close(); // twice is fine
    server = undefined;
  });

  describe('the client the handler sees is the one dgram reports', () => {
    const cases: [string, string, 4 | 6][] = [
      ['127.0.0.1', '127.0.0.1', 4],
      ['::1', '::1', 6],
      ['::', '127.0.0.1', 4], // IPv4 on a dual-stack socket: ::ffff:127.0.0.1
    ];
    it.each(cases)('listening on %s, asked from %s', async (host, from, family) => {
      const seenBy = async (startServer: (o: UdpServerOptions) => Promise<UdpServer>): Promise<ClientInfo> => {
        let info: ClientInfo | undefined;
        const server = await startServer({
          host,
          port: 0,
          handler: (_message, client) => {
            info = client;
            return null;
          },
        });
        open.push(server);
        const { socket } = await client(family);
        socket.send(aQuery('who.example', 1), server.port, from);
        await until('the query', () => info !== undefined, { timeoutMs: 5000 });
        const port = socket.address().port;
        socket.close();
        expect(info?.port).toBe(port);
        return info as ClientInfo;
      };
      const native = await seenBy(startNativeUdpServer);
      const node = await seenBy(startUdpServer);
      expect({ ...native, port: 0 }).toEqual({ ...node, port: 0 });
    });
  });
});

describe.skipIf(skipNative)('native UDP path: replies the kernel refuses', () => {
  let dir: string;
  let removeDir: (() => Promise<void>) | undefined;
  let shim: string;
  beforeAll(async () => {
    ({ dir, remove: removeDir } = await tempDir('fault'));
    shim = path.join(dir, 'sendmmsg-fault.so');
    await run(process.env.CC ?? 'cc', [
      '-shared',
      '-fPIC',
      '-o',
      shim,
      path.join(FIXTURES, 'sendmmsg-fault.c'),
      '-ldl',
    ]);
  });
  afterAll(async () => {
    await removeDir?.();
  });

  it.each([
    ['EAGAIN', 11],
    ['ENOBUFS', 105],
  ] as const)(
    '%s on sendmmsg: those replies are dropped and counted, the rest of the batch is sent',
    async (name, errno) => {
      const { stdout } = await run(process.execPath, [path.join(FIXTURES, 'native-fault-child.ts')], {
        env: { ...process.env, LD_PRELOAD: shim, FAULT_COUNT: '3', FAULT_ERRNO: String(errno), BURST: '10' },
        timeout: 20_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
        counts: { sendErrors: Record<string, number>; datagrams: number };
        replies: number[];
      };
      expect(result.counts.datagrams).toBe(11);
      expect(result.counts.sendErrors).toEqual({ EAGAIN: 0, ENOBUFS: 0, other: 0, [name]: 3 });
      // Ten queries, three replies refused, seven sent; the query after the faults is answered.
      expect(result.replies).toHaveLength(8);
      expect(result.replies).toContain(1000);
    },
  );
});
