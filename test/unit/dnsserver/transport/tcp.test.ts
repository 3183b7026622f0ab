import { afterEach, describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { startTcpServer } from '../../../../dnsserver/transport/tcp.ts';
import type { TcpServer, TcpServerOptions } from '../../../../dnsserver/transport/tcp.ts';
import { TEST_ADDRESS, testHandler } from '../../../support/test-handler.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpClient, framed } from '../../../support/dns-clients.ts';
import { dig } from '../../../support/dig.ts';
import { until } from '../../../support/until.ts';

const servers: TcpServer[] = [];
const clients: TcpClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await Promise.all(servers.splice(0).map((s) => s.drain(500)));
});

async function start(options: Partial<TcpServerOptions> = {}, host = '127.0.0.1'): Promise<TcpServer> {
  const server = await startTcpServer({ host, port: 0, handler: testHandler(), ...options });
  servers.push(server);
  return server;
}

async function connect(server: TcpServer, host = '127.0.0.1'): Promise<TcpClient> {
  const client = await TcpClient.connect(host, server.port);
  clients.push(client);
  return client;
}

function aQuery(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name }] });
}

describe.each(['127.0.0.1', '::1'])('TCP server on %s', (host) => {
  it('answers dig +tcp and kdig +tcp', async () => {
    const server = await start({}, host);
    const target = { host, port: server.port };
    const answer = await dig(target, ['+tcp', 'www.example.com', 'A']);
    expect(answer.status).toBe('NOERROR');
    expect(answer.raw).toMatch(/\(TCP\)/);
    expect(answer.answer.map((r) => r.data)).toContain(TEST_ADDRESS);
    const short = await dig(target, ['+tcp', 'example.net', 'A', '+short'], { tool: 'kdig' });
    expect(short.raw.trim()).toBe(TEST_ADDRESS);
  });
});

