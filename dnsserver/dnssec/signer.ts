// The signer of one zone: its keys, its DNSKEY rrset, and a bounded cache of signatures. A signature is reused for
// every answer that carries the same rrset, whoever asked: the cache key is (key tag, algorithm, owner, type,
// original TTL, SHA-256 of the rrset in canonical form), which cannot collide short of SHA-256 itself. The clock is
// passed in (seconds since 1970): nothing here reads it.
//
// A signature is served until half its lifetime has passed (its expiration less the longest TTL it is served with),
// and is due to be replaced a little before: at a point drawn between 40% and 50% of its lifetime, so that
// signatures made together do not fall due together. The background refresh (background.ts) replaces those due; a query
// signs only when there is no signature it may serve.
import { createHash } from 'node:crypto';
import { canonicalRecords } from './canonical.ts';
import { DEFAULT_BACKDATE_SECONDS, signRecords, validityAt } from './sign.ts';
import { dsRdata } from '../../lib/dnssec/keys.ts';
import { DEFAULT_LIFETIME_SECONDS, DNSKEY_FLAG, type SigningKey } from '../../lib/dnssec/types.ts';
import { RRTYPE, type CanonicalRRset, type RRsetHead } from './types.ts';
import { SigningBudgetExceeded, type SigningBudget } from './budget.ts';
import { DEFAULT_DNSSEC_CACHE } from '../answer/bounds.ts';

/** The rrsets the key-signing keys sign (as BIND does): DNSKEY, and CDS and CDNSKEY, which speak to the parent. */
const SIGNED_BY_KSK: ReadonlySet<number> = new Set([RRTYPE.DNSKEY, RRTYPE.CDS, RRTYPE.CDNSKEY]);

export interface SignerOptions {
  /** Seconds a signature is valid from when it is made (default 3 h). */
  lifetimeSeconds?: number;
  /** Seconds the inception lies in the past (default 1 h). */
  backdateSeconds?: number;
  /** Most signatures kept (default DEFAULT_DNSSEC_CACHE of answer/bounds.ts); the oldest go first. */
  cacheSize?: number;
  /** Uniform randomness in [0, 1) for the refresh jitter (default Math.random). */
  random?: () => number;
}

/**
 * Why a signature is made: a query found none it could serve (`inline`, the only one the signing budget limits),
 * signing in advance after a change (`ahead`), or the background refresh of one falling due (`refresh`).
 */
export type SigningPath = 'inline' | 'ahead' | 'refresh';

/** The share of a signature's lifetime after which it falls due: from JITTER_FROM to JITTER_FROM + JITTER_SPAN. */
const JITTER_FROM = 0.4;
const JITTER_SPAN = 0.1;

export interface Signatures {
  /** RRSIG rdata, one per signing key. */
  rrsigs: Buffer[];
  /**
   * Until when (seconds since 1970) an answer holding them may be kept: the earliest refresh point, or where one is
   * past (the background refresh is late) the earliest moment one stops being servable.
   */
  refreshAt: number;
}

interface Entry {
  rrsig: Buffer;
  /** When the background refresh replaces it (jittered). */
  refreshAt: number;
  /** The last moment it may be served: its expiration less the longest TTL it goes out with (maxTtl). */
  usableUntil: number;
  readonly key: SigningKey;
  readonly head: RRsetHead;
  /** The rrset in canonical form, to sign it again. */
  readonly records: Buffer;
}

/**
 * A copy in memory of its own. Small Buffers are slices of shared 8 KiB slabs, and a slab lives as long as any slice
 * of it: a cached signature would keep the slab of every short-lived buffer made beside it (measured: about 930 bytes
 * of buffer memory a signature, against 125 unpooled).
 */
function unpooled(bytes: Buffer): Buffer {
  const copy = Buffer.alloc(bytes.length);
  bytes.copy(copy);
  return copy;
}

export class ZoneSigner {
  readonly apex: string;
  readonly keys: readonly SigningKey[];
  /** Sign every rrset but the DNSKEY rrset: the keys without SEP, or all keys when every key has it (a CSK). */
  readonly zoneKeys: readonly SigningKey[];
  /** Sign the DNSKEY rrset: the keys with SEP, or all keys when none has it. */
  readonly keySigningKeys: readonly SigningKey[];
  readonly lifetime: number;
  readonly backdate: number;
  /** TTLs of signed rrsets are capped to this: a cached copy expires before its signature is refreshed. */
  readonly maxTtl: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, Entry>();
  readonly #random: () => number;
  /**
   * Signatures made for queries (inline), in advance and by the refresh, and taken from the cache by queries (for
   * metrics: counted up, read and reset by the caller).
   */
  made = 0;
  ahead = 0;
  refreshed = 0;
  hits = 0;

  constructor(apex: string, keys: readonly SigningKey[], options: SignerOptions = {}) {
    if (keys.length === 0) throw new Error(`zone '${apex}': no signing keys`);
    for (const key of keys) {
      if (key.zone !== apex) throw new Error(`key ${key.keyTag} belongs to '${key.zone}', not to zone '${apex}'`);
    }
    this.apex = apex;
    this.keys = keys;
    const sep = keys.filter((k) => (k.flags & DNSKEY_FLAG.SEP) !== 0);
    const nonSep = keys.filter((k) => (k.flags & DNSKEY_FLAG.SEP) === 0);
    this.zoneKeys = nonSep.length > 0 ? nonSep : keys;
    this.keySigningKeys = sep.length > 0 ? sep : keys;
    this.lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    this.backdate = options.backdateSeconds ?? DEFAULT_BACKDATE_SECONDS;
    if (!(this.lifetime >= 60)) throw new Error(`signature lifetime ${this.lifetime} s: at least 60 s`);
    this.maxTtl = Math.floor(this.lifetime / 2);
    this.#cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_DNSSEC_CACHE);
    this.#random = options.random ?? Math.random;
  }

