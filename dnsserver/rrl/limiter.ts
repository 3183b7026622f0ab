// Response rate limiting (RRL) for UDP, as Knot, BIND and NSD do it: responses are counted per client network and
// response class in token buckets (buckets.ts); over the limit a response is dropped, except every Nth, which is
// sent truncated (a "slip") so that a real resolver behind a spoofed network retries over TCP and is served.
// Exempt: configured networks, and clients presenting a valid server cookie (their address is proven real). The
// decisions only: no sockets, no clock of its own.
import { fnvStep } from '../wire/hash.ts';
import { RCODE } from '../wire/types.ts';
import { BucketTable } from './buckets.ts';
import { ClientNetworks } from './network.ts';

export interface RrlSettings {
  /** Responses a second per client network and response class (per worker thread). */
  rate: number;
  /** Every Nth limited response is sent truncated (TC=1); 0 drops them all, 1 truncates them all. */
  slip: number;
  /** Seconds of debt a flooding bucket may run up: how long it stays limited once the flood stops. */
  windowSeconds: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Networks never limited (CIDR text). */
  exempt: string[];
  /** Buckets in the table (fixed memory, 22 bytes each). */
  tableSize: number;
}

export const RRL_DEFAULTS: Omit<RrlSettings, 'rate'> = {
  slip: 2,
  windowSeconds: 5,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  exempt: [],
  tableSize: 65_536,
};

/** Response classes, counted apart (the metric's `class` label). */
export const RRL_CLASSES = ['answer', 'nxdomain', 'referral', 'error'] as const;
export type RrlClass = (typeof RRL_CLASSES)[number];
const ANSWER = 0;
const NXDOMAIN = 1;
const REFERRAL = 2;
const ERROR = 3;

export const VERDICT = { SEND: 0, DROP: 1, SLIP: 2 } as const;
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT];

/** The first limited response of a bucket, for a log line. */
export interface LimitEvent {
  network: string;
  class: RrlClass;
  /** What the bucket is keyed by besides the network: the question (answers), the zone, or nothing (errors). */
  name: string;
  qtype: number;
}

export interface RrlHooks {
  /** Milliseconds on a monotonic clock. */
  now: () => number;
  /** Whether a COOKIE option as received carries a server cookie we gave `address` (workers/cookies.ts). */
  validCookie?: (cookie: Buffer, address: string) => boolean;
  onLimit?: (event: LimitEvent) => void;
}

/** A NOERROR without AA is a referral when it comes from a zone, else a bare reply (to a cookie-only query). */
function classOf(rcode: number, authoritative: boolean, zone: string | null): number {
  if (rcode === RCODE.NXDOMAIN) return NXDOMAIN;
  if (rcode !== RCODE.NOERROR) return ERROR;
  if (authoritative) return ANSWER;
  return zone === null ? ERROR : REFERRAL;
}

/** Murmur3's finalizer: spreads the FNV state over all 32 bits before it picks a slot. */
function mix(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

export class ResponseRateLimiter {
  readonly #settings: RrlSettings;
  readonly #hooks: RrlHooks;
  readonly #table: BucketTable;
  readonly #networks: ClientNetworks;
  /** Counts since the last takeCounts(), by class. */
  #limited = [0, 0, 0, 0];
  #slipped = [0, 0, 0, 0];

  constructor(settings: RrlSettings, hooks: RrlHooks) {
    if (!(settings.rate >= 1)) throw new Error(`RRL rate must be at least 1 a second, got ${settings.rate}`);
    this.#settings = settings;
    this.#hooks = hooks;
    this.#table = new BucketTable({
      size: settings.tableSize,
      rate: settings.rate,
      windowSeconds: settings.windowSeconds,
    });
    this.#networks = new ClientNetworks(settings.ipv4Prefix, settings.ipv6Prefix, settings.exempt);
  }

  /** Buckets in use; never more than the table size. */
  get buckets(): number {
    return this.#table.used;
  }

  /**
   * What to do with a UDP response to `address`: its rcode and AA flag classify it; `qname`/`qtype` key an
   * answer, `zone` (null outside our zones) keys NXDOMAIN and referrals; errors are keyed by the network alone.
   */
  check(
    address: string,
    rcode: number,
    authoritative: boolean,
    qname: string,
    qtype: number,
    zone: string | null,
    cookie: Buffer | undefined,
  ): Verdict {
    let hash = this.#networks.hash(address);
    if (hash === undefined) return VERDICT.SEND;
    const cls = classOf(rcode, authoritative, zone);
    const name = cls === ANSWER ? qname : cls === ERROR ? '' : (zone ?? '');
    const type = cls === ANSWER ? qtype : 0;
    hash = fnvStep(fnvStep(hash, cls), type);
    for (let i = 0; i < name.length; i++) hash = fnvStep(hash, name.charCodeAt(i));

    const slot = this.#table.spend(mix(hash), this.#hooks.now());
    if (slot < 0) return VERDICT.SEND;
    if (cookie !== undefined && this.#hooks.validCookie?.(cookie, address)) return VERDICT.SEND;
    this.#limited[cls]!++;
    if (this.#hooks.onLimit && this.#table.startsEpisode(slot)) {
      const network = this.#networks.describe(address);
      this.#hooks.onLimit({ network, class: RRL_CLASSES[cls] as RrlClass, name, qtype: type });
    }
    if (this.#settings.slip > 0 && this.#table.slip(slot, this.#settings.slip)) {
      this.#slipped[cls]!++;
      return VERDICT.SLIP;
    }
    return VERDICT.DROP;
  }

  /** Limited (dropped or slipped) and slipped responses by class since the last call. */
  takeCounts(): { class: RrlClass; limited: number; slipped: number }[] {
    const counts = RRL_CLASSES.map((name, i) => ({
      class: name,
      limited: this.#limited[i]!,
      slipped: this.#slipped[i]!,
    }));
    this.#limited = [0, 0, 0, 0];
    this.#slipped = [0, 0, 0, 0];
    return counts.filter((c) => c.limited > 0);
  }
}
