// Response rate limiting (RRL) for UDP, as Knot, BIND and NSD do it: responses are counted per client network and
// response class in token buckets (buckets.ts); over the limit a response is dropped, except every Nth, which is
// sent truncated (a "slip") so that a real resolver behind a spoofed network retries over TCP and is served.
// Exempt: configured networks, and clients presenting a valid server cookie (their address is proven real). The
// decisions only: no sockets, no clock of its own.
import { dottedQuadValue, formatNetwork, parseAddress, parseCidr } from '../geoip/address.ts';
import { FNV_OFFSET, fnvStep } from '../wire/hash.ts';
import { RCODE } from '../wire/types.ts';
import { BucketTable } from './buckets.ts';

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
  /** Whether a COOKIE option as received carries a server cookie we gave `address` (server/cookies.ts). */
  validCookie?: (cookie: Buffer, address: string) => boolean;
  onLimit?: (event: LimitEvent) => void;
}

interface Exemption {
  bytes: number[];
  prefix: number;
}

function quadValue(bytes: readonly number[]): number {
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

function quadBytes(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) | 0;
}

/** The 32-bit words of an address, masked to `prefix` bits (IPv4: the first word only). */
function maskedWords(bytes: readonly number[], prefix: number, out: Int32Array): void {
  for (let w = 0; w < 4; w++) {
    let word = 0;
    for (let b = 0; b < 4; b++) {
      const index = w * 4 + b;
      const keep = Math.max(0, Math.min(8, prefix - index * 8));
      word = (word << 8) | ((bytes[index] ?? 0) & ((0xff << (8 - keep)) & 0xff));
    }
    out[w] = word;
  }
}

function inNetwork(bytes: readonly number[], exemption: Exemption): boolean {
  for (let bit = 0; bit < exemption.prefix; bit += 8) {
    const keep = Math.min(8, exemption.prefix - bit);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((bytes[bit >> 3] ?? 0) & mask) !== ((exemption.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
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
  readonly #mask4: number;
  readonly #exempt4: { network: number; mask: number }[] = [];
  readonly #exempt6: Exemption[] = [];
  readonly #words = new Int32Array(4);
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
    this.#mask4 = prefixMask(settings.ipv4Prefix);
    for (const text of settings.exempt) {
      const cidr = parseCidr(text);
      if ('error' in cidr) throw new Error(`RRL exemption: ${cidr.error}`);
      if (cidr.family === 4) {
        const mask = prefixMask(cidr.prefixLength);
        this.#exempt4.push({ network: quadValue(cidr.bytes) & mask, mask });
      } else {
        this.#exempt6.push({ bytes: cidr.bytes, prefix: cidr.prefixLength });
      }
    }
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
    let v4 = dottedQuadValue(address);
    let v6: number[] | undefined;
    if (v4 < 0) {
      const parsed = parseAddress(address);
      if (!parsed) return VERDICT.SEND;
      if (parsed.family === 6) v6 = parsed.bytes;
      else v4 = quadValue(parsed.bytes);
    }
    let hash = FNV_OFFSET;
    if (v6 === undefined) {
      for (const exemption of this.#exempt4) if ((v4 & exemption.mask) === exemption.network) return VERDICT.SEND;
      hash = fnvStep(fnvStep(hash, 4), v4 & this.#mask4);
    } else {
      for (const exemption of this.#exempt6) if (inNetwork(v6, exemption)) return VERDICT.SEND;
      maskedWords(v6, this.#settings.ipv6Prefix, this.#words);
      hash = fnvStep(hash, 6);
      for (let w = 0; w < 4; w++) hash = fnvStep(hash, this.#words[w] as number);
    }

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
      const network =
        v6 === undefined
          ? formatNetwork(quadBytes(v4), this.#settings.ipv4Prefix)
          : formatNetwork(v6, this.#settings.ipv6Prefix);
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
