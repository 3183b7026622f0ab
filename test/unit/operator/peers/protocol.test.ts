import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { MAX_PUBLISHED_KEYS } from '../../../../lib/dnssec/published.ts';
import {
  checkReceived,
  documentContext,
  encodeDocument,
  MAX_DOCUMENT_BYTES,
  parseDocument,
  REPLAY_WINDOW_MS,
  requestContext,
  SIGNATURE_HEADER,
  signHeaders,
  TIMESTAMP_HEADER,
  verifySignature,
  type PeerDocument,
} from '../../../../operator/peers/protocol.ts';

const KEY = Buffer.from('k'.repeat(32));
const OTHER_KEY = Buffer.from('o'.repeat(32));
const NOW = Date.parse('2026-12-06T10:00:00Z');

function doc(fields: Partial<PeerDocument> = {}): PeerDocument {
  return {
    version: 1,
    cluster: 'eu',
    zone: 'geo.example.com',
    sequence: 7,
    generatedAt: new Date(NOW).toISOString(),
    targets: [
      {
        namespace: 'web',
        endpoint: 'www',
        target: 'eu',
        service: { namespace: 'web', name: 'www-eu' },
        addresses: ['192.0.2.80', '2001:DB8::0:1'],
        ready: true,
      },
    ],
    ...fields,
  };
}

