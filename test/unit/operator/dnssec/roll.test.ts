// The on-demand key roll (RFC 7583, double signature): a new value of geodns.io/dnssec-roll publishes a new key beside
// the old; once every DNS pod serves both and the DNSKEY TTL has passed the parent's DS is to be swapped; once that is
// confirmed and the parent's DS TTL has passed the old key leaves the Secret. Each step is an Event and shows in the
// keys' states and status.dnssec.roll; the rolls survive a restart through the Secret's annotation.
import { describe, expect, it } from 'vitest';
import { formatKeyPair, parseKeyFileBase, secretKeyFileBase } from '../../../../lib/dnssec/bind.ts';
import { dsText, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import type { SigningKey } from '../../../../lib/dnssec/types.ts';
import { planKeys, type ZoneKeyRequest } from '../../../../operator/dnssec/plan.ts';
import {
  DEFAULT_PARENT_DS_TTL,
  parentDsTtlOf,
  parseRolls,
  planRolls,
  type RollRequest,
  type RollState,
} from '../../../../operator/dnssec/roll.ts';

const ZONE = 'geo.example.com';
const T0 = Date.parse('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function filesOf(key: SigningKey): Record<string, string> {
  const text = formatKeyPair(key);
  const base = secretKeyFileBase(key.zone, key.algorithm, key.keyTag);
  return { [`${base}.key`]: text.key, [`${base}.private`]: text.private };
}

/** The zone's keys as [tag, state], by tag. */
const statesOf = (zone: { keys: { keyTag: number; state: string }[] }) =>
  zone.keys.map((k) => [k.keyTag, k.state] as const).sort((a, b) => a[0] - b[0]);
const byTag = (...pairs: (readonly [number, string])[]) => [...pairs].sort((a, b) => a[0] - b[0]);

const tagsIn = (files: Record<string, string>) =>
  [
    ...new Set(
      Object.keys(files).flatMap((n) => (parseKeyFileBase(n)?.zone === ZONE ? [parseKeyFileBase(n)!.keyTag] : [])),
    ),
  ].sort((a, b) => a - b);

/** One keeper run: planKeys, then planRolls, with the rolls round-tripped through JSON as the Secret keeps them. */
function run(
  files: Record<string, string>,
  rolls: Record<string, RollState>,
  now: Date,
  over: Partial<RollRequest> = {},
  keyRequest: Partial<ZoneKeyRequest> = {},
) {
  const made: SigningKey[] = [];
  const generate = (apex: string, algorithm: SigningKey['algorithm']) => {
    const key = generateSigningKey(apex, algorithm);
    made.push(key);
    return key;
  };
  const request: ZoneKeyRequest = {
    source: 'geo-example',
    apex: ZONE,
    enabled: true,
    algorithm: 'ECDSAP256SHA256',
    ...keyRequest,
  };
  const plan = planKeys([request], files, generate, formatKeyPair);
  const roll: RollRequest = {
    source: 'geo-example',
    apex: ZONE,
    token: undefined,
    dsUpdated: undefined,
    parentDsTtl: 3600,
    dnskeyTtl: 300,
    servedKeyTags: undefined,
    algorithm: 'ECDSAP256SHA256',
    ownKeys: false,
    enabled: true,
    ...over,
  };
  const result = planRolls({
    requests: [roll],
    rolls: parseRolls(JSON.stringify(rolls)),
    plan,
    now,
    generate,
    format: formatKeyPair,
  });
  return { ...result, made, zone: result.zones.get('geo-example')! };
}

describe('an on-demand key roll', () => {
  const old = generateSigningKey(ZONE);

  it('with peer clusters signing the zone, stays Published until every peer publishes the new key', () => {
    const started = run(filesOf(old), {}, at(0), { token: 'r1' });
    const fresh = started.made[0]!;
    const both = [old.keyTag, fresh.keyTag].sort((a, b) => a - b);
    const peers = (usTags: number[] | undefined) => [
      { peer: 'eu', keyTags: [4242, ...both] },
      { peer: 'us', keyTags: usTags },
    ];
    // Every pod here serves both keys, but us has not said, then publishes only the old key: it waits, however long.
    for (const usTags of [undefined, [4243, old.keyTag]]) {
      const waiting = run(started.files, started.rolls, at(7200), {
        token: 'r1',
        servedKeyTags: both,
        peersPublishing: peers(usTags),
      });
      expect(waiting.rolls[ZONE]).toMatchObject({ phase: 'Published' });
      expect(waiting.rolls[ZONE]?.servedAt).toBeUndefined();
      expect(waiting.zone.roll?.next).toContain(`the peer cluster(s) us to publish key ${fresh.keyTag}`);
    }
    // Once us publishes it too, the DNSKEY TTL runs from then.
    const served = run(started.files, started.rolls, at(7300), {
      token: 'r1',
      servedKeyTags: both,
      peersPublishing: peers([4243, ...both]),
    });
    expect(served.rolls[ZONE]).toMatchObject({ phase: 'Published', servedAt: at(7300).toISOString() });
    expect(served.nextDueMs).toBe(300_000);
  });

  it('walks Published → DSPending → Retiring → done, with an Event and a status at each step', () => {
    // No request: nothing changes.
    const idle = run(filesOf(old), {}, at(0));
    expect(idle.rolls).toEqual({});
    expect(idle.zone.roll).toBeUndefined();

    // The request: a new key beside the old, both in the Secret (both sign), the new one Published.
    const started = run(filesOf(old), {}, at(0), { token: 'r1' });
    const fresh = started.made[0]!;
    expect(tagsIn(started.files)).toEqual([old.keyTag, fresh.keyTag].sort((a, b) => a - b));
    expect(started.events.map((e) => e.reason)).toEqual(['DNSSECRollStarted']);
    expect(started.events[0]?.note).toContain(dsText(ZONE, fresh.dnskey));
    expect(statesOf(started.zone)).toEqual(byTag([old.keyTag, 'Active'], [fresh.keyTag, 'Published']));
    expect(started.zone.roll).toMatchObject({ phase: 'Published', oldKeyTags: [old.keyTag], newKeyTag: fresh.keyTag });
    expect(started.rolls[ZONE]).toMatchObject({ request: 'r1', phase: 'Published' });
    expect(started.nextDueMs).toBeUndefined();

    // Not all pods serve both keys yet (only the old set): it waits, however long.
    const both = [old.keyTag, fresh.keyTag].sort((a, b) => a - b);
    const waiting = run(started.files, started.rolls, at(7200), { token: 'r1', servedKeyTags: [old.keyTag] });
    expect(waiting.rolls[ZONE]?.phase).toBe('Published');
    expect(waiting.made).toEqual([]);
    expect(waiting.zone.roll?.next).toContain('waiting for every DNS pod');

    // Every pod serves both: the DNSKEY TTL (300 s) from then on.
    const served = run(waiting.files, waiting.rolls, at(7300), { token: 'r1', servedKeyTags: both });
    expect(served.rolls[ZONE]).toMatchObject({ phase: 'Published', servedAt: at(7300).toISOString() });
    expect(served.nextDueMs).toBe(300_000);
    const early = run(served.files, served.rolls, at(7599), { token: 'r1', servedKeyTags: both });
    expect(early.rolls[ZONE]?.phase).toBe('Published');
    const pending = run(early.files, early.rolls, at(7600), { token: 'r1', servedKeyTags: both });
    expect(pending.rolls[ZONE]?.phase).toBe('DSPending');
    expect(pending.events.map((e) => e.reason)).toEqual(['DNSSECRollDSPending']);
    expect(pending.events[0]?.note).toContain(dsText(ZONE, fresh.dnskey));
    expect(statesOf(pending.zone)).toEqual(byTag([old.keyTag, 'Retiring'], [fresh.keyTag, 'Active']));
    expect(pending.zone.condition.message).toContain(`geodns.io/dnssec-ds-updated=${fresh.keyTag}`);

    // A confirmation for another key does nothing; the new key's starts the parent's DS TTL (3600 s).
    const wrong = run(pending.files, pending.rolls, at(8000), {
      token: 'r1',
      servedKeyTags: both,
      dsUpdated: String(old.keyTag),
    });
    expect(wrong.rolls[ZONE]?.phase).toBe('DSPending');
    const confirmed = run(wrong.files, wrong.rolls, at(8000), {
      token: 'r1',
      servedKeyTags: both,
      dsUpdated: ` ${fresh.keyTag}`,
    });
    expect(confirmed.rolls[ZONE]?.phase).toBe('Retiring');
    expect(confirmed.events.map((e) => e.reason)).toEqual(['DNSSECRollDSConfirmed']);
    expect(confirmed.nextDueMs).toBe(3_600_000);
    expect(tagsIn(confirmed.files)).toEqual(both);

    const stillBoth = run(confirmed.files, confirmed.rolls, at(11_599), {
      token: 'r1',
      servedKeyTags: both,
      dsUpdated: String(fresh.keyTag),
    });
    expect(tagsIn(stillBoth.files)).toEqual(both);
    const done = run(stillBoth.files, stillBoth.rolls, at(11_600), {
      token: 'r1',
      servedKeyTags: both,
      dsUpdated: String(fresh.keyTag),
    });
    expect(tagsIn(done.files)).toEqual([fresh.keyTag]);
    expect(done.events.map((e) => e.reason)).toEqual(['DNSSECKeyRetired']);
    expect(statesOf(done.zone)).toEqual([[fresh.keyTag, 'Active']]);
    expect(done.zone.ds.map((d) => d.keyTag)).toEqual([fresh.keyTag]);
    expect(done.zone.keyTags).toBe(String(fresh.keyTag));
    expect(done.zone.roll).toBeUndefined();
    expect(done.rolls[ZONE]).toMatchObject({ request: 'r1', phase: 'Done' });

    // The same request again is the roll done: nothing; a new value rolls again.
    const again = run(done.files, done.rolls, at(20_000), { token: 'r1' });
    expect(again.made).toEqual([]);
    expect(again.events).toEqual([]);
    const next = run(done.files, done.rolls, at(20_000), { token: 'r2' });
    expect(next.made).toHaveLength(1);
    expect(next.rolls[ZONE]).toMatchObject({ request: 'r2', phase: 'Published', oldKeyTags: [fresh.keyTag] });
  });

  it("moves DSPending on by itself once the parent's DS is seen pointing at the new key", () => {
    const started = run(filesOf(old), {}, at(0), { token: 'r1' });
    const fresh = started.made[0]!;
    const both = [old.keyTag, fresh.keyTag].sort((a, b) => a - b);
    const served = run(started.files, started.rolls, at(10), { token: 'r1', servedKeyTags: both });
    const pending = run(served.files, served.rolls, at(400), { token: 'r1', servedKeyTags: both });
    expect(pending.rolls[ZONE]?.phase).toBe('DSPending');
    expect(pending.zone.roll?.next).toContain("once the parent's DS is seen pointing at it");

    // The parent still points at the old key only: it waits.
    const parent = { source: '127.0.0.1:5300' };
    const stale = run(pending.files, pending.rolls, at(500), {
      token: 'r1',
      servedKeyTags: both,
      parentDs: { ...parent, keyTags: [old.keyTag] },
    });
    expect(stale.rolls[ZONE]?.phase).toBe('DSPending');
    expect(stale.events).toEqual([]);

    // It points at the new key (the old DS may linger): the parent's DS TTL runs from now.
    const seen = run(stale.files, stale.rolls, at(600), {
      token: 'r1',
      servedKeyTags: both,
      parentDs: { ...parent, keyTags: both },
    });
    expect(seen.rolls[ZONE]?.phase).toBe('Retiring');
    expect(seen.events.map((e) => e.reason)).toEqual(['DNSSECRollDSConfirmed']);
    expect(seen.events[0]?.note).toContain('asked 127.0.0.1:5300');
    expect(seen.nextDueMs).toBe(3_600_000);
  });

  it('refuses a roll of keys from keySecretRef or of a zone whose DNSSEC is off, once, with a Warning', () => {
    for (const over of [{ ownKeys: true }, { enabled: false }] as Partial<RollRequest>[]) {
      const refused = run(filesOf(old), {}, at(0), { token: 'r1', ...over }, { enabled: over.enabled ?? true });
      expect(refused.made).toEqual([]);
      expect(refused.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'DNSSECRollRefused']]);
      expect(tagsIn(refused.files)).toEqual([old.keyTag]);
      const later = run(
        refused.files,
        refused.rolls,
        at(60),
        { token: 'r1', ...over },
        { enabled: over.enabled ?? true },
      );
      expect(later.events).toEqual([]);
    }
  });

  it('reads the parent DS TTL annotation, and rolls it cannot read as none', () => {
    expect(parentDsTtlOf('7200')).toBe(7200);
    expect(parentDsTtlOf(' 60 ')).toBe(60);
    expect(parentDsTtlOf('1d')).toBe(DEFAULT_PARENT_DS_TTL);
    expect(parentDsTtlOf(undefined)).toBe(DEFAULT_PARENT_DS_TTL);
    expect(parseRolls('not json')).toEqual({});
    expect(parseRolls('[1]')).toEqual({});
    expect(parseRolls(undefined)).toEqual({});
  });
});
