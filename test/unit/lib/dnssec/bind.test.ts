// BIND key files: keys that dnssec-keygen (bind9-utils) makes are read, keys written here are read by
// dnssec-dsfromkey, and every broken file is refused saying which file, which line and what.
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatKeyPair,
  KeyFileError,
  keyFileBase,
  parseKeyFileBase,
  parseKeyPair,
  parsePublicKeyFile,
  secretKeyFileBase,
  type KeyPairText,
} from '../../../../lib/dnssec/bind.ts';
import { dsText, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';
import { tempDir } from '../../../support/temp-dir.ts';

let dir: string;
let removeDir: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('bind-keys'));
});
afterAll(async () => {
  await removeDir?.();
});

async function keygen(...args: string[]): Promise<{ base: string; pair: KeyPairText }> {
  const base = execFileSync('dnssec-keygen', ['-q', '-K', dir, ...args], { encoding: 'utf8' }).trim();
  const keyFile = path.join(dir, `${base}.key`);
  const privateFile = path.join(dir, `${base}.private`);
  return {
    base,
    pair: {
      keyFile,
      key: await readFile(keyFile, 'utf8'),
      privateFile,
      private: await readFile(privateFile, 'utf8'),
    },
  };
}

describe('keys made by dnssec-keygen', () => {
  for (const [name, args, algorithm, flags] of [
    ['ECDSA P-256 zone-signing key', ['-a', 'ECDSAP256SHA256', '-n', 'ZONE'], ALGORITHM.ECDSAP256SHA256, 256],
    ['Ed25519 key-signing key', ['-a', 'ED25519', '-f', 'KSK', '-n', 'ZONE'], ALGORITHM.ED25519, 257],
  ] as const) {
    it(`reads a ${name} with the tag, DS and public key BIND gives it`, async () => {
      const { base, pair } = await keygen(...args, 'Geo.Example.COM');
      const key = parseKeyPair(pair);
      expect(key.zone).toBe('geo.example.com');
      expect(key.algorithm).toBe(algorithm);
      expect(key.flags).toBe(flags);
      expect(parseKeyFileBase(base)).toEqual({ zone: 'geo.example.com', algorithm, keyTag: key.keyTag });
      expect(keyFileBase(key.zone, key.algorithm, key.keyTag)).toBe(base.replace('Geo.Example.COM', 'geo.example.com'));
      const bindDs = execFileSync('dnssec-dsfromkey', ['-2', pair.keyFile], { encoding: 'utf8' });
      expect(bindDs.trim().split(/\s+/).slice(3).join(' ').toLowerCase()).toBe(dsText(key.zone, key.dnskey));
    });
  }

  it('writes pairs that BIND reads back to the same DS, and that parse to the same key', async () => {
    for (const algorithm of [ALGORITHM.ECDSAP256SHA256, ALGORITHM.ED25519]) {
      const key = generateSigningKey('geo.example.com', algorithm);
      const written = formatKeyPair(key, new Date('2026-01-02T03:04:05Z'));
      expect(written.base).toMatch(/^Kgeo\.example\.com\.\+01[35]\+\d{5}$/);
      expect(written.private).toContain('Created: 20260102030405');
      const keyFile = path.join(dir, `${written.base}.key`);
      await writeFile(keyFile, written.key);
      await writeFile(path.join(dir, `${written.base}.private`), written.private);
      const bindDs = execFileSync('dnssec-dsfromkey', ['-2', keyFile], { encoding: 'utf8' });
      expect(bindDs.trim().split(/\s+/).slice(3).join(' ').toLowerCase()).toBe(dsText(key.zone, key.dnskey));
      const again = parseKeyPair({ keyFile, key: written.key, privateFile: 'p', private: written.private });
      expect(again.dnskey).toEqual(key.dnskey);
      expect(again.keyTag).toBe(key.keyTag);
    }
  });

  it('reads a .key with a TTL, a class and the key split over parentheses', () => {
    const key = generateSigningKey('geo.example.com');
    const b64 = key.publicKey.toString('base64');
    const record = parsePublicKeyFile(
      `; comment\ngeo.example.com. 3600 IN DNSKEY 257 3 13 (\n  ${b64.slice(0, 40)}\n  ${b64.slice(40)} ) ; trailing\n`,
      'k.key',
    );
    expect(record.publicKey).toEqual(key.publicKey);
    expect(record.flags).toBe(257);
  });
});

