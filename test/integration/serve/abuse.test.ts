// Client-caused errors at a live server: 2,000 abusive TCP connections, slowloris connections and garbled
// datagrams are all counted by reason, and logged only a few lines a second, without stacks.
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXAMPLES, startServe, type ServeProcess, SERVE_UDP_IOS } from '../../support/serve.ts';
import { until } from '../../support/until.ts';

const CONNECTIONS = 2000;
const BATCH = 50;
const LOG_RATE = 3;

/** One abusive connection: a broken length prefix, a garbled query in a valid frame, or a reset. */
function abuse(port: number, kind: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      if (kind === 0) socket.write(Buffer.from([0, 5, 1, 2, 3, 4, 5]));
      else if (kind === 1) socket.write(Buffer.from([0, 0]));
      else if (kind === 2) socket.write(Buffer.from([0, 14, 0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 0x61]));
      else socket.write(Buffer.from([0, 40, 1, 2, 3]), () => socket.resetAndDestroy());
    });
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', () => socket.end());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends a query one byte every 200 ms; the server must give up on it after the idle timeout (1 s). */
function slowloris(port: number): Promise<void> {
  return new Promise((resolve) => {
    const query = Buffer.from([0, 29, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0x6d, 0x61, 0x69, 0x6c]);
    let sent = 0;
    const socket = net.connect({ host: '127.0.0.1', port });
    const drip = setInterval(() => {
      if (sent < query.length) socket.write(query.subarray(sent, ++sent));
    }, 200);
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(timer);
      resolve();
    });
  });
}

function clientErrors(metrics: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('geodns_client_errors_total{')) continue;
    const transport = /transport="(\w+)"/.exec(line)?.[1];
    const reason = /reason="([\w-]+)"/.exec(line)?.[1];
    counts.set(`${transport} ${reason}`, Number(line.split(' ').at(-1)));
  }
  return counts;
}

describe.each(SERVE_UDP_IOS)('client-caused errors under abuse (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], {
      udpIo,
      args: ['--client-error-log-rate', String(LOG_RATE), '--tcp-idle-timeout', '1'],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test(`${CONNECTIONS} abusive TCP connections, slowloris and garbled datagrams: all counted, few lines logged`, async () => {
    const started = Date.now();
    for (let i = 0; i < CONNECTIONS; i += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, (_, j) => abuse(server.port, (i + j) % 4)));
    }
    const udp = dgram.createSocket('udp4');
    udp.on('error', () => undefined);
    const datagrams = [
      Buffer.from([1, 2, 3]), // shorter than a header
      Buffer.from([0xbe, 0xef, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), // QR set: a response
      Buffer.from([0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]), // question cut short
    ];
    for (const datagram of datagrams) {
      await new Promise<void>((resolve) => udp.send(datagram, server.port, '127.0.0.1', () => resolve()));
    }
    udp.close();
    await Promise.all([slowloris(server.port), slowloris(server.port)]);

    const quarter = CONNECTIONS / 4;
    const counts = await until(
      'client errors counted',
      async () => clientErrors((await server.fetch('/metrics')).body),
      {
        accept: (c) =>
          c.get('tcp bad-length') === 2 * quarter &&
          c.get('tcp malformed') === quarter &&
          c.get('tcp slow') === 2 &&
          c.get('udp not-a-query') === 2 &&
          c.get('udp malformed') === 1,
        intervalMs: 100,
      },
    );
    // A reset is seen when the peer's RST reaches a socket the server still reads; nearly always on loopback.
    expect(counts.get('tcp reset')).toBeGreaterThan(quarter / 2);
    expect(counts.get('tcp reset')).toBeLessThanOrEqual(quarter);
    const seconds = Math.ceil((Date.now() - started) / 1000);

    const lines = server.logs.filter((l) => l.msg === 'client error');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(LOG_RATE * (seconds + 1));
    for (const line of lines) {
      // A connection reset before the server accepted it has no peer address left.
      expect(line.peer).toMatch(line.reason === 'reset' ? /^(127\.0\.0\.1:\d+|unknown)$/ : /^127\.0\.0\.1:\d+$/);
      expect(line.err).toBeUndefined();
      expect(JSON.stringify(line)).not.toContain('    at ');
    }
    // What was not logged is said by the next line that was.
    expect(lines.some((l) => Number(l.notLogged) > 0)).toBe(true);
    expect(server.logs.filter((l) => l.msg === 'transport error' || l.level === 'warn')).toEqual([]);
    expect((await server.dig(['mail.geo.example.com', 'A'])).answer.map((r) => r.data)).toEqual(['192.0.2.25']);
  });
});
