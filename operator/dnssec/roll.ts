// An on-demand key roll of a zone whose keys the operator makes (RFC 7583, a double-signature CSK roll): asked for by
// a new value of the GeoZone annotation geodns.io/dnssec-roll. Pure: the keeper gives it the plan of plan.ts, what
// each zone asks, the rolls in progress (kept in an annotation of the key Secret, so a restarted operator goes on),
// whether every DNS pod serves the zone's key set, and the time; it gives back the Secret's files, the states for
// status, the Events and the rolls.
//
//   Published  the new key is in the Secret beside the old: both are in DNSKEY and both sign everything (the old
//              DS at the parent still validates). Waits until every DNS pod serves both and every peer cluster
//              signing the zone (RFC 8901 multi-signer) publishes the new key, then the DNSKEY TTL, so that no cache
//              holds a DNSKEY rrset without the new key (Ipub = Dprp + TTLkey).
//   DSPending  the parent's DS is to be swapped for the new key's (status and an Event give it; CDS/CDNSKEY carry
//              both). Waits until the parent's DS is seen pointing at the new key (parent-ds.ts), or for the
//              annotation geodns.io/dnssec-ds-updated set to the new key tag where the parent cannot be asked.
//   Retiring   waits the parent's DS TTL (geodns.io/dnssec-parent-ds-ttl, else the TTL the parent's own servers
//              gave, else 1 day) and at least the DNSKEY
//              TTL, so no cache holds the old DS (Iret = TTLds), then removes the old key from the Secret.
import { parseKeyFileBase, secretKeyFileBase } from '../../lib/dnssec/bind.ts';
import { dsText } from '../../lib/dnssec/keys.ts';
import { ALGORITHM, type Algorithm, type SigningKey } from '../../lib/dnssec/types.ts';
import {
  KEY_SECRET,
  type AlgorithmName,
  type KeyEvent,
  type KeyPlan,
  type RollPhase,
  type ZoneKeyState,
} from './plan.ts';
import type { ParentDsStatus } from './parent-ds.ts';

/** GeoZone annotation: a new value asks for a roll. */
export const ROLL_ANNOTATION = 'geodns.io/dnssec-roll';
/** GeoZone annotation: the key tag whose DS the parent now holds (the manual confirmation). */
export const DS_UPDATED_ANNOTATION = 'geodns.io/dnssec-ds-updated';
/** GeoZone annotation: the TTL of the DS record at the parent, in seconds. */
export const PARENT_DS_TTL_ANNOTATION = 'geodns.io/dnssec-parent-ds-ttl';
/** Key Secret annotation: the rolls (JSON, apex → RollState). */
export const ROLLS_ANNOTATION = 'geodns.io/dnssec-rolls';
/** What a parent's DS TTL usually is (the com. and org. DS TTL). */
export const DEFAULT_PARENT_DS_TTL = 86_400;

/** A zone's roll as the key Secret keeps it; `Done` remembers the last request answered. */
export interface RollState {
  request: string;
  phase: RollPhase | 'Done';
  oldKeyTags: number[];
  newKeyTag: number;
  /** When the phase began (ISO 8601). */
  since: string;
  /** Published: when every DNS pod was first seen serving the new key set. */
  servedAt?: string;
}

/** What a zone asks of a roll, and what the keeper knows of it. */
export interface RollRequest {
  source: string;
  apex: string;
  /** The value of ROLL_ANNOTATION (undefined: none). */
  token: string | undefined;
  /** The value of DS_UPDATED_ANNOTATION. */
  dsUpdated: string | undefined;
  /** What the parent said of its DS, when it was asked and answered (parent-ds.ts). */
  parentDs?: Pick<ParentDsStatus, 'keyTags' | 'source'>;
  parentDsTtl: number;
  /** Multi-signer: each peer cluster of the zone and the key tags its DNSKEY rrset holds, as its last document said
   *  (undefined: it has not said). */
  peersPublishing?: readonly { peer: string; keyTags: readonly number[] | undefined }[];
  /** The TTL the DNS pods give the DNSKEY rrset, in seconds. */
  dnskeyTtl: number;
  /** The key tags every ready DNS pod was last seen serving exactly (undefined: not all of them, or unknown). */
  servedKeyTags: readonly number[] | undefined;
  algorithm: AlgorithmName;
  /** keySecretRef: the keys are the user's to roll. */
  ownKeys: boolean;
  enabled: boolean;
}

export interface RollPlan {
  files: Record<string, string>;
  zones: Map<string, ZoneKeyState>;
  events: KeyEvent[];
  rolls: Record<string, RollState>;
  /** How long until a roll is due to move on by time alone (undefined: none is). */
  nextDueMs: number | undefined;
}

