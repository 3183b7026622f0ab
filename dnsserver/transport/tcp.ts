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
  /** Faults of the server (a handler that throws, a failed write): reported with their stack. */
  onError?: (error: unknown, where: string) => void;
  /**
   * Problems a client causes (a broken length prefix, a reset, a connection too slow to send its query, one
   * connection too many). Without this hook they go to onError as errors.
   */
  onClientError?: (reason: TcpClientError, client: ClientInfo, detail: string) => void;
}

export type TcpClientError = 'bad-length' | 'reset' | 'slow' | 'too-many-connections';

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
/** Socket errors a peer causes by going away. */
const PEER_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

function clientOf(socket: net.Socket): ClientInfo {
  return {
    address: socket.remoteAddress ?? '',
    port: socket.remotePort ?? 0,
    family: socket.remoteFamily === 'IPv6' ? 6 : 4,
    transport: 'tcp',
  };
}

export function startTcpServer(options: TcpServerOptions): Promise<TcpServer> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxMessageSize = Math.min(options.maxMessageSize ?? 0xffff, 0xffff);
  const { handler, onError } = options;
  /** Open connections, each with its polite close. */
  const sockets = new Map<net.Socket, () => void>();
  let closing = false;

  const report = safeReporter(onError);
  const onClientError = options.onClientError;
  const clientError = (reason: TcpClientError, client: ClientInfo, detail: string): void => {
    if (!onClientError) {
      report(new Error(`tcp connection from ${client.address}:${client.port}: ${detail}`), `tcp ${reason}`);
      return;
    }
    try {
      onClientError(reason, client, detail);
    } catch {
      // A failing reporter must not take the server down.
    }
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    if (sockets.size >= maxConnections) {
      clientError('too-many-connections', clientOf(socket), `${maxConnections} connections are open`);
      socket.destroy();
      return;
    }
    const client = clientOf(socket);
    const reader = new LengthPrefixedReader(maxMessageSize);
    let waitingForDrain = false;
    let ending = false;
    /** When the message still incomplete in `reader` began to arrive (0: none pending). */
    let partialSince = 0;
    /** Messages read from this connection. */
    let messages = 0;

    const finish = (): void => {
      if (ending) return;
      ending = true;
      socket.end();
    };
    sockets.set(socket, finish);

    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      // First idle period: close politely (queued answers still flush). A second one: the peer is not reading.
      if (ending) {
        if (waitingForDrain) clientError('slow', client, 'does not read its answers');
        socket.destroy();
        return;
      }
      if (reader.buffered > 0) clientError('slow', client, `idle with ${reader.buffered} bytes of a query`);
      finish();
    });
    socket.on('drain', () => {
      if (waitingForDrain) {
        waitingForDrain = false;
        if (!ending) socket.resume();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (PEER_GONE.has(error.code ?? '')) clientError('reset', client, error.code ?? error.message);
      else report(error, `tcp connection from ${client.address}:${client.port}`);
    });
    socket.on('close', () => sockets.delete(socket));

    const answer = (message: Buffer): void => {
      messages++;
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
      const before = messages;
      const problem = reader.push(chunk, answer);
      if (problem) {
        clientError('bad-length', client, problem);
        socket.destroy();
        return;
      }
      // Each byte restarts the idle timer, so a peer dripping a query byte by byte (slowloris) is caught here: a
      // query must be whole within one idle timeout of its first byte.
      if (reader.buffered === 0) partialSince = 0;
      else if (partialSince === 0 || messages !== before) partialSince = Date.now();
      else if (Date.now() - partialSince > idleTimeoutMs) {
        clientError('slow', client, `a query still incomplete after ${idleTimeoutMs} ms`);
        socket.destroy();
      }
    });
    socket.on('end', finish);
  });

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
      const message = `TCP server: cannot listen on ${options.host} port ${options.port}: ${error.message}`;
      reject(new Error(message, { cause: error }));
    };
    server.once('error', onListenError);
    server.listen({ host: options.host, port: options.port, reusePort: options.reusePort === true }, () => {
      server.off('error', onListenError);
      // Only now: a failure to listen is the caller's to handle (workers/node.ts may try another port), not a fault.
      server.on('error', (error) => report(error, 'tcp server'));
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
