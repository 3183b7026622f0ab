// The DNS server's composition root (dnsserver/server.ts) without the CLI: typed options in, a running server out,
// drained and closed through its own methods.
import dgram from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { configDirSource, startDnsServer, type DnsServerOptions } from '../../../dnsserver/server.ts';
import { json, zoneDoc } from '../../support/documents.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { query } from '../../../tools/dns-query.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function options(extra: Partial<DnsServerOptions> = {}): Promise<DnsServerOptions> {
  const dir = await tempDir('config');
  cleanups.push(dir.remove);
  await writeFile(join(dir.dir, 'geo.example.json'), json(zoneDoc('geo.example', 7)));
  return {
    source: configDirSource(dir.dir),
    listen: [{ host: '127.0.0.1', port: 0 }],
    workers: 0,
    metrics: { host: '127.0.0.1', port: 0 },
    logLevel: 'silent',
    querySampleRate: 0,
    tcpIdleTimeoutMs: 5000,
    tcpMaxConnections: 16,
    clientErrorLogRate: 0,
    drainTimeoutMs: 1000,
    udpIo: 'dgram',
    ...extra,
  };
}

function ask(port: number, name: string): Promise<dnsPacket.Packet> {
  const socket = dgram.createSocket('udp4');
  return new Promise<dnsPacket.Packet>((resolve, reject) => {
    socket.once('message', (message) => resolve(dnsPacket.decode(message)));
    socket.once('error', reject);
    socket.send(query(name), port, '127.0.0.1');
  }).finally(() => socket.close());
}

describe('startDnsServer', () => {
  it('answers from its source, says it is ready, and drains on request', async () => {
    const server = await startDnsServer(await options());
    if (!server) throw new Error('the server did not start');
    const udp = server.bound.find((b) => b.transport === 'udp');
    expect(udp?.port).toBeGreaterThan(0);
    expect(server.workers).toBe(1);
    const reply = await ask(udp?.port ?? 0, 'www.geo.example');
    expect(reply.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['192.0.2.10']);
    const readyz = `http://127.0.0.1:${server.metricsAddress?.port}/readyz`;
    expect((await fetch(readyz)).status).toBe(200);

    await server.drain('test');
    expect(await server.stopped).toEqual({ failed: false });
    await expect(fetch(readyz)).rejects.toThrow();
    await server.close(); // a second stop waits for the first
  });

  it('drains when its signal is aborted', async () => {
    const stop = new AbortController();
    const server = await startDnsServer(await options({ signal: stop.signal, metrics: undefined }));
    expect(server?.metricsAddress).toBeUndefined();
    stop.abort('SIGTERM');
    expect(await server?.stopped).toEqual({ failed: false });
  });

  it('resolves undefined when its signal was aborted before it served', async () => {
    const stop = new AbortController();
    stop.abort('SIGTERM');
    expect(await startDnsServer(await options({ signal: stop.signal }))).toBeUndefined();
  });

  it('refuses to start on a GeoIP database it cannot read, saying which', async () => {
    await expect(startDnsServer(await options({ geoip: '/nonexistent/geo.mmdb' }))).rejects.toThrow(
      '/nonexistent/geo.mmdb',
    );
  });
});
