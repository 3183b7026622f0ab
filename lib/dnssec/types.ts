// DNSSEC key numbers and the signing key, as plain data shared by the DNS server (which signs with keys) and the
// operator (which makes and keeps them).
import type { KeyObject } from 'node:crypto';

/** DNSSEC algorithm numbers geodns signs with (RFC 8624: both MUST for signers that sign at all). */
export const ALGORITHM = { ECDSAP256SHA256: 13, ED25519: 15 } as const;
export type Algorithm = (typeof ALGORITHM)[keyof typeof ALGORITHM];
export type AlgorithmName = keyof typeof ALGORITHM;
export const ALGORITHM_NAMES: Readonly<Record<Algorithm, AlgorithmName>> = { 13: 'ECDSAP256SHA256', 15: 'ED25519' };

/** DS digest types: SHA-256 (RFC 4509), the one made here; SHA-1 and SHA-384 (RFC 6605), which a parent may hold. */
export const DIGEST_SHA1 = 1;
export const DIGEST_SHA256 = 2;
export const DIGEST_SHA384 = 4;

/** DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §3). */
export const DNSKEY_FLAG = { ZONE: 0x0100, REVOKE: 0x0080, SEP: 0x0001 } as const;
export const DNSKEY_PROTOCOL = 3;

/**
 * One signing key of a zone. `zone` is the owner of its DNSKEY in text form (lower case, no trailing dot).
 * `dnskey` is the DNSKEY rdata (flags, protocol, algorithm, public key), from which the key tag comes.
 */
export interface SigningKey {
  readonly zone: string;
  readonly algorithm: Algorithm;
  readonly flags: number;
  readonly keyTag: number;
  /** The DNSKEY public key field: x||y for P-256 (64 bytes), the raw key for Ed25519 (32 bytes). */
  readonly publicKey: Buffer;
  readonly dnskey: Buffer;
  readonly privateKey: KeyObject;
}

/**
 * Signatures are short-lived: they bound how long a captured answer (a stale failover answer) can be replayed.
 * Three hours from now; refreshed once less than half of that is left.
 */
export const DEFAULT_LIFETIME_SECONDS = 3 * 3600;
/** The DNS server caps the TTL of every signed rrset at half the signature lifetime (no cached copy outlives it). */
export const SIGNED_TTL_CAP_SECONDS = DEFAULT_LIFETIME_SECONDS / 2;
