// Signing keys: from the private key bytes to the DNSKEY rdata, its key tag (RFC 4034 Appendix B) and its DS
// (RFC 4034 §5.1.4, SHA-256 per RFC 4509). Node's crypto does the curves; nothing here is written by hand that it
// already does.
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { canonicalName } from '../dns/name.ts';
import {
  ALGORITHM,
  DIGEST_SHA1,
  DIGEST_SHA256,
  DIGEST_SHA384,
  DNSKEY_FLAG,
  DNSKEY_PROTOCOL,
  type Algorithm,
  type SigningKey,
} from './types.ts';

/** Private key lengths of the BIND `PrivateKey:` field: the P-256 scalar d, the Ed25519 seed. */
export const PRIVATE_KEY_LENGTH: Readonly<Record<Algorithm, number>> = { 13: 32, 15: 32 };
export const PUBLIC_KEY_LENGTH: Readonly<Record<Algorithm, number>> = { 13: 64, 15: 32 };

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7): a fixed prefix, then the 32 bytes.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function isAlgorithm(n: number): n is Algorithm {
  return n === ALGORITHM.ECDSAP256SHA256 || n === ALGORITHM.ED25519;
}

/** RFC 4034 Appendix B: the key tag of a DNSKEY rdata (algorithm 1 excepted, which is not supported here). */
export function keyTag(dnskey: Buffer): number {
  let ac = 0;
  for (let i = 0; i < dnskey.length; i++) ac += i & 1 ? (dnskey[i] as number) : (dnskey[i] as number) << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

export function dnskeyRdata(flags: number, algorithm: number, publicKey: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + publicKey.length);
  out.writeUInt16BE(flags, 0);
  out[2] = DNSKEY_PROTOCOL;
  out[3] = algorithm;
  publicKey.copy(out, 4);
  return out;
}

/** The DS digests computed here: SHA-256 is what parents are given; SHA-1 and SHA-384 are checked when a parent
 *  holds them. */
export const DS_DIGESTS = { [DIGEST_SHA1]: 'sha1', [DIGEST_SHA256]: 'sha256', [DIGEST_SHA384]: 'sha384' } as const;
export type DsDigestType = keyof typeof DS_DIGESTS;

export function isDsDigestType(n: number): n is DsDigestType {
  return n === DIGEST_SHA1 || n === DIGEST_SHA256 || n === DIGEST_SHA384;
}

/** The DS rdata of a DNSKEY owned by `zone`: key tag, algorithm, digest type, digest(owner | DNSKEY rdata). */
export function dsRdata(zone: string, dnskey: Buffer, digestType: DsDigestType = DIGEST_SHA256): Buffer {
  const digest = createHash(DS_DIGESTS[digestType]).update(canonicalName(zone)).update(dnskey).digest();
  const out = Buffer.allocUnsafe(4 + digest.length);
  out.writeUInt16BE(keyTag(dnskey), 0);
  out[2] = dnskey[3] as number;
  out[3] = digestType;
  digest.copy(out, 4);
  return out;
}

/** DS in presentation form, as a registrar takes it: `<tag> <alg> 2 <hex>`. */
export function dsText(zone: string, dnskey: Buffer): string {
  const ds = dsRdata(zone, dnskey);
  return `${ds.readUInt16BE(0)} ${ds[2]} ${ds[3]} ${ds.subarray(4).toString('hex')}`;
}

function fromBase64Url(text: string | undefined, what: string): Buffer {
  if (text === undefined) throw new Error(`${what} missing from the key`);
  return Buffer.from(text, 'base64url');
}

/** The KeyObject of a raw private key (P-256 scalar or Ed25519 seed) and its DNSKEY public key field. */
export function privateKeyFromRaw(algorithm: Algorithm, raw: Buffer): { privateKey: KeyObject; publicKey: Buffer } {
  const expected = PRIVATE_KEY_LENGTH[algorithm];
  if (raw.length !== expected) {
    throw new Error(`algorithm ${algorithm} takes a ${expected}-byte private key, got ${raw.length} bytes`);
  }
  if (algorithm === ALGORITHM.ED25519) {
    const privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]),
      format: 'der',
      type: 'pkcs8',
    });
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    return { privateKey, publicKey: fromBase64Url(jwk.x, 'Ed25519 public key') };
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(raw); // throws for 0 or a scalar not below the group order
  const point = ecdh.getPublicKey(); // 0x04 | x | y
  const publicKey = point.subarray(1);
  const privateKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: raw.toString('base64url'),
      x: publicKey.subarray(0, 32).toString('base64url'),
      y: publicKey.subarray(32).toString('base64url'),
    },
    format: 'jwk',
  });
  return { privateKey, publicKey };
}

/** The raw private key (the BIND `PrivateKey:` field) of a KeyObject. */
export function rawPrivateKey(algorithm: Algorithm, privateKey: KeyObject): Buffer {
  const jwk = privateKey.export({ format: 'jwk' });
  const d = fromBase64Url(jwk.d, 'private scalar');
  if (algorithm === ALGORITHM.ECDSAP256SHA256 && d.length < 32) return Buffer.concat([Buffer.alloc(32 - d.length), d]);
  return d;
}

/** A signing key of `zone` from its raw private key. `flags`: 257 for a combined (or key-signing) key, 256 for a ZSK. */
export function signingKey(
  zone: string,
  algorithm: Algorithm,
  raw: Buffer,
  flags: number = DNSKEY_FLAG.ZONE | DNSKEY_FLAG.SEP,
): SigningKey {
  const { privateKey, publicKey } = privateKeyFromRaw(algorithm, raw);
  const dnskey = dnskeyRdata(flags, algorithm, publicKey);
  return { zone, algorithm, flags, keyTag: keyTag(dnskey), publicKey, dnskey, privateKey };
}

/** A new key (for tests and for `generate` tooling): ECDSA P-256 by default, as the issue asks. */
export function generateSigningKey(
  zone: string,
  algorithm: Algorithm = ALGORITHM.ECDSAP256SHA256,
  flags: number = DNSKEY_FLAG.ZONE | DNSKEY_FLAG.SEP,
): SigningKey {
  const pair =
    algorithm === ALGORITHM.ED25519
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return signingKey(zone, algorithm, rawPrivateKey(algorithm, pair.privateKey), flags);
}
