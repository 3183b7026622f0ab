// The handler behind the real UDP and TCP transports on loopback, asked by dig: what a resolver would see.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeoDatabase } from '../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../dnsserver/handler.ts';
import { startTcpServer, type TcpServer } from '../../../dnsserver/transport/tcp.ts';
import { startUdpServer, type UdpServer } from '../../../dnsserver/transport/udp.ts';
import { exampleZone } from '../../support/compiled-zones.ts';

const run = promisify(execFile);
let udp: UdpServer;
let tcp: TcpServer;

beforeAll(async () => {
  const geoip = await openGeoDatabase(fileURLToPath(new URL('../../fixtures/mmdb/city.mmdb', import.meta.url)));
  const handler = createHandler(new ServerState({ zones: [exampleZone()], geoip }), { random: () => 0 });
  udp = await startUdpServer({ host: '127.0.0.1', port: 0, handler });
  tcp = await startTcpServer({ host: '127.0.0.1', port: 0, handler });
});
afterAll(async () => {
  await udp?.close();
  await tcp?.close();
});

async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', '+tries=1', ...args], {
    timeout: 10_000,
  });
  return stdout;
}

describe('dig against the handler', () => {
  it('gets a geo answer for its ECS subnet, with the scope echoed, over UDP', async () => {
    const out = await dig(udp.port, 'www.geo.example', 'A', '+subnet=198.51.100.0/24');
    expect(out).toMatch(/flags: qr aa;/);
    expect(out).toMatch(/www\.geo\.example\.\s+30\s+IN\s+A\s+198\.51\.100\.1/);
    expect(out).toContain('CLIENT-SUBNET: 198.51.100.0/24/24');
  });

  it('gets scope 0 for a weighted name, over TCP', async () => {
    const out = await dig(tcp.port, '+tcp', 'lb.geo.example', 'A', '+subnet=198.51.100.0/24');
    expect(out).toMatch(/lb\.geo\.example\.\s+20\s+IN\s+A\s+192\.0\.2\.101/);
    expect(out).toContain('CLIENT-SUBNET: 198.51.100.0/24/0');
  });

  it('gets NXDOMAIN with the SOA at the negative TTL, and REFUSED outside the zone', async () => {
    const nx = await dig(udp.port, 'missing.geo.example', 'A');
    expect(nx).toContain('status: NXDOMAIN');
    expect(nx).toMatch(/geo\.example\.\s+60\s+IN\s+SOA\s+ns1\.geo\.example\. hostmaster\.geo\.example\. 42 /);
    const refused = await dig(udp.port, 'example.org', 'A');
    expect(refused).toContain('status: REFUSED');
  });
});
