// A small DNS server on 127.0.0.1 for the names a test says: A and AAAA records with a TTL, NXDOMAIN for the rest,
// or SERVFAIL while told to fail. What the operator's resolver asks when a Service's load balancer publishes a
// hostname (dns-packet over UDP; the test changes the answers while it runs).
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as packet from 'dns-packet';

export interface HostRecords {
  A?: string[];
  AAAA?: string[];
  ttl?: number;
}

export class HostnameServer {
  readonly #socket: dgram.Socket;
  readonly #names = new Map<string, HostRecords>();
  #failing = false;
  /** Questions asked, as "A lb.example.com". */
  readonly asked: string[] = [];

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (message, remote) => this.#answer(message, remote));
  }

  static async start(): Promise<HostnameServer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new HostnameServer(socket);
  }

  /** "127.0.0.1:PORT", as --resolver takes it. */
  get address(): string {
    const { address, port } = this.#socket.address();
    return `${address}:${port}`;
  }

  set(name: string, records: HostRecords): void {
    this.#names.set(name.toLowerCase(), records);
  }

  delete(name: string): void {
    this.#names.delete(name.toLowerCase());
  }

  /** While true, every question gets SERVFAIL. */
  fail(failing: boolean): void {
    this.#failing = failing;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #answer(message: Buffer, remote: dgram.RemoteInfo): void {
    let query: packet.Packet;
    try {
      query = packet.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    this.asked.push(`${question.type} ${question.name}`);
    const records = this.#names.get(question.name.toLowerCase());
    const rcode = this.#failing ? 'SERVFAIL' : records ? 'NOERROR' : 'NXDOMAIN';
    const values =
      !this.#failing && (question.type === 'A' || question.type === 'AAAA') ? records?.[question.type] : [];
    const reply = packet.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: packet.AUTHORITATIVE_ANSWER | (packet.RECURSION_DESIRED & (query.flags ?? 0)) | rcodeFlag(rcode),
      questions: [question],
      answers: (values ?? []).map((data) => ({
        type: question.type as 'A' | 'AAAA',
        class: 'IN' as const,
        name: question.name,
        ttl: records?.ttl ?? 60,
        data,
      })),
    });
    this.#socket.send(reply, remote.port, remote.address);
  }
}

function rcodeFlag(rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL'): number {
  return { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 }[rcode];
}
