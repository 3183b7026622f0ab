// DNS over UDP: one datagram in, at most one datagram out. The handler does all the DNS work; this file only moves
// bytes and keeps the socket alive whatever the handler does.
import dgram from 'node:dgram';
import type { ClientInfo, QueryHandler } from '../wire/types.ts';
import { handleQuery, safeReporter } from './guard.ts';

export interface UdpServerOptions {
  host: string;
  port: number;
  handler: QueryHandler;
  /** Let several sockets (e.g. one per worker thread) bind the same port (SO_REUSEPORT, Node >= 22.12). */
  reusePort?: boolean;
  /** SO_RCVBUF to ask for (default DEFAULT_RECEIVE_BUFFER_BYTES). */
  receiveBufferBytes?: number;
  /** Called when the handler throws or a send fails; the server keeps running either way. */
  onError?: (error: unknown, where: string) => void;
}

/**
 * Queries the kernel may hold while the thread is busy (a zone swap, a garbage collection): the default socket
 * buffer (about 200 KiB, a few hundred queries) overflows within tens of milliseconds under load, as it does for
 * any server; Knot and PowerDNS raise it too. Linux caps it at net.core.rmem_max.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Which code moves the datagrams: Node's dgram (this file) or the batched addon (udp-native.ts). */
export type UdpIo = 'native' | 'dgram';

/** What a UDP server counted since the last takeCounts(). */
export interface UdpCounts {
  /** recvmmsg calls that returned datagrams, and those datagrams (native only). */
  batches: number;
  datagrams: number;
  /** Failed reads of the socket (not a client's fault). */
  receiveErrors: number;
  /** Replies not sent, by cause: the socket buffer was full (EAGAIN), the kernel was out of buffers (ENOBUFS), else. */
  sendErrors: { EAGAIN: number; ENOBUFS: number; other: number };
  /** Datagrams longer than the receive slot (native only; cannot happen with 64 KiB slots). */
  truncatedReceives: number;
  /** The native path's reply cache: queries answered from it, looked up and not found, replies kept. */
  replyCache: { hits: number; misses: number; kept: number };
}

export function emptyUdpCounts(): UdpCounts {
  return {
    batches: 0,
    datagrams: 0,
    receiveErrors: 0,
    sendErrors: { EAGAIN: 0, ENOBUFS: 0, other: 0 },
    truncatedReceives: 0,
    replyCache: { hits: 0, misses: 0, kept: 0 },
  };
}

export interface UdpServer {
  readonly port: number;
  readonly address: string;
  readonly io: UdpIo;
  /** The counts since the last call. */
  takeCounts(): UdpCounts;
  /** The answers changed: replies kept for reuse (the native path's reply cache) are forgotten. */
  forgetReplies(): void;
  close(): Promise<void>;
}

export function socketTypeFor(host: string): 'udp4' | 'udp6' {
  return host.includes(':') ? 'udp6' : 'udp4';
}

export function startUdpServer(options: UdpServerOptions): Promise<UdpServer> {
  const type = socketTypeFor(options.host);
  const family: 4 | 6 = type === 'udp4' ? 4 : 6;
  const socket = dgram.createSocket({
    type,
    reusePort: options.reusePort === true,
    // Replies only ever go to the address a query came from, an IP literal: dgram's default lookup would check
    // that with a regular expression and defer every send to the next tick, a measurable share of each answer.
    lookup: (address, _options, callback) => callback(null, address, family),
  });
  const { handler, onError } = options;
  const report = safeReporter(onError);
  let counts = emptyUdpCounts();

  socket.on('message', (message, remote) => {
    const client: ClientInfo = { address: remote.address, port: remote.port, family, transport: 'udp' };
    const response = handleQuery(handler, message, client, report);
    // No callback: Node can then complete the send synchronously instead of tracking a request per datagram
    // (a large share of the per-query cost); a failed send surfaces as the socket's 'error' event instead.
    if (response) socket.send(response, remote.port, remote.address);
  });

  return new Promise((resolve, reject) => {
    const onBindError = (error: Error): void => {
      socket.close();
      reject(new Error(`UDP server: cannot bind ${options.host} port ${options.port}: ${error.message}`));
    };
    socket.once('error', onBindError);
    socket.bind({ address: options.host, port: options.port }, () => {
      socket.off('error', onBindError);
      try {
        socket.setRecvBufferSize(options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES);
      } catch (error) {
        report(error, 'udp receive buffer');
      }
      socket.on('error', (error: NodeJS.ErrnoException) => {
        // After bind, errors here are failed sends (no callback is given to send()).
        const code = error.code === 'EAGAIN' || error.code === 'ENOBUFS' ? error.code : 'other';
        counts.sendErrors[code]++;
        report(error, 'udp socket');
      });
      const bound = socket.address();
      let closed: Promise<void> | undefined;
      resolve({
        port: bound.port,
        address: bound.address,
        io: 'dgram',
        takeCounts: () => {
          const taken = counts;
          counts = emptyUdpCounts();
          return taken;
        },
        // Nothing is kept on this path: the handler answers every datagram.
        forgetReplies: () => undefined,
        close: () => (closed ??= new Promise<void>((done) => socket.close(() => done()))),
      });
    });
  });
}
