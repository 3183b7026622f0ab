// A DNSKEY another signer of a zone uses (RFC 8901 multi-signer, model 2): flags, algorithm and public key, never
// private material. Peers send their own in their documents (operator/peers/protocol.ts), the operator writes the
// peers' into the compiled document (`dnssec.publishedKeys`), and the DNS server publishes them in the zone's DNSKEY
// rrset (and CDS, CDNSKEY) beside its own keys, which alone sign.
import { dnskeyRdata, isAlgorithm, PUBLIC_KEY_LENGTH } from './keys.ts';
import { DNSKEY_FLAG } from './types.ts';

export interface PublishedKey {
  flags: number;
  algorithm: number;
  /** The DNSKEY public key field, base64. */
  publicKey: string;
}

/** The most keys one signer may publish for a zone (a roll holds two; a document with more is refused). */
export const MAX_PUBLISHED_KEYS = 8;

const ZONE_KEY_FLAGS: ReadonlySet<number> = new Set([DNSKEY_FLAG.ZONE, DNSKEY_FLAG.ZONE | DNSKEY_FLAG.SEP]);

/** `value` as a PublishedKey (flags 256 or 257, algorithm 13 or 15, a public key of that algorithm's length), or
 *  what is wrong with it. */
export function parsePublishedKey(value: unknown, where: string): PublishedKey | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where} is not an object`;
  const { flags, algorithm, publicKey } = value as Record<string, unknown>;
  if (typeof flags !== 'number' || !ZONE_KEY_FLAGS.has(flags)) return `${where}: flags must be 256 or 257`;
  if (typeof algorithm !== 'number' || !isAlgorithm(algorithm)) return `${where}: algorithm must be 13 or 15`;
  if (typeof publicKey !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(publicKey) || publicKey.length > 200) {
    return `${where}: publicKey must be base64`;
  }
  const bytes = Buffer.from(publicKey, 'base64');
  if (bytes.length !== PUBLIC_KEY_LENGTH[algorithm]) {
    return `${where}: a public key of algorithm ${algorithm} has ${PUBLIC_KEY_LENGTH[algorithm]} bytes, not ${bytes.length}`;
  }
  return { flags, algorithm, publicKey: bytes.toString('base64') };
}

/** The key's DNSKEY rdata. */
export function publishedDnskey(key: PublishedKey): Buffer {
  return dnskeyRdata(key.flags, key.algorithm, Buffer.from(key.publicKey, 'base64'));
}

/** Whether two keys are the same DNSKEY. */
export function sameKey(a: PublishedKey, b: PublishedKey): boolean {
  return a.flags === b.flags && a.algorithm === b.algorithm && a.publicKey === b.publicKey;
}
