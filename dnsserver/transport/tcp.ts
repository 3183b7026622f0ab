// DNS over TCP (RFC 7766): length-prefixed messages, pipelined queries answered in order, idle connections
// closed, a cap on open connections, write back-pressure, and a graceful drain on shutdown.
import net from 'node:net';
import type { ClientInfo, QueryHandler } from '../wire/types.ts';
import { LengthPrefixedReader, frame } from './framing.ts';
import { handleQuery, safeReporter } from './guard.ts';

export interface TcpServerOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  reusePort?: boolean;
  /** Close a connection after this long without traffic (default 10 s). */
  idleTimeoutMs?: number;
  /** Connections above this number are closed at once (default 1000). */
  maxConnections?: number;
  /** Largest query accepted; a longer length prefix closes the connection (default 65535). */
  maxMessageSize?: number;
  onError?: (error: unknown, where: string) => void;
}

export interface TcpServer {
  readonly port: number;
  readonly address: string;
  /** Open connections right now. */
  readonly connections: number;
  /** Stops accepting, lets queued answers flush, and force-closes what is still open after timeoutMs. */
  drain(timeoutMs: number): Promise<void>;
  /** drain() with a 2 s limit. */
  close(): Promise<void>;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1000;
const DEFAULT_DRAIN_MS = 2_000;
const QUIET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export function startTcpServer(options: TcpServerOptions): Promise<TcpServer> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxMessageSize = Math.min(options.maxMessageSize ?? 0xffff, 0xffff);
  const { handler, onError } = options;
  /** Open connections, each with its polite close. */
  const sockets = new Map<net.Socket, () => void>();
  let closing = false;

  const report = safeReporter(onError);

  const server = net.createServer({ noDelay: true }, (socket) => {
    if (closing || sockets.size >= maxConnections) {
      socket.destroy();
      return;
    }
    const family: 4 | 6 = socket.remoteFamily === 'IPv6' ? 6 : 4;
    const client: ClientInfo = {
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      family,
      transport: 'tcp',
    };
    const reader = new LengthPrefixedReader(maxMessageSize);
    let waitingForDrain = false;
    let ending = false;

    const finish = (): void => {
      if (ending) return;
      ending = true;
      socket.end();
    };
    sockets.set(socket, finish);

    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      // First idle period: close politely (queued answers still flush). A second one: the peer is not reading.
      if (ending) socket.destroy();
      else finish();
    });
    socket.on('drain', () => {
      if (waitingForDrain) {
        waitingForDrain = false;
        if (!ending) socket.resume();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!QUIET_ERRORS.has(error.code ?? '')) report(error, `tcp connection from ${client.address}:${client.port}`);
    });
    socket.on('close', () => sockets.delete(socket));

    const answer = (message: Buffer): void => {
      if (ending) return;
      const response = handleQuery(handler, message, client, report);
      if (!response) return;
      if (response.length > 0xffff) {
        report(new Error(`response of ${response.length} bytes is too large for TCP`), 'tcp write');
        return;
      }
      if (!socket.write(frame(response)) && !waitingForDrain) {
        waitingForDrain = true;
        socket.pause();
      }
    };

    socket.on('data', (chunk: Buffer) => {
      const problem = reader.push(chunk, answer);
      if (problem) {
        report(new Error(`tcp connection from ${client.address}:${client.port}: ${problem}`), 'tcp framing');
        socket.destroy();
      }
    });
    socket.on('end', finish);
  });

  server.on('error', (error) => report(error, 'tcp server'));

  const drain = (timeoutMs: number): Promise<void> => {
    closing = true;
    const serverClosed = new Promise<void>((done) => server.close(() => done()));
    const socketsClosed = [...sockets.keys()].map(
      (socket) => new Promise<void>((done) => (socket.destroyed ? done() : socket.once('close', () => done()))),
    );
    for (const finish of sockets.values()) finish();
    const timer = setTimeout(() => {
      for (const socket of sockets.keys()) socket.destroy();
    }, timeoutMs);
    return Promise.all([serverClosed, ...socketsClosed]).then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  };

  return new Promise((resolve, reject) => {
    const onListenError = (error: Error): void => {
      reject(new Error(`TCP server: cannot listen on ${options.host} port ${options.port}: ${error.message}`));
    };
    server.once('error', onListenError);
    server.listen({ host: options.host, port: options.port, reusePort: options.reusePort === true }, () => {
      server.off('error', onListenError);
      const bound = server.address() as net.AddressInfo;
      let drained: Promise<void> | undefined;
      resolve({
        port: bound.port,
        address: bound.address,
        get connections() {
          return sockets.size;
        },
        drain: (timeoutMs) => (drained ??= drain(timeoutMs)),
        close: () => (drained ??= drain(DEFAULT_DRAIN_MS)),
      });
    });
  });
}