describe('broken key files', () => {
  const good = () => {
    const key = generateSigningKey('geo.example.com');
    const written = formatKeyPair(key);
    return { keyFile: 'K.key', key: written.key, privateFile: 'K.private', private: written.private };
  };
  const refused = (pair: KeyPairText): KeyFileError => {
    try {
      parseKeyPair(pair);
    } catch (error) {
      expect(error).toBeInstanceOf(KeyFileError);
      return error as KeyFileError;
    }
    throw new Error('accepted');
  };

  it('names the file and line of what is wrong', () => {
    const pair = good();
    expect(refused({ ...pair, key: '; only a comment\n' }).message).toBe(
      'K.key: no DNSKEY record (only comments or blank lines)',
    );
    expect(refused({ ...pair, key: pair.key.replace('geo.example.com. IN', 'geo.example.com IN') }).message).toMatch(
      /^K\.key:5: owner 'geo\.example\.com' is not absolute/,
    );
    expect(refused({ ...pair, key: pair.key.replace(' DNSKEY ', ' DS ') }).message).toBe(
      "K.key:5: expected a DNSKEY record, found type 'DS'",
    );
    expect(refused({ ...pair, key: pair.key.replace(' 3 13 ', ' 4 13 ') }).message).toBe(
      'K.key:5: DNSKEY protocol is 4, must be 3',
    );
    expect(
      refused({ ...pair, private: pair.private.replace(/PrivateKey: .*/, 'PrivateKey: not*base64') }).message,
    ).toBe('K.private:3: PrivateKey is not base64');
    expect(refused({ ...pair, private: pair.private.replace(/PrivateKey: .*\n/, '') }).message).toBe(
      "K.private: no 'PrivateKey:' field",
    );
    expect(refused({ ...pair, private: pair.private.replace('v1.3', 'v2.0') }).message).toBe(
      "K.private:1: Private-key-format 'v2.0' is not v1.x",
    );
    expect(
      refused({ ...pair, private: pair.private.replace('Algorithm: 13 (ECDSAP256SHA256)', 'Algorithm: 8 (RSASHA256)') })
        .message,
    ).toBe("K.private:2: algorithm '8 (RSASHA256)' is not supported (13 ECDSAP256SHA256 or 15 ED25519)");
    expect(refused({ ...pair, private: pair.private.replace(/PrivateKey: .*/, 'PrivateKey: AAAA') }).message).toBe(
      'K.private:3: PrivateKey: algorithm 13 takes a 32-byte private key, got 3 bytes',
    );
    expect(refused({ ...pair, key: pair.key.replace(' 257 3 ', ' 1 3 ') }).message).toBe(
      'K.key: DNSKEY flags 1: not a zone key (bit 7 clear)',
    );
    expect(refused({ ...pair, key: pair.key.replace(' 257 3 ', ' 385 3 ') }).message).toBe(
      'K.key: DNSKEY flags 385: the key is revoked',
    );
  });

  it('refuses a public key that is not the private key’s (a tampered .key)', () => {
    const pair = good();
    const other = formatKeyPair(generateSigningKey('geo.example.com'));
    expect(refused({ ...pair, key: other.key }).message).toMatch(
      /^K\.key: the DNSKEY public key is not the public half of K\.private/,
    );
    const ed = formatKeyPair(generateSigningKey('geo.example.com', ALGORITHM.ED25519));
    expect(refused({ ...pair, key: ed.key }).message).toBe(
      "K.key: DNSKEY algorithm 15 differs from the private key's 13 (K.private)",
    );
  });

  it('lists nothing but key pairs as key files', async () => {
    expect(parseKeyFileBase('README')).toBeUndefined();
    expect(parseKeyFileBase('Kgeo.example.com.+013+01234.private')?.keyTag).toBe(1234);
    // The form a Secret's data keys allow ('+' is not among [-._a-zA-Z0-9]), which the operator writes.
    expect(secretKeyFileBase('geo.example.com', 13, 1234)).toBe('Kgeo.example.com._013_01234');
    expect(parseKeyFileBase('Kgeo.example.com._013_01234.key')).toEqual({
      zone: 'geo.example.com',
      algorithm: 13,
      keyTag: 1234,
    });
    expect(parseKeyFileBase('Kgeo.example.com._013+01234.key')).toBeUndefined();
    expect((await readdir(dir)).length).toBeGreaterThan(0);
  });
});
