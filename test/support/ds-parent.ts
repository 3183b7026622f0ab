// The parent of geo.example.com for the DNSSEC tests: knotd on loopback serving example.com, which delegates
// geo.example.com and holds the DS records a test writes there, as a registrar would (a DS TTL of 2 s). Signed, knotd
// signs example.com itself and its DNSKEY is a validator's trust anchor; a new DS is then loaded without a moment in
// which the parent does not answer.
import { freePort } from '../../tools/control-plane/control-plane.ts';
import { startKnot, type Knot } from './knot.ts';

export interface DsParentOptions {
  /** knotd signs example.com (see trustAnchor()). */
  signed?: boolean;
}

/** example.com delegating geo.example.com, with `ds` (rdata) at the delegation. */
function parentZone(ds: readonly string[]): string {
  return [
    '$ORIGIN example.com.',
    '$TTL 2',
    '@ SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 2',
    '@ NS ns.example.com.',
    'ns A 127.0.0.1',
    'geo NS ns1.geo.example.com.',
    'ns1.geo A 192.0.2.53',
    ...ds.map((rdata) => `geo DS ${rdata}`),
    '',
  ].join('\n');
}

export class DsParent {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly #dir: string;
  readonly #signed: boolean;
  #knot: Knot;

  private constructor(dir: string, port: number, knot: Knot, signed: boolean) {
    this.#dir = dir;
    this.port = port;
    this.#knot = knot;
    this.#signed = signed;
  }

  /** Serves example.com without a DS for geo.example.com, on a free port, from files under `dir`. */
  static async start(dir: string, options: DsParentOptions = {}): Promise<DsParent> {
    const port = await freePort();
    const signed = options.signed ?? false;
    const knot = await startKnot(dir, '127.0.0.1', port, { 'example.com': parentZone([]) }, { signing: signed });
    return new DsParent(dir, port, knot, signed);
  }

  /** "127.0.0.1:PORT", as --resolver and spec.dnssec.parent.servers take it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Serves `ds` (rdata) as geo.example.com's DS from now on. */
  async setDs(ds: readonly string[]): Promise<void> {
    if (this.#signed) return this.#knot.reload('example.com', parentZone(ds));
    await this.#knot.stop();
    this.#knot = await startKnot(this.#dir, this.host, this.port, { 'example.com': parentZone(ds) });
  }

  /** The DS records of geo.example.com the parent serves now, as status.dnssec.ds gives rdata (one lower-case digest). */
  async ds(): Promise<string[]> {
    const answer = await this.#knot.dig(['geo.example.com', 'DS', '+norecurse']);
    return answer.answer
      .filter((r) => r.type === 'DS')
      .map((r) => r.data.split(' '))
      .map((f) => `${f.slice(0, 3).join(' ')} ${f.slice(3).join('').toLowerCase()}`);
  }

  /** A signed parent's key-signing DNSKEY record, "example.com. DNSKEY 257 3 13 …": a validator's trust anchor. */
  async trustAnchor(): Promise<string> {
    const answer = await this.#knot.dig(['example.com', 'DNSKEY', '+norecurse']);
    const key = answer.answer.find((r) => r.type === 'DNSKEY' && r.data.startsWith('257 '));
    if (!key) throw new Error(`example.com has no key-signing DNSKEY: ${answer.raw}`);
    return `example.com. DNSKEY ${key.data}`;
  }

  stop(): Promise<void> {
    return this.#knot.stop();
  }
}
