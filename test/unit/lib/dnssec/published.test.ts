// Another signer's DNSKEY as peers send it and documents carry it (lib/dnssec/published.ts): what is taken, what is
// refused and why, and the rdata it publishes.
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { parsePublishedKey, publishedDnskey, sameKey } from '../../../../lib/dnssec/published.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';

describe('a published key', () => {
  it("takes a P-256 or Ed25519 zone key and gives back the signer's own DNSKEY rdata", () => {
    for (const key of [
      generateSigningKey('geo.example.com'),
      generateSigningKey('geo.example.com', ALGORITHM.ED25519, 256),
    ]) {
      const parsed = parsePublishedKey(
        { flags: key.flags, algorithm: key.algorithm, publicKey: key.publicKey.toString('base64') },
        'k',
      );
      expect(typeof parsed).toBe('object');
      if (typeof parsed === 'string') continue;
      expect(publishedDnskey(parsed).equals(key.dnskey)).toBe(true);
      expect(sameKey(parsed, { ...parsed })).toBe(true);
      expect(sameKey(parsed, { ...parsed, flags: parsed.flags ^ 1 })).toBe(false);
    }
  });

  it('refuses what is not a zone key of a supported algorithm with its length, naming where', () => {
    const good = generateSigningKey('geo.example.com').publicKey.toString('base64');
    const cases: [unknown, string][] = [
      [null, 'dnskeys[0] is not an object'],
      [{ flags: 385, algorithm: 13, publicKey: good }, 'dnskeys[0]: flags must be 256 or 257'],
      [{ flags: 257, algorithm: 8, publicKey: good }, 'dnskeys[0]: algorithm must be 13 or 15'],
      [{ flags: 257, algorithm: 13, publicKey: 'not base64!' }, 'dnskeys[0]: publicKey must be base64'],
      [{ flags: 257, algorithm: 15, publicKey: good }, 'dnskeys[0]: a public key of algorithm 15 has 32 bytes, not 64'],
    ];
    for (const [value, message] of cases) expect(parsePublishedKey(value, 'dnskeys[0]')).toBe(message);
  });
});
