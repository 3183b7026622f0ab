// The key Secret's plan: a zone's keys never leave the Secret by accident (DNSSEC turned off, the GeoZone gone, a
// broken pair beside them, a bad bring-your-own Secret), and each zone's status says what it signs with and why not.
import { describe, expect, it } from 'vitest';
import { formatKeyPair, secretKeyFileBase } from '../../../../lib/dnssec/bind.ts';
import { dsText, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM, type SigningKey } from '../../../../lib/dnssec/types.ts';
import { planKeys, type ZoneKeyRequest } from '../../../../operator/dnssec/plan.ts';

const ZONE = 'geo.example.com';
const OTHER = 'other.example.com';

function filesOf(...keys: SigningKey[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const key of keys) {
    const text = formatKeyPair(key);
    const base = secretKeyFileBase(key.zone, key.algorithm, key.keyTag);
    files[`${base}.key`] = text.key;
    files[`${base}.private`] = text.private;
  }
  return files;
}

const request = (over: Partial<ZoneKeyRequest> = {}): ZoneKeyRequest => ({
  source: 'geo-example',
  apex: ZONE,
  enabled: true,
  algorithm: 'ECDSAP256SHA256',
  ...over,
});

function plan(requests: ZoneKeyRequest[], current: Record<string, string>) {
  const made: SigningKey[] = [];
  const result = planKeys(
    requests,
    current,
    (apex, algorithm) => {
      const key = generateSigningKey(apex, algorithm);
      made.push(key);
      return key;
    },
    (key) => formatKeyPair(key),
  );
  return { ...result, made };
}

describe('planKeys', () => {
  it('makes one combined signing key of the asked algorithm for a zone without keys, once', () => {
    const first = plan([request({ algorithm: 'ED25519' })], {});
    expect(first.made.map((k) => [k.zone, k.algorithm, k.flags])).toEqual([[ZONE, ALGORITHM.ED25519, 257]]);
    const key = first.made[0]!;
    expect(Object.keys(first.files).sort()).toEqual(Object.keys(filesOf(key)).sort());
    const state = first.zones.get('geo-example')!;
    expect(state.keyTags).toBe(String(key.keyTag));
    expect(state.ds).toEqual([
      {
        keyTag: key.keyTag,
        rdata: dsText(ZONE, key.dnskey),
        record: `${ZONE}. IN DS ${dsText(ZONE, key.dnskey)}`,
      },
    ]);
    expect(state.condition).toMatchObject({ ok: true, reason: 'KeysReady' });
    expect(first.events.map((e) => e.reason)).toEqual(['DNSSECKeyCreated']);

    const again = plan([request({ algorithm: 'ED25519' })], first.files);
    expect(again.made).toEqual([]);
    expect(again.files).toEqual(first.files);
    expect(again.events).toEqual([]);
  });

  it('keeps the keys of a zone turned off or gone, and says the DNS pods still sign with them', () => {
    const key = generateSigningKey(ZONE);
    const other = generateSigningKey(OTHER);
    const current = filesOf(key, other);
    const off = plan([request({ enabled: false })], current);
    expect(off.files).toEqual(current);
    expect(off.made).toEqual([]);
    const state = off.zones.get('geo-example')!;
    expect(state.keys).toEqual([
      { keyTag: key.keyTag, algorithm: 13, flags: 257, publicKey: key.publicKey.toString('base64'), state: 'Retained' },
    ]);
    expect(state.condition).toMatchObject({ ok: true, reason: 'DisabledKeysKept' });
    expect(state.condition.message).toContain('remove the DS at the parent');
    const never = plan([request({ enabled: false, apex: 'third.example.com' })], {});
    expect(never.zones.get('geo-example')).toMatchObject({
      keyTags: 'off',
      condition: { ok: false, reason: 'Disabled' },
    });
  });

  it('a broken pair in the key Secret is reported with its file and left as it is, never replaced', () => {
    const key = generateSigningKey(ZONE);
    const current = filesOf(key);
    const privateName = Object.keys(current).find((n) => n.endsWith('.private'))!;
    current[privateName] = current[privateName]!.replace(/^PrivateKey: .*$/m, 'PrivateKey: AAAA');
    const result = plan([request()], current);
    expect(result.made).toEqual([]);
    expect(result.files).toEqual(current);
    const condition = result.zones.get('geo-example')!.condition;
    expect(condition).toMatchObject({ ok: false, reason: 'KeySecretInvalid' });
    expect(condition.message).toContain(`Secret geodns-dnssec-keys: ${privateName}:3: PrivateKey:`);
  });

  it('adopts a bring-your-own Secret whole, and keeps the last good keys when it is missing, broken or for another zone', () => {
    const generated = generateSigningKey(ZONE);
    const own = generateSigningKey(ZONE, ALGORITHM.ED25519);
    const ownText = formatKeyPair(own);
    const current = filesOf(generated);
    const adopted = plan(
      [request({ own: { name: 'my-keys', files: { 'csk.key': ownText.key, 'csk.private': ownText.private } } })],
      current,
    );
    expect(adopted.files).toEqual(filesOf(own));
    expect(adopted.zones.get('geo-example')!.keyTags).toBe(String(own.keyTag));
    expect(adopted.events[0]).toMatchObject({ reason: 'DNSSECKeysAdopted' });
    expect(adopted.events[0]!.note).toContain(`added ${own.keyTag}, removed ${generated.keyTag}`);

    const otherText = formatKeyPair(generateSigningKey(OTHER));
    const strangerText = formatKeyPair(generateSigningKey(ZONE, ALGORITHM.ED25519));
    const cases: [Record<string, string> | undefined, string][] = [
      [undefined, 'Secret my-keys (spec.dnssec.keySecretRef) is not found'],
      [{ 'csk.key': ownText.key }, 'Secret my-keys: csk.private is missing'],
      [{ 'csk.key': otherText.key, 'csk.private': otherText.private }, "holds keys of 'other.example.com.'"],
      [{ 'csk.key': ownText.key, 'csk.private': strangerText.private }, 'not the public half'],
      [{}, "Secret my-keys: no key pair for 'geo.example.com.'"],
    ];
    for (const [files, message] of cases) {
      const result = plan([request({ own: { name: 'my-keys', files } })], adopted.files);
      expect(result.files, message).toEqual(adopted.files);
      const condition = result.zones.get('geo-example')!.condition;
      expect(condition, message).toMatchObject({ ok: false, reason: 'KeySecretInvalid' });
      expect(condition.message).toContain(message);
      expect(condition.message).toContain(`(${own.keyTag}) keep signing`);
    }
  });
});