describe('TCP server', () => {
  it('lets two servers share one port with reusePort', async () => {
    const first = await start({ reusePort: true });
    const second = await start({ reusePort: true, port: first.port });
    expect(second.port).toBe(first.port);
    const client = await connect(first);
    client.socket.write(framed(aQuery('shared.example', 12)));
    const [reply] = await client.waitForReplies(1);
    expect(dnsPacket.decode(reply as Buffer).id).toBe(12);
  });

  it('sends large answers over TCP that would be truncated over UDP', async () => {
    const server = await start({ handler: testHandler({ records: 200 }) });
    const answer = await dig({ host: '127.0.0.1', port: server.port }, ['+tcp', 'big.example', 'A']);
    expect(answer.raw).toMatch(/ANSWER: 200,/);
    expect(answer.answer).toHaveLength(200);
  });

  it('reads a query whose length prefix and body arrive one byte at a time', async () => {
    const server = await start();
    const client = await connect(server);
    const bytes = framed(aQuery('split.example', 4242));
    for (let i = 0; i < bytes.length; i++) {
      client.socket.write(bytes.subarray(i, i + 1));
      await sleep(1);
    }
    const [reply] = await client.waitForReplies(1);
    expect(dnsPacket.decode(reply as Buffer)).toMatchObject({ id: 4242, answers: [{ data: TEST_ADDRESS }] });
  });

  it('answers three pipelined queries sent in one write, in order', async () => {
    const server = await start();
    const client = await connect(server);
    client.socket.write(
      Buffer.concat([framed(aQuery('a.example', 1)), framed(aQuery('b.example', 2)), framed(aQuery('c.example', 3))]),
    );
    const replies = await client.waitForReplies(3);
    expect(replies.map((r) => dnsPacket.decode(r)).map((p) => [p.id, p.answers?.[0]?.name])).toEqual([
      [1, 'a.example'],
      [2, 'b.example'],
      [3, 'c.example'],
    ]);
  });

  it('closes idle connections after the idle timeout', async () => {
    const server = await start({ idleTimeoutMs: 150 });
    const client = await connect(server);
    client.socket.write(framed(aQuery('once.example', 5)));
    await client.waitForReplies(1);
    await client.closed;
    expect(client.replies).toHaveLength(1);
    // The server notices a close a moment after the client does.
    await until('the server to count no connection', () => server.connections === 0, {
      timeoutMs: 2000,
      intervalMs: 10,
    });
  });

  it('closes connections above the limit and keeps serving the others', async () => {
    const server = await start({ maxConnections: 2 });
    const first = await connect(server);
    const second = await connect(server);
    first.socket.write(framed(aQuery('one.example', 1)));
    second.socket.write(framed(aQuery('two.example', 2)));
    await Promise.all([first.waitForReplies(1), second.waitForReplies(1)]);
    const third = await connect(server);
    third.socket.write(framed(aQuery('three.example', 3)));
    await third.closed;
    expect(third.replies).toHaveLength(0);
    first.socket.write(framed(aQuery('again.example', 4)));
    await first.waitForReplies(2);
    expect(server.connections).toBe(2);
  });

  it('closes the connection on a zero length prefix', async () => {
    const errors: unknown[] = [];
    const server = await start({ onError: (e) => errors.push(e) });
    const client = await connect(server);
    client.socket.write(Buffer.from([0, 0]));
    await client.closed;
    expect(String(errors[0])).toMatch(/length prefix 0/);
  });

  it('closes a peer that drips a query slower than the idle timeout (slowloris), as a client error', async () => {
    const problems: string[] = [];
    const server = await start({ idleTimeoutMs: 300, onClientError: (reason) => problems.push(reason) });
    const client = await connect(server);
    const bytes = framed(aQuery('slow.example', 1));
    for (let i = 0; i < bytes.length && !client.socket.destroyed; i++) {
      client.socket.write(bytes.subarray(i, i + 1));
      await sleep(60);
      if (problems.length > 0) break;
    }
    await client.closed;
    expect(problems).toEqual(['slow']);
    expect(client.replies).toHaveLength(0);
  });

  it('keeps a connection that pipelines queries for longer than the idle timeout, even split mid-query', async () => {
    const problems: string[] = [];
    const server = await start({ idleTimeoutMs: 200, onClientError: (reason) => problems.push(reason) });
    const client = await connect(server);
    // One and a half queries per write: the reader always holds part of one, and every write completes another.
    const stream = Buffer.concat(Array.from({ length: 31 }, (_, i) => framed(aQuery('steady.example', i))));
    const piece = Math.floor((stream.length / 31) * 1.5);
    for (let pos = 0; pos < stream.length; pos += piece) {
      client.socket.write(stream.subarray(pos, pos + piece));
      await sleep(40);
    }
    await client.waitForReplies(31);
    expect(problems).toEqual([]);
    expect(client.socket.destroyed).toBe(false);
  });

  it('reports a broken length prefix and a reset to onClientError, not onError', async () => {
    const problems: string[] = [];
    const errors: unknown[] = [];
    const server = await start({ onClientError: (reason) => problems.push(reason), onError: (e) => errors.push(e) });
    const broken = await connect(server);
    broken.socket.write(Buffer.from([0, 3]));
    await broken.closed;
    const reset = await connect(server);
    reset.socket.write(Buffer.from([0, 40, 1]));
    await sleep(20);
    reset.socket.resetAndDestroy();
    await until('both problems reported', () => problems.length >= 2, { timeoutMs: 2000, intervalMs: 10 });
    expect(problems.sort()).toEqual(['bad-length', 'reset']);
    expect(errors).toEqual([]);
  });

  it('closes the connection on a length above maxMessageSize', async () => {
    const server = await start({ maxMessageSize: 512 });
    const client = await connect(server);
    client.socket.write(Buffer.from([0x02, 0x01]));
    await client.closed;
    expect(client.replies).toHaveLength(0);
  });

  it('keeps the connection when the handler throws and answers the next query', async () => {
    const errors: unknown[] = [];
    const answer = testHandler();
    const server = await start({
      onError: (e) => errors.push(e),
      handler: (message, client) => {
        if (message.includes(Buffer.from('boom'))) throw new Error('handler failed');
        return answer(message, client);
      },
    });
    const client = await connect(server);
    client.socket.write(Buffer.concat([framed(aQuery('boom.example', 1)), framed(aQuery('ok.example', 2))]));
    const [reply] = await client.waitForReplies(1);
    expect(dnsPacket.decode(reply as Buffer).id).toBe(2);
    expect(String(errors[0])).toMatch(/handler failed/);
  });

  it('loses no answers under write back-pressure from a client that does not read', async () => {
    const server = await start({ handler: testHandler({ records: 300 }) });
    const client = await connect(server);
    client.socket.pause();
    const count = 1500; // about 7 MB of answers, far more than the socket buffers hold
    const queries = Array.from({ length: count }, (_, i) => framed(aQuery(`q${i % 10}.example`, i)));
    client.socket.write(Buffer.concat(queries));
    await sleep(200);
    client.socket.resume();
    const replies = await client.waitForReplies(count);
    expect(replies).toHaveLength(count);
    expect(dnsPacket.decode(replies[count - 1] as Buffer).id).toBe(count - 1);
  });

  it('drain stops accepting, lets queued answers out, and closes open connections', async () => {
    const server = await start();
    const client = await connect(server);
    client.socket.write(framed(aQuery('last.example', 9)));
    await client.waitForReplies(1);
    await server.drain(1000);
    await client.closed;
    expect(server.connections).toBe(0);
    await expect(TcpClient.connect('127.0.0.1', server.port)).rejects.toThrow();
  });
});
