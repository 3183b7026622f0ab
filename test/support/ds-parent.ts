// The parent of geo.example.com for the DNSSEC tests: knotd on loopback serving example.com, which delegates
// geo.example.com and holds the DS records a test writes there, as a registrar would (a DS TTL of 2 s).
import { freePort } from '../../tools/control-plane/control-plane.ts';
import { startKnot, type Knot } from './knot.ts';

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
  #knot: Knot;

  private constructor(dir: string, port: number, knot: Knot) {
    this.#dir = dir;
    this.port = port;
    this.#knot = knot;
  }

  /** Serves example.com without a DS for geo.example.com, on a free port, from files under `dir`. */
  static async start(dir: string): Promise<DsParent> {
    const port = await freePort();
    return new DsParent(dir, port, await startKnot(dir, '127.0.0.1', port, { 'example.com': parentZone([]) }));
  }

  /** "127.0.0.1:PORT", as --resolver and spec.dnssec.parent.servers take it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Serves `ds` (rdata) as geo.example.com's DS from now on. */
  async setDs(ds: readonly string[]): Promise<void> {
    await this.#knot.stop();
    this.#knot = await startKnot(this.#dir, this.host, this.port, { 'example.com': parentZone(ds) });
  }

  stop(): Promise<void> {
    return this.#knot.stop();
  }
}
