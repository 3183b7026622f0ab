// The peer listener (geodns operator --peer-listen HOST:PORT): GET PEER_PATH_PREFIX + apex gets this cluster's
// signed document for that zone from whoever answers (the leader's PeerExchange; 503 on a standby, which the chart's
// peer Service does not select: operator/kube/leader-label.ts). Nothing else is served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { PeerAnswer } from './exchange.ts';
import { PEER_PATH_PREFIX } from './protocol.ts';

export type PeerAnswerer = (apex: string, header: (name: string) => string | undefined) => Promise<PeerAnswer>;

export interface PeerServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startPeerServer(options: {
  host: string;
  port: number;
  answer: PeerAnswerer;
  log: Logger;
}): Promise<PeerServer> {
  const { answer, log } = options;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const reply = (result: PeerAnswer): void => {
      response.writeHead(result.status, { ...result.headers, 'content-length': String(result.body.byteLength) });
      response.end(result.body);
    };
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (request.method !== 'GET' || !path.startsWith(PEER_PATH_PREFIX)) {
      reply({ status: 404, headers: {}, body: Buffer.from('not found') });
      return;
    }
    let apex: string;
    try {
      apex = decodeURIComponent(path.slice(PEER_PATH_PREFIX.length));
    } catch {
      reply({ status: 400, headers: {}, body: Buffer.from('bad zone name') });
      return;
    }
    const header = (name: string): string | undefined => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    answer(apex, header).then(reply, (error: unknown) => {
      log.error({ err: error }, 'peer request failed');
      reply({ status: 500, headers: {}, body: Buffer.from('internal error') });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  log.info({ address: address.address, port: address.port }, 'peer listener started');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