  get cacheSize(): number {
    return this.#cache.size;
  }

  /** The DNSKEY rdata of every key, in key order. */
  dnskeys(): Buffer[] {
    return this.keys.map((k) => k.dnskey);
  }

  /**
   * The CDNSKEY rdata (RFC 7344 §3.2): the DNSKEY of each key the parent's DS should point at, the key-signing keys
   * (with SEP, or all keys when none has it), as they are signing now.
   */
  cdnskeys(): Buffer[] {
    return this.keySigningKeys.map((k) => k.dnskey);
  }

  /** The CDS rdata (RFC 7344 §3.1): the DS (digest type 2, SHA-256) of each key of cdnskeys(). */
  cds(): Buffer[] {
    return this.keySigningKeys.map((k) => dsRdata(this.apex, k.dnskey));
  }

  /**
   * Signatures over `rrset` at `now`: from the cache while they may be served, else made (and remembered). Inline,
   * with a `budget`, a signature that has to be made takes from it, and SigningBudgetExceeded is thrown when it is
   * spent. Ahead, a cached signature is kept unless due; nothing is taken from a budget.
   */
  sign(rrset: CanonicalRRset, now: number, budget?: SigningBudget, path: SigningPath = 'inline'): Signatures {
    const keys = SIGNED_BY_KSK.has(rrset.type) ? this.keySigningKeys : this.zoneKeys;
    const records = canonicalRecords(rrset);
    const digest = createHash('sha256').update(records).digest('base64');
    const rrsigs: Buffer[] = [];
    let refreshAt = Infinity;
    let shared: Buffer | undefined;
    for (const key of keys) {
      const cacheKey = `${key.keyTag}|${key.algorithm}|${rrset.name}|${rrset.type}|${rrset.ttl}|${digest}`;
      let entry = this.#cache.get(cacheKey);
      if (entry && now < (path === 'inline' ? entry.usableUntil : entry.refreshAt)) {
        if (path === 'inline') this.hits++;
      } else {
        if (budget && path === 'inline' && !budget.take(now)) throw SigningBudgetExceeded.instance;
        shared ??= unpooled(records);
        entry = { rrsig: Buffer.alloc(0), refreshAt: 0, usableUntil: 0, key, head: headOf(rrset), records: shared };
        this.#resign(entry, now, path);
        this.#cache.delete(cacheKey);
        if (this.#cache.size >= this.#cacheSize) {
          const oldest = this.#cache.keys().next();
          if (!oldest.done) this.#cache.delete(oldest.value);
        }
        this.#cache.set(cacheKey, entry);
      }
      rrsigs.push(entry.rrsig);
      const until = now < entry.refreshAt ? entry.refreshAt : entry.usableUntil;
      if (until < refreshAt) refreshAt = until;
    }
    return { rrsigs, refreshAt };
  }

  /**
   * Re-signs, a step at a time, every cached signature due before `until` (seconds since 1970), at the time `clock`
   * gives. A step re-signs at most one, or looks at up to SCAN_STEP that are not due: the caller runs steps while it
   * has time (background.ts), and queries may use and add signatures between steps.
   */
  *refreshing(until: number, clock: () => number): Generator<void, void, void> {
    let scanned = 0;
    for (const entry of this.#cache.values()) {
      if (entry.refreshAt < until) {
        this.#resign(entry, clock(), 'refresh');
        yield;
      } else if (++scanned % SCAN_STEP === 0) {
        yield;
      }
    }
  }

  /** Signs `entry` anew at `now`, in place (its place in the cache's order stays). */
  #resign(entry: Entry, now: number, path: SigningPath): void {
    const t = Math.floor(now);
    entry.rrsig = unpooled(
      signRecords(entry.key, entry.head, entry.records, validityAt(now, this.lifetime, this.backdate)),
    );
    entry.refreshAt = t + Math.floor(this.lifetime * (JITTER_FROM + JITTER_SPAN * this.#random()));
    entry.usableUntil = t + this.maxTtl;
    if (path === 'inline') this.made++;
    else if (path === 'ahead') this.ahead++;
    else this.refreshed++;
  }
}

/** Entries not due the refresh looks at between two steps. */
const SCAN_STEP = 256;

const headOf = (rrset: RRsetHead): RRsetHead => ({ name: rrset.name, type: rrset.type, ttl: rrset.ttl });

/** One signer per zone that has keys, by apex. */
export function signersFor(keys: readonly SigningKey[], options: SignerOptions = {}): Map<string, ZoneSigner> {
  const byZone = new Map<string, SigningKey[]>();
  for (const key of keys) {
    const list = byZone.get(key.zone);
    if (list) list.push(key);
    else byZone.set(key.zone, [key]);
  }
  return new Map([...byZone].map(([zone, zoneKeys]) => [zone, new ZoneSigner(zone, zoneKeys, options)]));
}