/** The Secret annotation's rolls; what cannot be read is dropped (a roll then waits for a new request). */
export function parseRolls(text: string | undefined): Record<string, RollState> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, RollState>)
      : {};
  } catch {
    return {};
  }
}

/** The seconds of PARENT_DS_TTL_ANNOTATION; when it is absent, the TTL the parent's own servers gave (if they did);
 *  else, or when it is not a whole number of seconds, the default. */
export function parentDsTtlOf(value: string | undefined, authoritativeTtl?: number): number {
  const seconds = value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (Number.isFinite(seconds)) return seconds;
  return value === undefined && authoritativeTtl !== undefined ? authoritativeTtl : DEFAULT_PARENT_DS_TTL;
}

const at = (iso: string): number => Date.parse(iso);
const tags = (list: readonly number[]): string => list.join(',');

/** Moves each zone's roll on as far as it may go now. */
export function planRolls(input: {
  requests: readonly RollRequest[];
  rolls: Record<string, RollState>;
  plan: KeyPlan;
  now: Date;
  generate: (apex: string, algorithm: Algorithm) => SigningKey;
  format: (key: SigningKey) => { key: string; private: string };
}): RollPlan {
  const { requests, plan, now, generate, format } = input;
  const files = { ...plan.files };
  const zones = new Map(plan.zones);
  const events = [...plan.events];
  const rolls: Record<string, RollState> = { ...input.rolls };
  const nowMs = now.getTime();
  const iso = now.toISOString();
  let nextDueMs: number | undefined;
  const dueIn = (ms: number): void => {
    nextDueMs = Math.max(0, Math.min(nextDueMs ?? Infinity, ms));
  };
  const event = (source: string, reason: string, note: string, type: KeyEvent['type'] = 'Normal'): void => {
    events.push({ source, type, reason, note });
  };

  for (const request of requests) {
    const { apex, source } = request;
    const found = zones.get(source);
    if (!found?.condition.ok) continue; // a broken Secret: nothing moves until it is fixed
    const zone: ZoneKeyState = { ...found, keys: [...found.keys], ds: [...found.ds] };
    zones.set(source, zone);
    let roll = rolls[apex];
    const keyTags = zone.keys.map((k) => k.keyTag);

    if (!roll || roll.phase === 'Done') {
      if (request.token === undefined || request.token === roll?.request) continue;
      if (request.ownKeys || !request.enabled || keyTags.length === 0) {
        const why = request.ownKeys
          ? 'the keys come from spec.dnssec.keySecretRef: roll them there (add the new pair, then remove the old)'
          : 'the zone has no active keys of the operator (spec.dnssec.enabled is false, or no key yet)';
        event(source, 'DNSSECRollRefused', `roll "${request.token}" not started: ${why}`, 'Warning');
        rolls[apex] = { request: request.token, phase: 'Done', oldKeyTags: [], newKeyTag: 0, since: iso };
        continue;
      }
      const key = generate(apex, ALGORITHM[request.algorithm]);
      const text = format(key);
      const base = secretKeyFileBase(key.zone, key.algorithm, key.keyTag);
      files[`${base}.key`] = text.key;
      files[`${base}.private`] = text.private;
      roll = { request: request.token, phase: 'Published', oldKeyTags: keyTags, newKeyTag: key.keyTag, since: iso };
      event(
        source,
        'DNSSECRollStarted',
        `roll "${request.token}": published key ${key.keyTag} (${request.algorithm}) beside ${tags(keyTags)} in Secret ${KEY_SECRET}; both sign; DS ${dsText(apex, key.dnskey)}`,
      );
      zone.keys.push({
        keyTag: key.keyTag,
        algorithm: key.algorithm,
        flags: key.flags,
        publicKey: key.publicKey.toString('base64'),
        state: 'Published',
      });
      const rdata = dsText(apex, key.dnskey);
      zone.ds.push({ keyTag: key.keyTag, rdata, record: `${apex}. IN DS ${rdata}` });
      zone.keyTags = [...keyTags, key.keyTag].join(',');
    }

    const wanted = [...roll.oldKeyTags, roll.newKeyTag].sort((a, b) => a - b);
    const newKeyTag = roll.newKeyTag;
    const peersWithout = (request.peersPublishing ?? [])
      .filter((p) => !p.keyTags?.includes(newKeyTag))
      .map((p) => p.peer);
    if (roll.phase === 'Published') {
      const served = request.servedKeyTags?.join(',') === wanted.join(',') && peersWithout.length === 0;
      if (served && roll.servedAt === undefined) roll = { ...roll, servedAt: iso };
      if (roll.servedAt !== undefined) {
        const due = at(roll.servedAt) + request.dnskeyTtl * 1000;
        if (nowMs >= due) {
          roll = { ...roll, phase: 'DSPending', since: iso, servedAt: roll.servedAt };
          const ds = zone.ds.find((d) => d.keyTag === roll?.newKeyTag)?.rdata ?? '';
          event(
            source,
            'DNSSECRollDSPending',
            `roll "${roll.request}": every DNS pod serves key ${roll.newKeyTag} and the DNSKEY TTL (${request.dnskeyTtl} s) has passed: give the parent the DS ${ds} in place of key ${tags(roll.oldKeyTags)}'s; the roll goes on once the parent's DS is seen pointing at it, or annotate the GeoZone ${DS_UPDATED_ANNOTATION}=${roll.newKeyTag}`,
          );
        } else dueIn(due - nowMs);
      }
    }
    const confirmed =
      request.dsUpdated?.trim() === String(roll.newKeyTag)
        ? `annotation ${DS_UPDATED_ANNOTATION}`
        : request.parentDs?.keyTags.includes(roll.newKeyTag)
          ? `asked ${request.parentDs.source}`
          : undefined;
    if (roll.phase === 'DSPending' && confirmed !== undefined) {
      roll = { ...roll, phase: 'Retiring', since: iso };
      event(
        source,
        'DNSSECRollDSConfirmed',
        `roll "${roll.request}": the parent holds the DS of key ${roll.newKeyTag} (${confirmed}); key ${tags(roll.oldKeyTags)} is retired once the parent's DS TTL (${request.parentDsTtl} s) has passed`,
      );
    }
    const retireAfterMs = Math.max(request.parentDsTtl, request.dnskeyTtl) * 1000;
    if (roll.phase === 'Retiring') {
      const due = at(roll.since) + retireAfterMs;
      if (nowMs >= due) {
        const old = new Set(roll.oldKeyTags);
        for (const name of Object.keys(files)) {
          const base = parseKeyFileBase(name);
          if (base?.zone === apex && old.has(base.keyTag)) delete files[name];
        }
        event(
          source,
          'DNSSECKeyRetired',
          `roll "${roll.request}": removed key ${tags(roll.oldKeyTags)} from Secret ${KEY_SECRET}; key ${roll.newKeyTag} signs alone`,
        );
        zone.keys = zone.keys.filter((k) => !old.has(k.keyTag));
        zone.ds = zone.ds.filter((d) => !old.has(d.keyTag));
        zone.keyTags = zone.keys.map((k) => k.keyTag).join(',') || 'off';
        rolls[apex] = { ...roll, phase: 'Done', since: iso };
        continue;
      }
      dueIn(due - nowMs);
    }
    rolls[apex] = roll;
    const phase = roll.phase as RollPhase;
    const next =
      phase === 'Published'
        ? roll.servedAt === undefined
          ? `waiting for every DNS pod to serve keys ${tags(wanted)} (Keys Served)${peersWithout.length > 0 ? ` and the peer cluster(s) ${peersWithout.join(', ')} to publish key ${newKeyTag}` : ''}, then the DNSKEY TTL (${request.dnskeyTtl} s)`
          : `DS at the parent to be swapped after ${new Date(at(roll.servedAt) + request.dnskeyTtl * 1000).toISOString()}`
        : phase === 'DSPending'
          ? `give the parent the DS of key ${roll.newKeyTag} in place of ${tags(roll.oldKeyTags)}'s: the roll goes on once the parent's DS is seen pointing at it (spec.dnssec.parent), or annotate ${DS_UPDATED_ANNOTATION}=${roll.newKeyTag}`
          : `key ${tags(roll.oldKeyTags)} is removed after ${new Date(at(roll.since) + retireAfterMs).toISOString()}`;
    const retiring = new Set(phase === 'Published' ? [] : roll.oldKeyTags);
    const newTag = roll.newKeyTag;
    zone.keys = zone.keys.map((k) => ({
      ...k,
      state: retiring.has(k.keyTag) ? 'Retiring' : k.keyTag === newTag && phase === 'Published' ? 'Published' : k.state,
    }));
    zone.roll = { phase, oldKeyTags: roll.oldKeyTags, newKeyTag: newTag, since: roll.since, next };
    zone.condition = { ...zone.condition, message: `${zone.condition.message}; key roll ${phase}: ${next}` };
  }
  return { files, zones, events, rolls, nextDueMs };
}
