// The handler behind the real UDP and TCP transports on loopback, asked by dig: what a resolver would see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeoDatabase } from '../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../dnsserver/handler.ts';
import { startTcpServer, type TcpServer } from '../../../dnsserver/transport/tcp.ts';
import { startUdpServer, type UdpServer } from '../../../dnsserver/transport/udp.ts';
import { exampleZone } from '../../support/documents.ts';
import { dig, type DigResult } from '../../support/dig.ts';
import { CITY_MMDB } from '../../support/serve.ts';

let udp: UdpServer;
let tcp: TcpServer;

beforeAll(async () => {
  const geoip = await openGeoDatabase(CITY_MMDB);
  const handler = createHandler(new ServerState({ zones: [exampleZone()], geoip }), { random: () => 0 });
  udp = await startUdpServer({ host: '127.0.0.1', port: 0, handler });
  tcp = await startTcpServer({ host: '127.0.0.1', port: 0, handler });
});
afterAll(async () => {
  await udp?.close();
  await tcp?.close();
});

const ask = (port: number, ...args: string[]): Promise<DigResult> =>
  dig({ host: '127.0.0.1', port }, ['+norec', ...args], { timeoutMs: 10_000 });

describe('dig against the handler', () => {
  it('gets a geo answer for its ECS subnet, with the scope echoed, over UDP', async () => {
    const out = await ask(udp.port, 'www.geo.example', 'A', '+subnet=198.51.100.0/24');
    expect(out.flags).toEqual(['qr', 'aa']);
    expect(out.answer).toContainEqual({ name: 'www.geo.example.', ttl: 30, type: 'A', data: '198.51.100.1' });
    expect(out.ecs).toEqual({ address: '198.51.100.0', source: 24, scope: 24 });
  });

  it('gets scope 0 for a weighted name, over TCP', async () => {
    const out = await ask(tcp.port, '+tcp', 'lb.geo.example', 'A', '+subnet=198.51.100.0/24');
    expect(out.answer).toContainEqual({ name: 'lb.geo.example.', ttl: 20, type: 'A', data: '192.0.2.101' });
    expect(out.ecs).toEqual({ address: '198.51.100.0', source: 24, scope: 0 });
  });

  it('gets NXDOMAIN with the SOA at the negative TTL, and REFUSED outside the zone', async () => {
    const nx = await ask(udp.port, 'missing.geo.example', 'A');
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.authority).toHaveLength(1);
    expect(nx.authority[0]).toMatchObject({ name: 'geo.example.', ttl: 60, type: 'SOA' });
    expect(nx.authority[0]?.data).toMatch(/^ns1\.geo\.example\. hostmaster\.geo\.example\. 42 /);
    const refused = await ask(udp.port, 'example.org', 'A');
    expect(refused.status).toBe('REFUSED');
  });
});
