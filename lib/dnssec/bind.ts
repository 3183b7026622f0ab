// Keys in BIND's format, as dnssec-keygen writes them (and Knot's keymgr and pdnsutil read and write them): a pair
// K<zone>.+<alg>+<tag>.key (the DNSKEY record in presentation form, after comments) and .private
// (`Field: value` lines, `Private-key-format: v1.x`). Text in, text out; reading the files is the caller's.
import { ALGORITHM_NAMES, DNSKEY_FLAG, DNSKEY_PROTOCOL, type Algorithm, type SigningKey } from './types.ts';
import { isAlgorithm, PUBLIC_KEY_LENGTH, rawPrivateKey, signingKey } from './keys.ts';
import { labelsToText, nameToLabels } from '../dns/name.ts';

/** A problem in a key file: the file (as given) and the line, when there is one, are in the message. */
export class KeyFileError extends Error {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, reason: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
    this.name = 'KeyFileError';
    this.file = file;
    this.line = line;
  }
}

/** What a .key file holds: one DNSKEY record. */
export interface PublicKeyRecord {
  /** Owner in the server's text form (lower case, no trailing dot). */
  zone: string;
  flags: number;
  algorithm: number;
  publicKey: Buffer;
}

/** `K<zone>.+<alg>+<tag>` for a zone in text form: K + the zone with its trailing dot, as BIND names the pair. */
export function keyFileBase(zone: string, algorithm: number, keyTag: number): string {
  return `K${zone === '' ? '' : zone}.+${String(algorithm).padStart(3, '0')}+${String(keyTag).padStart(5, '0')}`;
}

/**
 * `K<zone>._<alg>_<tag>`: BIND's name with `_` for `+`, which a Secret's data keys may not hold (they match
 * `[-._a-zA-Z0-9]+`). The operator names the pairs of its key Secret so; the DNS pods read both forms.
 */
export function secretKeyFileBase(zone: string, algorithm: number, keyTag: number): string {
  return keyFileBase(zone, algorithm, keyTag).replaceAll('+', '_');
}

/** Parses `K<zone>.+<alg>+<tag>` or `K<zone>._<alg>_<tag>` (any extension stripped); undefined when the name is not one. */
export function parseKeyFileBase(fileName: string): { zone: string; algorithm: number; keyTag: number } | undefined {
  const match = /^K(.*)\.([+_])(\d{3})\2(\d{5})(?:\.(?:key|private))?$/.exec(fileName);
  if (!match) return undefined;
  return { zone: (match[1] as string).toLowerCase(), algorithm: Number(match[3]), keyTag: Number(match[4]) };
}

function textName(name: string, file: string, line: number): string {
  try {
    return labelsToText(nameToLabels(name));
  } catch (error) {
    throw new KeyFileError(file, line, (error as Error).message);
  }
}

function base64(text: string, file: string, line: number, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new KeyFileError(file, line, `${what} is not base64`);
  }
  return Buffer.from(text, 'base64');
}

/**
 * Parses a .key file: comment lines (`;`) are skipped; the record is `owner [ttl] [class] DNSKEY flags protocol
 * algorithm key...` (BIND writes the key in one or more base64 words, optionally in parentheses).
 */
export function parsePublicKeyFile(text: string, file: string): PublicKeyRecord {
  const lines = text.split('\n');
  let tokens: string[] = [];
  let firstLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const content = (lines[i] as string).replace(/;.*$/, '').trim();
    if (content === '') continue;
    if (tokens.length === 0) firstLine = i + 1;
    tokens.push(...content.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean));
  }
  if (tokens.length === 0) throw new KeyFileError(file, undefined, 'no DNSKEY record (only comments or blank lines)');
  const owner = tokens[0] as string;
  if (!owner.endsWith('.')) {
    throw new KeyFileError(
      file,
      firstLine,
      `owner '${owner}' is not absolute (a .key file names it with a trailing dot)`,
    );
  }
  tokens = tokens.slice(1);
  if (/^\d+$/.test(tokens[0] ?? '')) tokens = tokens.slice(1);
  if ((tokens[0] ?? '').toUpperCase() === 'IN') tokens = tokens.slice(1);
  if (/^\d+$/.test(tokens[0] ?? '')) tokens = tokens.slice(1);
  const type = (tokens[0] ?? '').toUpperCase();
  if (type !== 'DNSKEY') {
    throw new KeyFileError(file, firstLine, `expected a DNSKEY record, found type '${tokens[0] ?? ''}'`);
  }
  const [flagsText, protocolText, algorithmText, ...keyWords] = tokens.slice(1);
  const number = (t: string | undefined, what: string, max: number): number => {
    if (t === undefined || !/^\d+$/.test(t) || Number(t) > max) {
      throw new KeyFileError(file, firstLine, `DNSKEY ${what}: expected a number up to ${max}, got '${t ?? ''}'`);
    }
    return Number(t);
  };
  const flags = number(flagsText, 'flags', 65535);
  const protocol = number(protocolText, 'protocol', 255);
  const algorithm = number(algorithmText, 'algorithm', 255);
  if (protocol !== DNSKEY_PROTOCOL)
    throw new KeyFileError(file, firstLine, `DNSKEY protocol is ${protocol}, must be 3`);
  if (keyWords.length === 0) throw new KeyFileError(file, firstLine, 'DNSKEY has no public key');
  const publicKey = base64(keyWords.join(''), file, firstLine, 'the DNSKEY public key');
  return { zone: textName(owner, file, firstLine), flags, algorithm, publicKey };
}