function signed(body: Buffer, key = KEY, at = NOW, context = documentContext('geo.example.com')) {
  const headers = signHeaders(key, at, context, body);
  return { body, timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
}

const expected = { zone: 'geo.example.com.', cluster: 'eu' };

describe('peer protocol', () => {
  it('takes a document signed with the shared key, addresses normalised', () => {
    const result = checkReceived(KEY, signed(encodeDocument(doc())), expected, NOW + 1000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.zone).toBe('geo.example.com');
    expect(result.value.targets[0]?.addresses).toEqual(['192.0.2.80', '2001:db8::1']);
  });

  it('refuses another key, a changed byte, a missing signature and a stale timestamp', () => {
    const body = encodeDocument(doc());
    expect(checkReceived(KEY, signed(body, OTHER_KEY), expected, NOW)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    const tampered = signed(body);
    tampered.body = Buffer.from(body.toString().replace('192.0.2.80', '192.0.2.81'));
    expect(checkReceived(KEY, tampered, expected, NOW)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(checkReceived(KEY, { body }, expected, NOW)).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(checkReceived(KEY, { ...signed(body), timestamp: 'soon' }, expected, NOW)).toMatchObject({
      ok: false,
      reason: 'unsigned',
    });
    expect(checkReceived(KEY, signed(body), expected, NOW + REPLAY_WINDOW_MS + 1)).toMatchObject({
      ok: false,
      reason: 'stale_signature',
    });
    expect(checkReceived(KEY, signed(body), expected, NOW - REPLAY_WINDOW_MS - 1)).toMatchObject({
      ok: false,
      reason: 'stale_signature',
    });
    expect(checkReceived(KEY, { ...signed(body), signature: 'sha256=zz' }, expected, NOW)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('binds a signature to what it is for: a request signature does not sign a document', () => {
    const body = encodeDocument(doc());
    const asRequest = signed(body, KEY, NOW, requestContext('geo.example.com', 'eu'));
    expect(checkReceived(KEY, asRequest, expected, NOW)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const request = signHeaders(KEY, NOW, requestContext('geo.example.com', 'us'));
    const check = (cluster: string) =>
      verifySignature(
        KEY,
        { timestamp: request[TIMESTAMP_HEADER], signature: request[SIGNATURE_HEADER] },
        requestContext('geo.example.com', cluster),
        new Uint8Array(),
        NOW,
      ).ok;
    expect(check('us')).toBe(true);
    expect(check('apac')).toBe(false);
  });

  it('refuses a signed document for another zone or from another cluster, and an older sequence', () => {
    const other = checkReceived(KEY, signed(encodeDocument(doc({ zone: 'other.example.com' }))), expected, NOW);
    expect(other).toMatchObject({ ok: false, reason: 'wrong_zone' });
    const impostor = checkReceived(KEY, signed(encodeDocument(doc({ cluster: 'us' }))), expected, NOW);
    expect(impostor).toMatchObject({ ok: false, reason: 'wrong_cluster' });
    const body = encodeDocument(doc({ sequence: 6 }));
    expect(checkReceived(KEY, signed(body), { ...expected, lastSequence: 7 }, NOW)).toMatchObject({
      ok: false,
      reason: 'replayed',
    });
    expect(checkReceived(KEY, signed(body), { ...expected, lastSequence: 6 }, NOW).ok).toBe(true);
  });

  it.each([
    ['not JSON', Buffer.from('{"version":1,')],
    ['a list', Buffer.from('[]')],
    ['binary', Buffer.from([0xff, 0x00, 0x13])],
    ['another version', encodeDocument({ ...doc(), version: 2 as 1 })],
    ['a negative sequence', encodeDocument(doc({ sequence: -1 }))],
    ['a bad address', encodeDocument(doc({ targets: [{ ...doc().targets[0]!, addresses: ['192.0.2.300'] }] }))],
    ['a name with a slash', encodeDocument(doc({ targets: [{ ...doc().targets[0]!, namespace: 'a/b' }] }))],
    ['readiness as text', Buffer.from(encodeDocument(doc()).toString().replace('"ready":true', '"ready":"yes"'))],
    ['a target twice', encodeDocument(doc({ targets: [doc().targets[0]!, doc().targets[0]!] }))],
    [
      'no service',
      Buffer.from(
        encodeDocument(doc())
          .toString()
          .replace(/"service":\{[^}]*\},/, ''),
      ),
    ],
    ['a serial past 2^32', encodeDocument(doc({ published: { serial: 2 ** 32, contentHash: 'a'.repeat(64) } }))],
    ['a content hash that is no hash', encodeDocument(doc({ published: { serial: 1, contentHash: '<script>' } }))],
  ])('refuses %s as garbage, even when signed', (_what, body) => {
    const result = checkReceived(KEY, signed(body), expected, NOW);
    expect(result).toMatchObject({ ok: false, reason: 'garbage' });
  });

  it('carries the serial and content hash the cluster publishes', () => {
    const published = { serial: 2026120601, contentHash: 'ab'.repeat(32) };
    const result = checkReceived(KEY, signed(encodeDocument(doc({ published }))), expected, NOW);
    expect(result.ok && result.value.published).toEqual(published);
  });

  it('refuses a body over the size limit before reading it', () => {
    const body = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20);
    expect(checkReceived(KEY, signed(body), expected, NOW)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(parseDocument(body, expected)).toMatchObject({ ok: false, reason: 'too_large' });
  });
});

describe('the DNSKEYs in a peer document', () => {
  const key = generateSigningKey('geo.example.com');
  const dnskeys = [{ flags: 257, algorithm: 13, publicKey: key.publicKey.toString('base64') }];

  it('carries the keys a signed zone is signed with, and none for a document without them', () => {
    const taken = checkReceived(KEY, signed(encodeDocument(doc({ dnskeys }))), expected, NOW);
    expect(taken.ok && taken.value.dnskeys).toEqual(dnskeys);
    const without = checkReceived(KEY, signed(encodeDocument(doc())), expected, NOW);
    expect(without.ok && 'dnskeys' in without.value).toBe(false);
  });

  it('refuses a document whose keys are not public zone keys, or too many', () => {
    const bad = [
      [{ ...dnskeys[0], privateKey: 'x' }, 'ignored'],
      [
        { flags: 257, algorithm: 13, publicKey: 'AAAA' },
        'dnskeys[0]: a public key of algorithm 13 has 64 bytes, not 3',
      ],
    ] as const;
    const extra = checkReceived(KEY, signed(encodeDocument(doc({ dnskeys: [bad[0][0]] as never }))), expected, NOW);
    // Only flags, algorithm and public key are taken: nothing else of a key passes on.
    expect(extra.ok && extra.value.dnskeys).toEqual(dnskeys);
    const short = checkReceived(KEY, signed(encodeDocument(doc({ dnskeys: [bad[1][0]] as never }))), expected, NOW);
    expect(short).toEqual({ ok: false, reason: 'garbage', message: bad[1][1] });
    const many = checkReceived(
      KEY,
      signed(encodeDocument(doc({ dnskeys: Array.from({ length: MAX_PUBLISHED_KEYS + 1 }, () => dnskeys[0]!) }))),
      expected,
      NOW,
    );
    expect(many).toMatchObject({
      ok: false,
      reason: 'garbage',
      message: `dnskeys must be a list of at most ${MAX_PUBLISHED_KEYS}`,
    });
  });

  it("carries the key tags of the sender's DNSKEY rrset, and refuses ones that are not key tags", () => {
    const taken = checkReceived(KEY, signed(encodeDocument(doc({ dnskeyTags: [7, 40052] }))), expected, NOW);
    expect(taken.ok && taken.value.dnskeyTags).toEqual([7, 40052]);
    const bad = checkReceived(KEY, signed(encodeDocument(doc({ dnskeyTags: [70000] }))), expected, NOW);
    expect(bad).toMatchObject({ ok: false, reason: 'garbage' });
  });
});
