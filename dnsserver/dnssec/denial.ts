// Compact denial of existence (RFC 9824, "black lies"): an online signer proves what does not exist with one NSEC
// owned by the query name, whose next name is the name's immediate successor `\000.<name>`, so it covers no other
// name and reveals nothing of the zone. Pure functions over plain data.
import dnsPacket from 'dns-packet';
import { canonicalName } from '../../lib/dns/name.ts';
import { RRTYPE } from './types.ts';

interface NsecCodec {
  nsec: { encode(record: { nextDomain: string; rrtypes: string[] }): Buffer };
}
// dns-packet encodes the NSEC type bitmap (RFC 4034 §4.1.2); its typings leave out the per-type encoders. It takes
// type names, and reads `UNKNOWN_<n>` as type n, which spells every type including NXNAME (128).
const codec = dnsPacket as unknown as NsecCodec;

/** The immediate successor of a name in canonical order (RFC 4034 §6.1): `\000.<name>`, in text form. */
export function immediateSuccessor(name: string): string {
  return name === '' ? '\\000' : `\\000.${name}`;
}

/** Sorted, de-duplicated, with RRSIG and NSEC (the NSEC itself is signed), and without `denied`. */
function bitmapTypes(types: Iterable<number>, denied?: number): number[] {
  const set = new Set(types);
  set.add(RRTYPE.RRSIG);
  set.add(RRTYPE.NSEC);
  if (denied !== undefined) set.delete(denied);
  return [...set].sort((a, b) => a - b);
}

/**
 * Types of the NSEC of a name that does not exist (RFC 9824 §3.2): RRSIG, NSEC and the NXNAME pseudo-type, which
 * tells a validator (and a resolver that follows RFC 9824 §4) that the name really is NXDOMAIN.
 */
export function nxdomainTypes(): number[] {
  return bitmapTypes([RRTYPE.NXNAME]);
}

/**
 * Types of the NSEC of a name that exists but has no data of type `qtype`: every type any client could get at it
 * (`present`), never `qtype` itself (a validator refuses a NODATA proof whose bitmap holds the type asked for).
 * An empty non-terminal has none: RRSIG and NSEC only (RFC 9824 §3.3).
 */
export function nodataTypes(present: Iterable<number>, qtype: number): number[] {
  return bitmapTypes(present, qtype);
}

/** The rdata of `owner NSEC \000.owner <types>` (RFC 4034 §4.1; the next name is never compressed). */
export function compactNsecRdata(owner: string, types: readonly number[]): Buffer {
  const next = canonicalName(immediateSuccessor(owner));
  // dns-packet lays out rdlength (2), the next name ('.' is one byte), then the bitmap.
  const encoded = codec.nsec.encode({ nextDomain: '.', rrtypes: types.map((t) => `UNKNOWN_${t}`) });
  return Buffer.concat([next, encoded.subarray(3)]);
}

/**
 * The rcode of a compact NXDOMAIN answer: NOERROR (the name is said to exist, with no data), unless the query set
 * the Compact Answers OK flag, which asks for NXDOMAIN back (RFC 9824 §4); the reply then sets CO too.
 */
export function compactNxdomainRcode(compactOk: boolean): number {
  return compactOk ? 3 : 0;
}
