// The apex key rrsets of a signed zone: DNSKEY, and CDS and CDNSKEY (RFC 7344) for the parent. The zone's own keys
// first, then the keys other signers of the zone use (RFC 8901 model 2: the compiled document's
// `dnssec.publishedKeys`), which are published and never signed with: the rrsets are signed by this server's own
// key-signing keys alone. Built once per signer and document, not per query.
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import { dsRdata } from '../../lib/dnssec/keys.ts';
import { publishedDnskey } from '../../lib/dnssec/published.ts';
import { DNSKEY_FLAG } from '../../lib/dnssec/types.ts';
import type { ZoneSigner } from './signer.ts';

export interface KeySets {
  dnskey: readonly Buffer[];
  /** The DNSKEY of each key the parent's DS should point at: own key-signing keys, and the others' SEP keys. */
  cdnskey: readonly Buffer[];
  /** The DS (SHA-256) of each key of `cdnskey`. */
  cds: readonly Buffer[];
}

/** The key rrsets of `signer`'s zone with `published` beside its own keys (one that is also its own is not twice). */
export function buildKeySets(signer: ZoneSigner, published: readonly CompiledPublishedKey[] = []): KeySets {
  const dnskey = signer.dnskeys();
  const cdnskey = signer.cdnskeys();
  const seen = new Set(dnskey.map((d) => d.toString('base64')));
  for (const key of published) {
    const rdata = publishedDnskey(key);
    const id = rdata.toString('base64');
    if (seen.has(id)) continue;
    seen.add(id);
    dnskey.push(rdata);
    if ((key.flags & DNSKEY_FLAG.SEP) !== 0) cdnskey.push(rdata);
  }
  return { dnskey, cdnskey, cds: cdnskey.map((rdata) => dsRdata(signer.apex, rdata)) };
}

const built = new WeakMap<ZoneSigner, { published: readonly CompiledPublishedKey[] | undefined; sets: KeySets }>();

/** buildKeySets, remembered while the signer and the document's list stay the same objects (both are replaced whole
 *  when the keys or the zones change). */
export function keySetsOf(signer: ZoneSigner, published: readonly CompiledPublishedKey[] | undefined): KeySets {
  const known = built.get(signer);
  if (known && known.published === published) return known.sets;
  const sets = buildKeySets(signer, published);
  built.set(signer, { published, sets });
  return sets;
}
