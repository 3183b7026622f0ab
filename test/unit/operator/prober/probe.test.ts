import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeOnce, probeUrl } from '../../../../operator/prober/probe.ts';
import { parseDuration } from '../../../../api/duration.ts';
import {
  SilentTcpServer,
  selfSignedCert,
  spec,
  startHttp,
  type TestHttpServer,
} from '../../../support/probe-targets.ts';
import { until } from '../../../support/until.ts';

describe('parseDuration', () => {
  it('parses single and compound durations to milliseconds', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1m500ms')).toBe(60_500);
  });
  it('refuses what is not a duration, naming it', () => {
    for (const bad of ['', '10', 's', '1.5s', '10 s', '10d', '-1s']) {
      expect(() => parseDuration(bad)).toThrow(`invalid duration "${bad}"`);
    }
  });
});

describe('probeOnce over HTTP', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttp();
  });
  afterAll(() => server.close());

  it('succeeds on an accepted status and reports a latency', async () => {
    server.status = 200;
    const result = await probeOnce(spec({ port: server.port, timeout: '2s' }), '127.0.0.1');
    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on a status outside the expected ranges, saying which', async () => {
    server.status = 503;
    const result = await probeOnce(spec({ port: server.port, timeout: '2s' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, error: 'HTTP 503 not in 200-399' });
    server.status = 200;
    const narrow = await probeOnce(
      spec({
        port: server.port,
        timeout: '2s',
        expectedStatus: [
          { min: 204, max: 204 },
          { min: 300, max: 302 },
        ],
      }),
      '127.0.0.1',
    );
    expect(narrow).toMatchObject({ ok: false, error: 'HTTP 200 not in 204, 300-302' });
  });

  it('sends the path and the Host header from the spec', async () => {
    server.received.length = 0;
    await probeOnce(
      spec({ port: server.port, timeout: '2s', path: '/healthz?x=1', host: 'app.example.com' }),
      '127.0.0.1',
    );
    expect(server.received).toEqual([{ host: 'app.example.com', path: '/healthz?x=1', servername: undefined }]);
  });

  it('defaults the Host header to address:port', async () => {
    server.received.length = 0;
    await probeOnce(spec({ port: server.port, timeout: '2s' }), '127.0.0.1');
    expect(server.received[0]?.host).toBe(`127.0.0.1:${server.port}`);
  });

  it('matches a substring of the body', async () => {
    server.body = 'status: ok, all good';
    const good = await probeOnce(spec({ port: server.port, timeout: '2s', bodyMatch: 'all good' }), '127.0.0.1');
    expect(good.ok).toBe(true);
    server.body = 'status: degraded';
    const bad = await probeOnce(spec({ port: server.port, timeout: '2s', bodyMatch: 'ok' }), '127.0.0.1');
    expect(bad).toMatchObject({ ok: false, error: 'body does not contain "ok"' });
    server.body = 'ok';
  });

  it('searches only the first 64 KiB of the body', async () => {
    server.body = 'x'.repeat(70 * 1024) + 'needle';
    const result = await probeOnce(spec({ port: server.port, timeout: '2s', bodyMatch: 'needle' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, error: 'body does not contain "needle"' });
    server.body = 'ok';
  });

  it('builds bracketed URLs for IPv6', () => {
    expect(probeUrl(spec({ port: 8080, path: '/h' }), '::1')).toBe('http://[::1]:8080/h');
    expect(probeUrl(spec({ type: 'HTTPS', port: 443 }), '10.0.0.1')).toBe('https://10.0.0.1:443/');
  });
});

