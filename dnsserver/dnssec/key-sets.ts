// The apex key rrsets of a signed zone: DNSKEY, and CDS and CDNSKEY (RFC 7344) for the parent. The zone's own keys
// first, then the keys other signers of the zone use (RFC 8901 model 2: the compiled document's
// `dnssec.publishedKeys`), which are published and never signed with: the rrsets are signed by this server's own
// key-signing keys alone. A zone going unsigned (`dnssec.deleteDs`) keeps its DNSKEY rrset and signing, and its CDS
// and CDNSKEY become the RFC 8078 §4 delete records, which ask the parent to remove the DS. Built once per signer and
// document, not per query.
import type { CompiledDnssec, CompiledPublishedKey } from '../../api/compiled.ts';
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

/** RFC 8078 §4: `CDS 0 0 0 00` (key tag 0, algorithm 0, digest type 0, one zero octet of digest). */
export const CDS_DELETE = Buffer.from([0, 0, 0, 0, 0]);
/** RFC 8078 §4: `CDNSKEY 0 3 0 AA==` (flags 0, protocol 3, algorithm 0, one zero octet of key). */
export const CDNSKEY_DELETE = Buffer.from([0, 0, 3, 0, 0]);

/** The key rrsets of `signer`'s zone with `published` beside its own keys (one that is also its own is not twice);
 *  `deleteDs`: the CDS and CDNSKEY rrsets are the delete records alone. */
export function buildKeySets(
  signer: ZoneSigner,
  published: readonly CompiledPublishedKey[] = [],
  deleteDs = false,
): KeySets {
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
  if (deleteDs) return { dnskey, cdnskey: [CDNSKEY_DELETE], cds: [CDS_DELETE] };
  return { dnskey, cdnskey, cds: cdnskey.map((rdata) => dsRdata(signer.apex, rdata)) };
}

const built = new WeakMap<
  ZoneSigner,
  { published: readonly CompiledPublishedKey[] | undefined; deleteDs: boolean; sets: KeySets }
>();

/** buildKeySets for a document's `dnssec`, remembered while the signer and the document's list stay the same objects
 *  (both are replaced whole when the keys or the zones change) and deleteDs the same. */
export function keySetsOf(signer: ZoneSigner, dnssec: CompiledDnssec | undefined): KeySets {
  const published = dnssec?.publishedKeys;
  const deleteDs = dnssec?.deleteDs === true;
  const known = built.get(signer);
  if (known && known.published === published && known.deleteDs === deleteDs) return known.sets;
  const sets = buildKeySets(signer, published, deleteDs);
  built.set(signer, { published, deleteDs, sets });
  return sets;
}
