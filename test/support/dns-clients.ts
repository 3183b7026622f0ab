// Helpers for transport tests: a UDP client, a TCP client (dig and kdig: ./dig.ts). Loopback only.
import dgram from 'node:dgram';
import net from 'node:net';

/** Sends one datagram and waits for the first reply (or rejects after timeoutMs). */
export function udpExchange(host: string, port: number, message: Buffer, timeoutMs = 2000): Promise<Buffer> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply from ${host}:${port}`)), timeoutMs);
    socket.once('message', (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.send(message, port, host);
  }).finally(() => socket.close());
}

/** A TCP client that collects length-prefixed replies and notices when the server closes. */
export class TcpClient {
  readonly socket: net.Socket;
  readonly replies: Buffer[] = [];
  readonly closed: Promise<void>;
  #received = Buffer.alloc(0);
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      while (this.#received.length >= 2 && this.#received.length >= 2 + this.#received.readUInt16BE(0)) {
        const length = this.#received.readUInt16BE(0);
        this.replies.push(this.#received.subarray(2, 2 + length));
        this.#received = this.#received.subarray(2 + length);
      }
      this.#waiters = this.#waiters.filter((w) => {
        if (this.replies.length < w.count) return true;
        w.resolve();
        return false;
      });
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(host: string, port: number): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves once `count` replies arrived in total; rejects if the connection closes first. */
  waitForReplies(count: number): Promise<Buffer[]> {
    if (this.replies.length >= count) return Promise.resolve(this.replies);
    const arrived = new Promise<void>((resolve) => this.#waiters.push({ count, resolve }));
    const closedEarly = this.closed.then(() => {
      if (this.replies.length < count) throw new Error(`connection closed after ${this.replies.length} replies`);
    });
    return Promise.race([arrived, closedEarly]).then(() => this.replies);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function framed(message: Buffer): Buffer {
  const out = Buffer.alloc(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}
