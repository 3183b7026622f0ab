// RRSIG generation (RFC 4034 §3): the signing input is the RRSIG rdata without its signature (signer's name in
// canonical form) followed by the rrset in canonical form. ECDSA P-256 signs SHA-256 of it and gives r||s
// (RFC 6605 §4, 'ieee-p1363'); Ed25519 signs it as is (RFC 8080 §4, PureEdDSA).
import { sign } from 'node:crypto';
import { canonicalName } from '../../lib/dns/name.ts';
import { ALGORITHM, DEFAULT_LIFETIME_SECONDS, type SigningKey } from '../../lib/dnssec/types.ts';
import { canonicalRecords, labelCount } from './canonical.ts';
import type { CanonicalRRset, RRsetHead, Validity } from './types.ts';

/** Inception back-dated by an hour for clocks that run behind (as Knot and PowerDNS do). */
export const DEFAULT_BACKDATE_SECONDS = 3600;

/** RRSIG validity for signing at `now` (seconds since 1970). Times wrap modulo 2^32 (RFC 4034 §3.1.5). */
export function validityAt(
  now: number,
  lifetime = DEFAULT_LIFETIME_SECONDS,
  backdate = DEFAULT_BACKDATE_SECONDS,
): Validity {
  const t = Math.floor(now);
  return { inception: (t - backdate) >>> 0, expiration: (t + lifetime) >>> 0 };
}

/** The RRSIG rdata fields before the signature (RFC 4034 §3.1.8.1). */
export function rrsigHeader(key: SigningKey, rrset: RRsetHead, validity: Validity): Buffer {
  const signer = canonicalName(key.zone);
  const out = Buffer.allocUnsafe(18 + signer.length);
  out.writeUInt16BE(rrset.type, 0);
  out[2] = key.algorithm;
  out[3] = labelCount(rrset.name);
  out.writeUInt32BE(rrset.ttl >>> 0, 4);
  out.writeUInt32BE(validity.expiration >>> 0, 8);
  out.writeUInt32BE(validity.inception >>> 0, 12);
  out.writeUInt16BE(key.keyTag, 16);
  signer.copy(out, 18);
  return out;
}

/** What is signed: the RRSIG header and the rrset in canonical form. */
export function signingInput(key: SigningKey, rrset: CanonicalRRset, validity: Validity): Buffer {
  return Buffer.concat([rrsigHeader(key, rrset, validity), canonicalRecords(rrset)]);
}

export function signData(key: SigningKey, data: Buffer): Buffer {
  return key.algorithm === ALGORITHM.ED25519
    ? sign(null, data, key.privateKey)
    : sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
}

/** The RRSIG rdata covering `rrset` (header | signature). Its owner is the rrset's owner, its TTL the rrset's. */
export function signRRset(key: SigningKey, rrset: CanonicalRRset, validity: Validity): Buffer {
  return signRecords(key, rrset, canonicalRecords(rrset), validity);
}

/** signRRset with the records already in canonical form (`canonicalRecords` of the rrset). */
export function signRecords(key: SigningKey, rrset: RRsetHead, records: Buffer, validity: Validity): Buffer {
  const header = rrsigHeader(key, rrset, validity);
  const signature = signData(key, Buffer.concat([header, records]));
  return Buffer.concat([header, signature]);
}
