// What the signer works on, as plain data shared by the files of this folder. The key numbers and `SigningKey`
// are in lib/dnssec/types.ts, shared with the operator.

/** Type numbers the signer needs besides those of the zone store. */
export const RRTYPE = { DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, CDS: 59, CDNSKEY: 60, NXNAME: 128 } as const;

/** The types a signed zone answers differently without the DO bit too: RRSIG, NSEC, DNSKEY, CDS and CDNSKEY. */
export function isDnssecType(qtype: number): boolean {
  return (qtype >= RRTYPE.RRSIG && qtype <= RRTYPE.DNSKEY) || qtype === RRTYPE.CDS || qtype === RRTYPE.CDNSKEY;
}

/**
 * An rrset ready to sign: owner in text form, type number, the TTL served (the RRSIG's original TTL) and each
 * record's rdata in canonical wire form (canonical.ts).
 */
export interface CanonicalRRset extends RRsetHead {
  readonly rdata: readonly Buffer[];
}

/** What an RRSIG header says of the rrset it covers. */
export interface RRsetHead {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
}

/** Signature validity in seconds since 1970 (RRSIG inception and expiration, RFC 4034 §3.1.5). */
export interface Validity {
  readonly inception: number;
  readonly expiration: number;
}
