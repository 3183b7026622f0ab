// In-process HealthProbes of the standalone server against real loopback HTTP and TCP servers on 127.0.0.1 and
// 127.0.0.2 (Linux routes all of 127/8 to lo): a failover name flips between its tiers as the primary fails.
import { readFile, writeFile, cp } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURES, startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const HEALTH_FIXTURE = path.join(FIXTURES, 'health');

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if (server instanceof http.Server) server.closeAllConnections();
  });
}

/** An HTTP server answering /health with a status the test sets. */
class HealthServer {
  status = 200;
  readonly server = http.createServer((request, response) => {
    response.writeHead(request.url === '/health' ? this.status : 404, { connection: 'close' });
    response.end();
  });
}

/** A TCP server that accepts and closes; "down" means not listening (connection refused). */
class TcpService {
  readonly sockets = new Set<net.Socket>();
  server: net.Server | undefined;
  readonly host: string;
  constructor(host: string) {
    this.host = host;
  }
  async up(port: number): Promise<number> {
    this.server = net.createServer((socket) => socket.end());
    return listen(this.server, this.host, port);
  }
  async down(): Promise<void> {
    if (this.server) await close(this.server);
    this.server = undefined;
  }
}

describe('health-checked failover on a live server', () => {
  let dns: ServeProcess;
  let removeTemp: () => Promise<void> = async () => undefined;
  const primary = new HealthServer();
  const standby = new HealthServer();
  const tcpPrimary = new TcpService('127.0.0.1');
  const tcpStandby = new TcpService('127.0.0.2');
  let tcpPort = 0;

  beforeAll(async () => {
    const httpPort = await listen(primary.server, '127.0.0.1', 0);
    await listen(standby.server, '127.0.0.2', httpPort);
    tcpPort = await tcpPrimary.up(0);
    await tcpStandby.up(tcpPort);

    const temp = await tempDir('health');
    removeTemp = temp.remove;
    await cp(path.join(HEALTH_FIXTURE, 'zone.yaml'), path.join(temp.dir, 'zone.yaml'));
    await cp(path.join(HEALTH_FIXTURE, 'endpoints.yaml'), path.join(temp.dir, 'endpoints.yaml'));
    const probes = await readFile(path.join(HEALTH_FIXTURE, 'probes.yaml.template'), 'utf8');
    await writeFile(
      path.join(temp.dir, 'probes.yaml'),
      probes.replaceAll('HTTP_PORT', String(httpPort)).replaceAll('TCP_PORT', String(tcpPort)),
    );
    dns = await startServe(['--resources', temp.dir]);
    // The fixture must load cleanly, or the names would be served unchecked and nothing below would mean much.
    expect(dns.logs.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
  });

  afterAll(async () => {
    await dns?.stop();
    await Promise.all([close(primary.server), close(standby.server), tcpPrimary.down(), tcpStandby.down()]);
    await removeTemp();
  });

  const answer = (name: string) => () => dns.addresses(name);
  const is = (address: string) => (addresses: string[]) => addresses.join() === address;

  test('HTTP probe: 503 on the primary flips the answer to the standby; 200 flips it back', async () => {
    await until('the primary while healthy', answer('svc.health.test'), { accept: is('127.0.0.1'), intervalMs: 100 });
    primary.status = 503;
    await until('the standby after the primary fails', answer('svc.health.test'), {
      accept: is('127.0.0.2'),
      intervalMs: 100,
    });
    expect(
      dns.logs.some(
        (l) => l.msg === 'health changed' && l.address === '127.0.0.1' && l.probe === 'test/http' && l.to === 'Down',
      ),
    ).toBe(true);
    primary.status = 200;
    await until('the primary after it recovers', answer('svc.health.test'), {
      accept: is('127.0.0.1'),
      intervalMs: 100,
    });
  });

  test('TCP probe: a refused connection on the primary flips the answer; listening again flips it back', async () => {
    await until('the primary while listening', answer('svc-tcp.health.test'), {
      accept: is('127.0.0.1'),
      intervalMs: 100,
    });
    await tcpPrimary.down();
    await until('the standby after the primary stops', answer('svc-tcp.health.test'), {
      accept: is('127.0.0.2'),
      intervalMs: 100,
    });
    await tcpPrimary.up(tcpPort);
    await until('the primary listening again', answer('svc-tcp.health.test'), {
      accept: is('127.0.0.1'),
      intervalMs: 100,
    });
  });
});
