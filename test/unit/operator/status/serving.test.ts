// Which serial a DNS server serves, asked over UDP as the operator asks each DNS pod: against a real geodns serve.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countServing, dnsServersOf, querySerial } from '../../../../operator/status/serving.ts';
import { EXAMPLES, startServe, type ServeProcess } from '../../../support/serve.ts';

let server: ServeProcess;
let silent: Socket;
let silentPort: number;

beforeAll(async () => {
  server = await startServe(['--resources', EXAMPLES]);
  silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  silentPort = silent.address().port;
});

afterAll(async () => {
  await server.stop();
  silent.close();
});

describe('querySerial', () => {
  it('reads the SOA serial an authoritative server answers, as dig does', async () => {
    const dig = await server.dig(['geo.example.com', 'SOA', '+norec']);
    const serial = Number(dig.answer[0]?.data.split(' ')[2]);
    expect(serial).toBeGreaterThan(0);
    expect(await querySerial({ address: '127.0.0.1', port: server.port }, 'geo.example.com')).toBe(serial);
  });

  it('says nothing for a zone the server refuses, or a server that does not answer in time', async () => {
    expect(await querySerial({ address: '127.0.0.1', port: server.port }, 'example.org')).toBeUndefined();
    expect(await querySerial({ address: '127.0.0.1', port: silentPort }, 'geo.example.com', 200)).toBeUndefined();
  });

  it('counts the servers on a serial', async () => {
    const serial = await querySerial({ address: '127.0.0.1', port: server.port }, 'geo.example.com');
    const servers = [
      { address: '127.0.0.1', port: server.port },
      { address: '127.0.0.1', port: silentPort },
    ];
    expect(await countServing(servers, 'geo.example.com', serial!, 200)).toEqual({ current: 1, total: 2 });
    expect(await countServing(servers, 'geo.example.com', serial! + 1, 200)).toEqual({ current: 0, total: 2 });
  });
});

describe('dnsServersOf', () => {
  it('takes the ready endpoints of the DNS Service and its UDP port named dns', () => {
    const slice = (namespace: string, service: string, ready: boolean | undefined, address: string) => ({
      metadata: { namespace, labels: { 'kubernetes.io/service-name': service } },
      ports: [
        { name: 'metrics', port: 9153, protocol: 'TCP' },
        { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
        { name: 'dns', port: 5353, protocol: 'UDP' },
      ],
      endpoints: [{ addresses: [address], conditions: ready === undefined ? {} : { ready } }],
    });
    expect(
      dnsServersOf(
        [
          slice('geodns-system', 'geodns-dns', true, '10.0.0.1'),
          slice('geodns-system', 'geodns-dns', undefined, '10.0.0.2'),
          slice('geodns-system', 'geodns-dns', false, '10.0.0.3'),
          slice('other', 'geodns-dns', true, '10.0.0.4'),
          slice('geodns-system', 'web', true, '10.0.0.5'),
        ],
        'geodns-system',
        'geodns-dns',
      ),
    ).toEqual([
      { address: '10.0.0.1', port: 5353 },
      { address: '10.0.0.2', port: 5353 },
    ]);
  });
});
