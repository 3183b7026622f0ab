// Taking a zone off DNSSEC the RFC 8078 §4 way: while its GeoZone says spec.dnssec.unsign (with enabled false) its
// keys stay and keep signing, and its document says deleteDs (operator/compile/geozone.ts), so the DNS pods publish
// CDS 0 0 0 00 and CDNSKEY 0 3 0 AA== for a parent that scans. Pure: the keeper gives it each zone's state after the
// key plan, what the parent said of its DS, the parent's DS TTL, when the parent was first seen without a DS, and the
// time; it gives back the zones' DNSSEC conditions, the Event of the moment the keys may go, and the new first-seen
// times. The keys are removed by the user (the condition gives the command): a DNS pod keeps a zone's last keys
// until it restarts, so removing them is no step the operator can finish alone.
//
//   Unsigning   the delete records are published; waiting for the parent to have no DS (parent-ds.ts: Missing).
//   Unsigning   the parent has had no DS since T: waiting its DS TTL (geodns.io/dnssec-parent-ds-ttl, else the TTL its
//               own servers last gave, else 1 day) after T, so that no resolver still holds the DS (as a roll's
//               Retiring waits).
//   UnsignSafe  the TTL has passed: the keys can be removed (Event DNSSECParentDSRemoved).
import { secretKeyFileBase } from '../../lib/dnssec/bind.ts';
import type { ParentDsStatus } from './parent-ds.ts';
import { KEY_SECRET, type KeyEvent, type ZoneKeyState } from './plan.ts';

export interface UnsignRequest {
  source: string;
  apex: string;
  /** spec.dnssec.unsign with enabled false. */
  unsign: boolean;
  /** What the parent said of the DS at its last check (undefined: it is not asked, spec.dnssec.parent.check false). */
  parentDs: Pick<ParentDsStatus, 'state' | 'source'> | undefined;
  /** Seconds. */
  parentDsTtl: number;
}

export interface UnsignPlan {
  zones: Map<string, ZoneKeyState>;
  events: KeyEvent[];
  /** By GeoZone name: when the parent was first seen without a DS (ms since 1970) in a row of checks. */
  missingSince: Map<string, number>;
  /** The next moment a zone becomes safe, ms from now. */
  nextDueMs?: number;
}

/** The kubectl command that removes a zone's keys from the key Secret. */
export function removeKeysCommand(namespace: string, apex: string, keys: ZoneKeyState['keys']): string {
  const ops = keys.flatMap((k) =>
    ['key', 'private'].map(
      (ext) => `{"op":"remove","path":"/data/${secretKeyFileBase(apex, k.algorithm, k.keyTag)}.${ext}"}`,
    ),
  );
  return `kubectl -n ${namespace} patch secret ${KEY_SECRET} --type=json -p '[${ops.join(',')}]'`;
}

export function planUnsign(input: {
  requests: readonly UnsignRequest[];
  zones: ReadonlyMap<string, ZoneKeyState>;
  /** The states of the last run: the Event is recorded once, when a zone becomes safe. */
  previous: ReadonlyMap<string, ZoneKeyState>;
  /** The keeper's missingSince of the last run. */
  missingSince: ReadonlyMap<string, number>;
  /** The key Secret's namespace, for the command. */
  namespace: string;
  nowMs: number;
}): UnsignPlan {
  const zones = new Map(input.zones);
  const events: KeyEvent[] = [];
  const missingSince = new Map<string, number>();
  let nextDueMs: number | undefined;
  for (const request of input.requests) {
    const state = zones.get(request.source);
    // Only a zone whose keys are kept and fine (DisabledKeysKept) is going unsigned: a broken pair says so instead,
    // and a zone without keys is unsigned already.
    if (!request.unsign || !state || state.keys.length === 0 || state.condition.reason !== 'DisabledKeysKept') continue;
    const published = `the DNS pods publish the delete records CDS 0 0 0 00 and CDNSKEY 0 3 0 AA== (RFC 8078) and keep signing with the keys (${state.keys.map((k) => k.keyTag).join(',')}) in ${KEY_SECRET}`;
    const parent = request.parentDs;
    let since = input.missingSince.get(request.source);
    if (parent?.state === 'Missing') since ??= input.nowMs;
    // A DS seen again starts the wait over; a parent that cannot be asked for a while does not.
    else if (parent?.state !== 'Unknown') since = undefined;
    if (since !== undefined) missingSince.set(request.source, since);
    const safeAt = since !== undefined ? since + request.parentDsTtl * 1000 : undefined;
    let reason = 'Unsigning';
    let message: string;
    if (!parent) {
      message = `spec.dnssec.unsign: ${published}; the parent's DS is not checked (spec.dnssec.parent.check): once it has no DS for the zone (dig DS ${request.apex}) and its TTL has passed, remove the keys: ${removeKeysCommand(input.namespace, request.apex, state.keys)}, then restart the DNS pods`;
    } else if (safeAt === undefined || parent.state !== 'Missing') {
      message = `spec.dnssec.unsign: ${published}; waiting for the parent to remove the DS (asked ${parent.source}: ${parent.state}); remove it at the registrar if the parent does not scan CDS`;
    } else if (safeAt > input.nowMs) {
      message = `spec.dnssec.unsign: ${published}; the parent has had no DS since ${new Date(since as number).toISOString()} (asked ${parent.source}): the keys can go after its TTL of ${request.parentDsTtl}s, at ${new Date(safeAt).toISOString()}`;
      nextDueMs = Math.min(nextDueMs ?? Infinity, safeAt - input.nowMs);
    } else {
      reason = 'UnsignSafe';
      message = `the parent has had no DS since ${new Date(since as number).toISOString()} (asked ${parent.source}) and its TTL of ${request.parentDsTtl}s has passed: remove the keys now, ${removeKeysCommand(input.namespace, request.apex, state.keys)}, then restart the DNS pods; until then they keep signing`;
      if (input.previous.get(request.source)?.condition.reason !== 'UnsignSafe') {
        events.push({
          source: request.source,
          type: 'Normal',
          reason: 'DNSSECParentDSRemoved',
          note: `${request.apex}: the parent has had no DS since ${new Date(since as number).toISOString()} and its TTL of ${request.parentDsTtl}s has passed: the zone's keys can be removed (${removeKeysCommand(input.namespace, request.apex, state.keys)}) and the DNS pods restarted`,
        });
      }
    }
    zones.set(request.source, { ...state, condition: { ok: true, reason, message } });
  }
  return { zones, events, missingSince, ...(nextDueMs !== undefined ? { nextDueMs } : {}) };
}
