// A zone going unsigned (spec.dnssec.unsign): the condition walks Unsigning → (the parent has no DS) → its DS TTL
// waited → UnsignSafe with the command that removes the keys, and one DNSSECParentDSRemoved Event; a DS seen again
// starts the wait over, a parent that cannot be asked does not; only zones whose kept keys are fine take part.
import { describe, expect, it } from 'vitest';
import type { ZoneKeyState } from '../../../../operator/dnssec/plan.ts';
import { parentDsTtlOf } from '../../../../operator/dnssec/roll.ts';
import { planUnsign, removeKeysCommand, type UnsignRequest } from '../../../../operator/dnssec/unsign.ts';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const kept: ZoneKeyState = {
  keyTags: '40052',
  keys: [{ keyTag: 40052, algorithm: 13, flags: 257, publicKey: 'AAAA', state: 'Retained' }],
  ds: [],
  condition: { ok: true, reason: 'DisabledKeysKept', message: 'kept' },
};

type ParentState = NonNullable<UnsignRequest['parentDs']>['state'];

const request = (parent: ParentState | undefined, fields: Partial<UnsignRequest> = {}) => ({
  source: 'geo',
  apex: 'geo.example.com',
  unsign: true,
  parentDs: parent ? { state: parent, source: 'the parent' } : undefined,
  parentDsTtl: 3600,
  ...fields,
});

/** Runs the plan over a sequence of (parent state, seconds since T0), carrying what the keeper carries. */
function walk(steps: [ParentState, number][]) {
  let previous = new Map<string, ZoneKeyState>();
  let missingSince = new Map<string, number>();
  return steps.map(([parent, seconds]) => {
    const plan = planUnsign({
      requests: [request(parent)],
      zones: new Map([['geo', kept]]),
      previous,
      missingSince,
      namespace: 'geodns-system',
      nowMs: T0 + seconds * 1000,
    });
    previous = plan.zones;
    missingSince = plan.missingSince;
    const state = plan.zones.get('geo') as ZoneKeyState;
    return {
      reason: state.condition.reason,
      message: state.condition.message,
      events: plan.events,
      due: plan.nextDueMs,
    };
  });
}

const COMMAND =
  `kubectl -n geodns-system patch secret geodns-dnssec-keys --type=json -p '[` +
  `{"op":"remove","path":"/data/Kgeo.example.com._013_40052.key"},` +
  `{"op":"remove","path":"/data/Kgeo.example.com._013_40052.private"}]'`;

describe('a zone going unsigned', () => {
  it('is safe once the parent has had no DS for its DS TTL, with one Event and the exact command', () => {
    const [matches, missing, waiting, safe, still] = walk([
      ['Matches', 0],
      ['Missing', 10],
      ['Missing', 10 + 3599],
      ['Missing', 10 + 3600],
      ['Missing', 10 + 7200],
    ]);
    expect(matches).toMatchObject({ reason: 'Unsigning', events: [], due: undefined });
    expect(matches?.message).toContain('CDS 0 0 0 00 and CDNSKEY 0 3 0 AA==');
    expect(matches?.message).toContain('waiting for the parent to remove the DS (asked the parent: Matches)');
    expect(missing).toMatchObject({ reason: 'Unsigning', events: [], due: 3600_000 });
    expect(missing?.message).toContain('no DS since 2026-12-01T00:00:10.000Z');
    expect(missing?.message).toContain('at 2026-12-01T01:00:10.000Z');
    expect(waiting).toMatchObject({ reason: 'Unsigning', due: 1000 });
    expect(safe?.reason).toBe('UnsignSafe');
    expect(safe?.message).toContain(COMMAND);
    expect(safe?.events).toEqual([
      expect.objectContaining({ source: 'geo', type: 'Normal', reason: 'DNSSECParentDSRemoved' }),
    ]);
    expect(safe?.events[0]?.note).toContain(COMMAND);
    expect(still).toMatchObject({ reason: 'UnsignSafe', events: [] });
  });

  it('starts the wait over when a DS is seen again, and keeps it while the parent cannot be asked', () => {
    const steps = walk([
      ['Missing', 0],
      ['Matches', 100],
      ['Missing', 200],
      ['Unknown', 3700],
      ['Missing', 3799],
      ['Missing', 3800],
    ]);
    expect(steps.map((s) => s.reason)).toEqual([
      'Unsigning',
      'Unsigning',
      'Unsigning',
      'Unsigning',
      'Unsigning',
      'UnsignSafe',
    ]);
    expect(steps[3]?.message).toContain('asked the parent: Unknown');
  });

  it("leaves the check to the user where the parent's DS is not asked for", () => {
    const plan = planUnsign({
      requests: [request(undefined)],
      zones: new Map([['geo', kept]]),
      previous: new Map(),
      missingSince: new Map(),
      namespace: 'ns',
      nowMs: T0,
    });
    const condition = plan.zones.get('geo')?.condition;
    expect(condition?.reason).toBe('Unsigning');
    expect(condition?.message).toContain("the parent's DS is not checked");
    expect(condition?.message).toContain(removeKeysCommand('ns', 'geo.example.com', kept.keys));
  });

  it('leaves alone zones not going unsigned, without keys, or whose kept keys are broken', () => {
    const broken: ZoneKeyState = { ...kept, condition: { ok: false, reason: 'KeySecretInvalid', message: 'bad' } };
    const none: ZoneKeyState = { ...kept, keys: [], condition: { ok: false, reason: 'Disabled', message: 'off' } };
    for (const [state, unsign] of [
      [kept, false],
      [broken, true],
      [none, true],
    ] as const) {
      const zones = new Map([['geo', state]]);
      const plan = planUnsign({
        requests: [request('Missing', { unsign })],
        zones,
        previous: new Map(),
        missingSince: new Map([['geo', T0 - 10_000_000]]),
        namespace: 'ns',
        nowMs: T0,
      });
      expect(plan.zones.get('geo')).toBe(state);
      expect(plan.events).toEqual([]);
    }
  });

  it("takes the DS TTL from the annotation, else the parent's own servers, else a day", () => {
    expect(parentDsTtlOf('60', 7200)).toBe(60);
    expect(parentDsTtlOf(undefined, 7200)).toBe(7200);
    expect(parentDsTtlOf(undefined)).toBe(86_400);
    expect(parentDsTtlOf('soon', 7200)).toBe(86_400);
  });
});