/** Parses a .private file into its fields (names as written, values trimmed), with the line of each. */
export function parsePrivateKeyFields(text: string, file: string): Map<string, { value: string; line: number }> {
  const fields = new Map<string, { value: string; line: number }>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new KeyFileError(file, i + 1, `expected 'Field: value', got '${line.slice(0, 40)}'`);
    const name = line.slice(0, colon).trim();
    if (fields.has(name)) throw new KeyFileError(file, i + 1, `field '${name}' given twice`);
    fields.set(name, { value: line.slice(colon + 1).trim(), line: i + 1 });
  });
  return fields;
}

export interface KeyPairText {
  /** Names as given (for messages): usually the file paths. */
  keyFile: string;
  key: string;
  privateFile: string;
  private: string;
}

/**
 * A signing key from a .key/.private pair. Refuses, saying which file and line, anything that would make signatures
 * nobody can check: a format other than v1.x, an algorithm other than 13 or 15, a private key of the wrong length,
 * a public key that is not the private key's, a key that is not a zone key or is revoked.
 */
export function parseKeyPair(pair: KeyPairText): SigningKey {
  const record = parsePublicKeyFile(pair.key, pair.keyFile);
  const fields = parsePrivateKeyFields(pair.private, pair.privateFile);
  const field = (name: string): { value: string; line: number } => {
    const found = fields.get(name);
    if (!found) throw new KeyFileError(pair.privateFile, undefined, `no '${name}:' field`);
    return found;
  };
  const format = field('Private-key-format');
  if (!/^v1\.\d+$/.test(format.value)) {
    throw new KeyFileError(pair.privateFile, format.line, `Private-key-format '${format.value}' is not v1.x`);
  }
  const algorithmField = field('Algorithm');
  const algorithm = Number(/^(\d+)/.exec(algorithmField.value)?.[1] ?? NaN);
  if (!isAlgorithm(algorithm)) {
    throw new KeyFileError(
      pair.privateFile,
      algorithmField.line,
      `algorithm '${algorithmField.value}' is not supported (13 ECDSAP256SHA256 or 15 ED25519)`,
    );
  }
  if (record.algorithm !== algorithm) {
    throw new KeyFileError(
      pair.keyFile,
      undefined,
      `DNSKEY algorithm ${record.algorithm} differs from the private key's ${algorithm} (${pair.privateFile})`,
    );
  }
  if (record.publicKey.length !== PUBLIC_KEY_LENGTH[algorithm]) {
    throw new KeyFileError(
      pair.keyFile,
      undefined,
      `the DNSKEY public key is ${record.publicKey.length} bytes; algorithm ${algorithm} has ${PUBLIC_KEY_LENGTH[algorithm]}`,
    );
  }
  if ((record.flags & DNSKEY_FLAG.ZONE) === 0) {
    throw new KeyFileError(pair.keyFile, undefined, `DNSKEY flags ${record.flags}: not a zone key (bit 7 clear)`);
  }
  if ((record.flags & DNSKEY_FLAG.REVOKE) !== 0) {
    throw new KeyFileError(pair.keyFile, undefined, `DNSKEY flags ${record.flags}: the key is revoked`);
  }
  const privateField = field('PrivateKey');
  const raw = base64(privateField.value, pair.privateFile, privateField.line, 'PrivateKey');
  let key: SigningKey;
  try {
    key = signingKey(record.zone, algorithm, raw, record.flags);
  } catch (error) {
    throw new KeyFileError(pair.privateFile, privateField.line, `PrivateKey: ${(error as Error).message}`);
  }
  if (!key.publicKey.equals(record.publicKey)) {
    throw new KeyFileError(
      pair.keyFile,
      undefined,
      `the DNSKEY public key is not the public half of ${pair.privateFile}'s private key (tampered or mismatched pair)`,
    );
  }
  return key;
}

/** Timestamps as BIND writes them: YYYYMMDDHHMMSS (UTC). */
function bindTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The .key and .private text for a key, as dnssec-keygen writes them (format v1.3). */
export function formatKeyPair(key: SigningKey, created = new Date()): { base: string; key: string; private: string } {
  const owner = `${key.zone}.`;
  const kind = key.flags & DNSKEY_FLAG.SEP ? 'key-signing' : 'zone-signing';
  const stamp = bindTime(created);
  const publicText =
    `; This is a ${kind} key, keyid ${key.keyTag}, for ${owner}\n` +
    `; Created: ${stamp} (${created.toUTCString()})\n` +
    `; Publish: ${stamp} (${created.toUTCString()})\n` +
    `; Activate: ${stamp} (${created.toUTCString()})\n` +
    `${owner} IN DNSKEY ${key.flags} ${DNSKEY_PROTOCOL} ${key.algorithm} ${key.publicKey.toString('base64')}\n`;
  const privateText =
    'Private-key-format: v1.3\n' +
    `Algorithm: ${key.algorithm} (${ALGORITHM_NAMES[key.algorithm as Algorithm]})\n` +
    `PrivateKey: ${rawPrivateKey(key.algorithm, key.privateKey).toString('base64')}\n` +
    `Created: ${stamp}\nPublish: ${stamp}\nActivate: ${stamp}\n`;
  return { base: keyFileBase(key.zone, key.algorithm, key.keyTag), key: publicText, private: privateText };
}