describe('probeOnce and sockets', () => {
  it('decides on the headers or the matched text and closes the connection, even if the body never ends', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('status: ok\n'); // and never end
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const connections = (): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    try {
      for (let i = 0; i < 5; i += 1) {
        expect((await probeOnce(spec({ port, timeout: '2s' }), '127.0.0.1')).ok).toBe(true);
        expect((await probeOnce(spec({ port, timeout: '2s', bodyMatch: 'ok' }), '127.0.0.1')).ok).toBe(true);
      }
      const open = await until('every connection closed', connections, {
        accept: (count) => count === 0,
        timeoutMs: 2000,
        intervalMs: 10,
      });
      expect(open).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('probeOnce failures', () => {
  it('reports a refused connection with address and port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await probeOnce(spec({ port, timeout: '2s' }), '127.0.0.1');
    expect(result).toMatchObject({ ok: false, error: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('times out against a server that accepts but never answers', async () => {
    const silent = new SilentTcpServer();
    await silent.open();
    try {
      const result = await probeOnce(spec({ port: silent.port, timeout: '100ms' }), '127.0.0.1');
      expect(result).toMatchObject({ ok: false, error: 'timeout after 100ms' });
    } finally {
      await silent.close();
    }
  });

  it('refuses an address that is not an IP and a bad timeout without throwing', async () => {
    expect(await probeOnce(spec({ port: 80 }), 'example.com')).toMatchObject({
      ok: false,
      error: 'not an IP address: "example.com"',
    });
    const bad = await probeOnce(spec({ port: 80, timeout: 'soon' }), '127.0.0.1');
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('invalid duration "soon"');
  });

  it('stops when aborted', async () => {
    const silent = new SilentTcpServer();
    await silent.open();
    try {
      const controller = new AbortController();
      const pending = probeOnce(spec({ port: silent.port, timeout: '5s' }), '127.0.0.1', controller.signal);
      controller.abort();
      expect(await pending).toMatchObject({ ok: false, error: 'aborted' });
    } finally {
      await silent.close();
    }
  });
});

describe('probeOnce over HTTPS', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttp('127.0.0.1', await selfSignedCert());
  });
  afterAll(() => server.close());

  it('accepts a self-signed certificate with insecureSkipVerify and sends SNI = host', async () => {
    server.received.length = 0;
    const result = await probeOnce(
      spec({ type: 'HTTPS', port: server.port, timeout: '2s', insecureSkipVerify: true, host: 'probe.test' }),
      '127.0.0.1',
    );
    expect(result).toMatchObject({ ok: true });
    expect(server.received).toEqual([{ host: 'probe.test', path: '/', servername: 'probe.test' }]);
  });

  it('refuses a self-signed certificate when verifying, with a certificate error', async () => {
    const result = await probeOnce(
      spec({ type: 'HTTPS', port: server.port, timeout: '2s', insecureSkipVerify: false, host: 'probe.test' }),
      '127.0.0.1',
    );
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/self[- ]signed certificate/);
  });
});

describe('probeOnce over TCP', () => {
  it('succeeds while the port accepts and fails once it is closed, then succeeds when reopened', async () => {
    const server = new SilentTcpServer();
    await server.open();
    try {
      const tcp = spec({ type: 'TCP', port: server.port, timeout: '1s' });
      expect((await probeOnce(tcp, '127.0.0.1')).ok).toBe(true);
      await server.close();
      expect(await probeOnce(tcp, '127.0.0.1')).toMatchObject({
        ok: false,
        error: `connect ECONNREFUSED 127.0.0.1:${server.port}`,
      });
      await server.open();
      expect((await probeOnce(tcp, '127.0.0.1')).ok).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('probeOnce over IPv6 loopback', () => {
  it('probes HTTP and TCP on ::1 with a bracketed Host header', async () => {
    const server = await startHttp('::1');
    try {
      const result = await probeOnce(spec({ port: server.port, timeout: '2s' }), '::1');
      expect(result.ok).toBe(true);
      expect(server.received[0]?.host).toBe(`[::1]:${server.port}`);
      expect((await probeOnce(spec({ type: 'TCP', port: server.port, timeout: '2s' }), '::1')).ok).toBe(true);
    } finally {
      await server.close();
    }
  });
});
