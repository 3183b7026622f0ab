import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { HealthProbeSpec } from '../../api/healthprobe.ts';

export function spec(overrides: Partial<HealthProbeSpec> = {}): HealthProbeSpec {
  return {
    type: 'HTTP',
    port: 1,
    path: '/',
    expectedStatus: [{ min: 200, max: 399 }],
    insecureSkipVerify: false,
    interval: '200ms',
    timeout: '150ms',
    failureThreshold: 3,
    successThreshold: 2,
    ...overrides,
  };
}

export interface Received {
  host: string | undefined;
  path: string | undefined;
  servername?: string | undefined;
}

/** An HTTP(S) server on loopback whose status and body the test sets; records every request it receives. */
export interface TestHttpServer {
  port: number;
  status: number;
  body: string;
  received: Received[];
  close(): Promise<void>;
}

function listen(server: net.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

async function closeServer(server: http.Server | net.Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startHttp(host = '127.0.0.1', tls?: { key: string; cert: string }): Promise<TestHttpServer> {
  const self: TestHttpServer = { port: 0, status: 200, body: 'ok', received: [], close: async () => undefined };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const socket = req.socket as net.Socket & { servername?: string | false };
    self.received.push({
      host: req.headers.host,
      path: req.url,
      servername: typeof socket.servername === 'string' ? socket.servername : undefined,
    });
    res.writeHead(self.status, { 'content-type': 'text/plain' });
    res.end(self.body);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  self.port = await listen(server, host);
  self.close = () => closeServer(server);
  return self;
}

export async function selfSignedCert(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'probe.test' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'probe.test' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A TCP server that accepts connections and never says anything; it can be closed and reopened on its port. */
export class SilentTcpServer {
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();
  port = 0;
  readonly host: string;

  constructor(host = '127.0.0.1') {
    this.host = host;
  }

  async open(): Promise<void> {
    const server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
