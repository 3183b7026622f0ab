import { describe, expect, it } from 'vitest';
import { decideKeyChange } from '../../../../dnsserver/dnssec/key-change.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';

const a = generateSigningKey('a.test');
const a2 = generateSigningKey('a.test', ALGORITHM.ED25519);
const b = generateSigningKey('b.test');

describe('decideKeyChange', () => {
  it('names the keys added and removed, by their whole DNSKEY', () => {
    expect(decideKeyChange([a], [a, a2])).toEqual({
      result: 'accepted',
      added: [{ zone: 'a.test', algorithm: 15, keyTag: a2.keyTag, flags: a2.flags }],
      removed: [],
    });
    expect(decideKeyChange([a, a2, b], [a2, b])).toEqual({
      result: 'accepted',
      added: [],
      removed: [{ zone: 'a.test', algorithm: 13, keyTag: a.keyTag, flags: a.flags }],
    });
  });

  it('sees the same keys in another order as unchanged, and welcomes a zone signed for the first time', () => {
    expect(decideKeyChange([a, b], [b, a])).toEqual({ result: 'unchanged' });
    expect(decideKeyChange([a], [a, b]).result).toBe('accepted');
  });

  it('refuses a set that would leave a signed zone without keys, naming the zone', () => {
    expect(decideKeyChange([a, b], [a])).toEqual({
      result: 'refused',
      reason: 'no key left for b.test: the zone would turn unsigned (restart without its keys to do that on purpose)',
    });
    expect(decideKeyChange([a, b], [])).toMatchObject({
      result: 'refused',
      reason: expect.stringContaining('a.test, b.test'),
    });
  });
});
