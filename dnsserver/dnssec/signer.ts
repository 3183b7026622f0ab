// The signer of one zone: its keys, its DNSKEY rrset, and a bounded cache of signatures. A signature is reused for
// every answer that carries the same rrset, whoever asked: the cache key is (key tag, algorithm, owner, type,
// original TTL, SHA-256 of the rrset in canonical form), which cannot collide short of SHA-256 itself. The clock is
// passed in (seconds since 1970): nothing here reads it.
import { createHash } from 'node:crypto';
import { canonicalRecords } from './canonical.ts';
import { DEFAULT_BACKDATE_SECONDS, signRRset, validityAt } from './sign.ts';
import { dsRdata } from '../../lib/dnssec/keys.ts';
import { DEFAULT_LIFETIME_SECONDS, DNSKEY_FLAG, type SigningKey } from '../../lib/dnssec/types.ts';
import { RRTYPE, type CanonicalRRset } from './types.ts';
import { SigningBudgetExceeded, type SigningBudget } from './budget.ts';

/** The rrsets the key-signing keys sign (as BIND does): DNSKEY, and CDS and CDNSKEY, which speak to the parent. */
const SIGNED_BY_KSK: ReadonlySet<number> = new Set([RRTYPE.DNSKEY, RRTYPE.CDS, RRTYPE.CDNSKEY]);

export interface SignerOptions {
  /** Seconds a signature is valid from when it is made (default 3 h). */
  lifetimeSeconds?: number;
  /** Seconds the inception lies in the past (default 1 h). */
  backdateSeconds?: number;
  /** Most signatures kept (default 50 000, as many as encoded answers); the oldest go first. */
  cacheSize?: number;
}

export interface Signatures {
  /** RRSIG rdata, one per signing key. */
  rrsigs: Buffer[];
  /** When (seconds since 1970) the earliest of them should be replaced: half its lifetime. */
  refreshAt: number;
}

interface Entry {
  rrsig: Buffer;
  refreshAt: number;
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
  /** Signatures made, and signatures taken from the cache (for metrics: counted up, read and reset by the caller). */
  made = 0;
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
    this.#cacheSize = Math.max(1, options.cacheSize ?? 50_000);
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
   * Signatures over `rrset` at `now`: from the cache while fresh, else made (and remembered). With a `budget`, a
   * signature that has to be made takes from it, and SigningBudgetExceeded is thrown when it is spent.
   */
  sign(rrset: CanonicalRRset, now: number, budget?: SigningBudget): Signatures {
    const keys = SIGNED_BY_KSK.has(rrset.type) ? this.keySigningKeys : this.zoneKeys;
    const digest = createHash('sha256').update(canonicalRecords(rrset)).digest('base64');
    const rrsigs: Buffer[] = [];
    let refreshAt = Infinity;
    for (const key of keys) {
      const cacheKey = `${key.keyTag}|${key.algorithm}|${rrset.name}|${rrset.type}|${rrset.ttl}|${digest}`;
      let entry = this.#cache.get(cacheKey);
      if (entry && now < entry.refreshAt) {
        this.hits++;
      } else {
        if (budget && !budget.take(now)) throw SigningBudgetExceeded.instance;
        const validity = validityAt(now, this.lifetime, this.backdate);
        entry = {
          rrsig: unpooled(signRRset(key, rrset, validity)),
          refreshAt: Math.floor(now) + Math.floor(this.lifetime / 2),
        };
        this.made++;
        this.#cache.delete(cacheKey);
        if (this.#cache.size >= this.#cacheSize) {
          const oldest = this.#cache.keys().next();
          if (!oldest.done) this.#cache.delete(oldest.value);
        }
        this.#cache.set(cacheKey, entry);
      }
      rrsigs.push(entry.rrsig);
      if (entry.refreshAt < refreshAt) refreshAt = entry.refreshAt;
    }
    return { rrsigs, refreshAt };
  }
}

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
