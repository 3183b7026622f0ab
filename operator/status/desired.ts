// The status each resource should have, from the compile results, the live health table and what publishing
// said; and whether that differs from the status it has. Pure.
import type { CompiledRoutedName, CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { Condition } from '../../api/meta.ts';
import { canonicalJson, type ResourceResult } from '../compile/index.ts';
import { NO_SLICE_YET } from '../inputs/cluster-snapshot.ts';
import {
  familyOf,
  summarizeFamilies,
  type AddressFamily,
  type FamilyReach,
  type FamilySummary,
  type ProbedAddress,
} from '../prober/index.ts';
import type { ZoneKeyState } from '../dnssec/plan.ts';
import { peersCondition, type PEERING_DISABLED } from '../peers/condition.ts';
import type { PeerReport } from '../peers/exchange.ts';

export type StatusBody = Record<string, unknown> & { conditions?: Condition[] };

/** Keeps a condition's lastTransitionTime while its status stays the same, as Kubernetes conventions ask. */
export function keepTransitionTimes(
  desired: readonly Condition[],
  current: readonly Condition[] | undefined,
): Condition[] {
  return desired.map((c) => {
    const before = current?.find((o) => o.type === c.type);
    return before && before.status === c.status && before.lastTransitionTime
      ? { ...c, lastTransitionTime: before.lastTransitionTime }
      : c;
  });
}

function setCondition(conditions: Condition[], next: Condition): Condition[] {
  return [...conditions.filter((c) => c.type !== next.type), next];
}

/** The routed names of the zones by their GeoEndpoint (namespace/name): built once per status refresh. */
export function routedBySource(zones: readonly CompiledZone[]): Map<string, CompiledRoutedName[]> {
  const index = new Map<string, CompiledRoutedName[]>();
  for (const zone of zones) {
    for (const routed of zone.routed) {
      const list = index.get(routed.source);
      if (list) list.push(routed);
      else index.set(routed.source, [routed]);
    }
  }
  return index;
}

/** A target as served now: healthy by the health table, or by compile-time health where it is silent. */
function liveHealthy(target: CompiledRoutedName['targets'][number], health: HealthTable): boolean {
  const entry = health.targets[target.id];
  return entry ? entry.up : target.healthy;
}

/**
 * Per zone apex, how many GeoEndpoints (names) have targets and not one of them healthy now, as their Ready
 * condition says (NoHealthyTargets, NoReadyEndpoints; their answers fall back to all targets): what the alert
 * GeoDNSNameWithoutHealthyTarget watches. Every zone is listed, with 0 when none.
 */
export function namesWithoutHealthyTarget(zones: readonly CompiledZone[], health: HealthTable): Map<string, number> {
  const counts = new Map<string, number>();
  for (const zone of zones) {
    const up = new Map<string, boolean>();
    for (const routed of zone.routed) {
      for (const target of routed.targets) {
        up.set(routed.source, (up.get(routed.source) ?? false) || liveHealthy(target, health));
      }
    }
    counts.set(zone.zone, [...up.values()].filter((healthy) => !healthy).length);
  }
  return counts;
}

/** An endpoint's targets as served now: healthy by the health table, or by compile-time health where it is silent. */
export function liveTargets(
  result: ResourceResult,
  routedNames: ReadonlyMap<string, readonly CompiledRoutedName[]>,
  health: HealthTable,
): { healthy: number; total: number; reasons: string[] } {
  const source = `${result.namespace ?? 'default'}/${result.name}`;
  let healthy = 0;
  let total = 0;
  const reasons: string[] = [];
  {
    for (const routed of routedNames.get(source) ?? []) {
      for (const target of routed.targets) {
        total += 1;
        const reason = health.targets[target.id]?.reason;
        if (liveHealthy(target, health)) healthy += 1;
        else if (reason) reasons.push(`${target.name}: ${reason}`);
      }
    }
  }
  return { healthy, total, reasons };
}

export interface ZonePublishState {
  tooLarge?: { bytes: number; limit: number };
  failed?: string;
}

/** The status a resource should have now. */
export function desiredStatus(
  result: ResourceResult,
  context: {
    /** routedBySource() of the compiled zones. */
    routed: ReadonlyMap<string, readonly CompiledRoutedName[]>;
    health: HealthTable;
    now: Date;
    generation: number | undefined;
    publish?: ZonePublishState;
    probed?: ProbedAddress[];
    /** HealthProbe: why its checks cannot run (probeProblem()). */
    probeProblem?: string;
    /** Whether the prober reaches each address family (ProbeScheduler.families()). */
    families?: Readonly<Record<AddressFamily, FamilyReach>>;
    serving?: { current: number; total: number };
    /** GeoZone: its DNSSEC keys (dnssec/keeper.ts), when its spec has dnssec. */
    dnssec?: ZoneKeyState;
    /** GeoZone of a signed zone: the DNS pods publishing the document's key set / the DNS pods asked. */
    keyServing?: { current: number; total: number };
    /** GeoZone: what its peers' polls gave (peers/exchange.ts), when it has peers; PEERING_DISABLED when it lists
     *  peers that this operator does not poll. */
    peers?: readonly PeerReport[] | typeof PEERING_DISABLED;
  },
): StatusBody {
  let conditions = result.conditions;
  const status: StatusBody = {};
  const observed = context.generation;
  const condition = (type: string, ok: boolean, reason: string, message: string): Condition => ({
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    lastTransitionTime: context.now.toISOString(),
    ...(observed !== undefined ? { observedGeneration: observed } : {}),
  });
  if (result.kind === 'GeoEndpoint') {
    if (result.summary?.targets) status.targets = result.summary.targets;
    if (result.summary?.failover) status.failover = result.summary.failover;
    const live = liveTargets(result, context.routed, context.health);
    if (live.total > 0) {
      status.healthyTargets = live.healthy;
      status.totalTargets = live.total;
      status.targetsSummary = `${live.healthy}/${live.total}`;
      const ready = conditions.find((c) => c.type === 'Ready');
      // A served name's readiness follows the live health, not the health compile() saw.
      if (ready && (ready.status === 'True' || ready.reason === 'NoHealthyTargets')) {
        const endpointsOnly =
          live.reasons.length > 0 &&
          live.reasons.every((r) => r.includes('has no ready endpoints') || r.includes(NO_SLICE_YET));
        if (live.healthy === 0 && endpointsOnly && live.reasons.some((r) => r.includes(NO_SLICE_YET))) {
          // Not seen yet is not "not ready": Unknown, and the Event it makes is Normal, not a Warning.
          conditions = setCondition(conditions, {
            ...condition(
              'Ready',
              false,
              'EndpointsPending',
              `0/${live.total} served target(s) known to be ready; waiting for the EndpointSlices of their Services: ${live.reasons.join('; ')}`,
            ),
            status: 'Unknown',
          });
        } else if (live.healthy === 0) {
          const noEndpoints = endpointsOnly;
          conditions = setCondition(
            conditions,
            condition(
              'Ready',
              false,
              noEndpoints ? 'NoReadyEndpoints' : 'NoHealthyTargets',
              `0/${live.total} served target(s) healthy; answers fall back to all targets: ${live.reasons.join('; ')}`,
            ),
          );
        } else {
          const note = unreachableNote(result, context.routed, context.families);
          conditions = setCondition(
            conditions,
            condition('Ready', true, 'Ready', `${live.healthy}/${live.total} served target(s) healthy${note}`),
          );
        }
      }
    } else {
      for (const key of ['healthyTargets', 'totalTargets', 'targetsSummary'] as const) {
        if (result.summary?.[key] !== undefined) status[key] = result.summary[key];
      }
    }
  }
  if (result.kind === 'GeoZone') {
    if (result.summary?.serial !== undefined) status.serial = result.summary.serial;
    if (result.summary?.contentHash !== undefined) status.contentHash = result.summary.contentHash;
    if (result.summary?.endpoints !== undefined) status.endpoints = result.summary.endpoints;
    if (context.serving && context.serving.total > 0) {
      status.servingServers = context.serving.current;
      status.totalServers = context.serving.total;
      status.serving = `${context.serving.current}/${context.serving.total}`;
    }
    const { tooLarge, failed } = context.publish ?? {};
    if (tooLarge) {
      conditions = setCondition(
        conditions,
        condition(
          'Ready',
          false,
          'ZoneTooLarge',
          `the compiled zone takes ${tooLarge.bytes} bytes, more than the ${tooLarge.limit} one ConfigMap can hold; the last published version keeps serving`,
        ),
      );
    } else if (failed) {
      conditions = setCondition(conditions, condition('Ready', false, 'PublishFailed', failed));
    }
    if (context.dnssec) {
      const { condition: signed, ...dnssec } = context.dnssec;
      // null removes a field the merge patch would otherwise leave behind (a roll done, no pod to count).
      status.dnssec = {
        ...dnssec,
        roll: dnssec.roll ?? null,
        serving:
          context.keyServing && context.keyServing.total > 0
            ? `${context.keyServing.current}/${context.keyServing.total}`
            : null,
      };
      conditions = setCondition(conditions, condition('DNSSEC', signed.ok, signed.reason, signed.message));
    }
    if (context.peers !== undefined && context.peers.length > 0) {
      const peers = peersCondition(context.peers);
      conditions = setCondition(conditions, condition('PeersReachable', peers.ok, peers.reason, peers.message));
    }
  }
  if (result.kind === 'HealthProbe') {
    let families: FamilySummary[] = [];
    if (context.probed) {
      status.addresses = context.probed;
      const up = context.probed.filter((a) => a.state !== 'Down').length;
      status.upSummary = `${up}/${context.probed.length}`;
      families = summarizeFamilies(context.probed, context.families ?? NOTHING_REACHED);
      if (families.length > 0) status.families = families;
    }
    const ready = probeReadiness(conditions, context.probed, families, context.probeProblem);
    if (ready) conditions = setCondition(conditions, condition('Ready', ready.ok, ready.reason, ready.message));
  }
  status.conditions = conditions;
  if (observed !== undefined) status.observedGeneration = observed;
  return status;
}

const NOTHING_REACHED: Record<AddressFamily, FamilyReach> = { IPv4: 'Unknown', IPv6: 'Unknown' };

/**
 * A HealthProbe's Ready from what the prober does with it: InvalidSpec (refused, or a timeout its interval cannot
 * hold), NoAddresses (its targets have none yet), NoRoute (the prober reaches none of the families its addresses
 * are in), or Probing. Undefined keeps compile's Ready (NoTargets, or Probing before the prober reports).
 */
function probeReadiness(
  conditions: readonly Condition[],
  probed: readonly ProbedAddress[] | undefined,
  families: readonly FamilySummary[],
  problem: string | undefined,
): { ok: boolean; reason: string; message: string } | undefined {
  const accepted = conditions.find((c) => c.type === 'Accepted');
  if (accepted?.status === 'False') return { ok: false, reason: 'InvalidSpec', message: accepted.message };
  if (problem !== undefined) return { ok: false, reason: 'InvalidSpec', message: problem };
  const compiled = conditions.find((c) => c.type === 'Ready');
  if (!probed || compiled?.reason !== 'Probing') return undefined;
  if (probed.length === 0) {
    return {
      ok: false,
      reason: 'NoAddresses',
      message: 'the targets that reference this probe have no address to probe yet',
    };
  }
  const unreachable = families.filter((f) => f.reachable === 'False');
  const notes = unreachable.map((f) => f.message ?? `the prober has no route to ${f.family}`);
  if (unreachable.length === families.length) return { ok: false, reason: 'NoRoute', message: notes.join('; ') };
  const addresses = families.reduce((sum, f) => sum + f.addresses, 0);
  const count = (key: 'up' | 'down' | 'unknown'): number => families.reduce((sum, f) => sum + f[key], 0);
  const summary = `probing ${addresses} address(es): ${count('up')} Up, ${count('down')} Down, ${count('unknown')} Unknown`;
  return { ok: true, reason: 'Probing', message: [summary, ...notes].join('; ') };
}

/** For a served GeoEndpoint: which of its probed targets' families the prober cannot reach, and what follows. */
function unreachableNote(
  result: ResourceResult,
  routedNames: ReadonlyMap<string, readonly CompiledRoutedName[]>,
  families: Readonly<Record<AddressFamily, FamilyReach>> | undefined,
): string {
  if (!families) return '';
  const source = `${result.namespace ?? 'default'}/${result.name}`;
  const unreached = new Set<AddressFamily>();
  for (const routed of routedNames.get(source) ?? []) {
    for (const target of routed.targets) {
      if (target.probe === undefined) continue;
      for (const address of target.addresses) {
        const family = familyOf(address);
        if (families[family] === 'Unreachable') unreached.add(family);
      }
    }
  }
  return [...unreached]
    .sort()
    .map(
      (family) =>
        `; ${family} not probed: the prober has no route to ${family}, so targets follow the health of their ` +
        `${family === 'IPv4' ? 'IPv6' : 'IPv4'} addresses`,
    )
    .join('');
}

/** Whether `desired` says anything `current` does not (lastTransitionTime kept where the status is unchanged). */
export function statusPatch(desired: StatusBody, current: StatusBody | undefined): StatusBody | undefined {
  const conditions = keepTransitionTimes(desired.conditions ?? [], current?.conditions);
  const next: StatusBody = { ...desired, conditions };
  const same =
    canonicalJson(steady(pick(current ?? {}, Object.keys(next)))) === canonicalJson(steady(withoutNulls(next)));
  return same ? undefined : next;
}

/** Reasons of a GeoEndpoint's Ready condition that follow the live health, and so flap with it. */
const HEALTH_REASONS = new Set(['Ready', 'NoReadyEndpoints', 'NoHealthyTargets']);

/**
 * Whether going from `current` to `desired` follows the live health alone (target counts, Ready between its health
 * reasons): such a change may wait longer, so that flapping targets do not write status once a second each. A first
 * status, a new observedGeneration, or any other condition's status or reason changing is not health alone.
 */
export function followsHealthOnly(kind: string, desired: StatusBody, current: StatusBody | undefined): boolean {
  if (kind !== 'GeoEndpoint' || !current?.conditions?.length) return false;
  if (desired.observedGeneration !== current.observedGeneration) return false;
  const before = new Map(current.conditions.map((c) => [c.type, c]));
  for (const condition of desired.conditions ?? []) {
    const was = before.get(condition.type);
    if (!was) return false;
    if (was.status === condition.status && was.reason === condition.reason) continue;
    if (condition.type !== 'Ready' || !HEALTH_REASONS.has(condition.reason) || !HEALTH_REASONS.has(was.reason)) {
      return false;
    }
  }
  return true;
}

/** Without the probe latencies: they change with every probe, and alone are no reason to write. */
function steady(status: StatusBody): StatusBody {
  if (!Array.isArray(status.addresses)) return status;
  return {
    ...status,
    addresses: (status.addresses as ProbedAddress[]).map(({ latencyMs: _latency, ...rest }) => rest),
  };
}

/** What a merge patch leaves: fields set to null are removed (at any depth). */
function withoutNulls(value: StatusBody): StatusBody {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null ? [] : [[k, strip(x)]])))
        : v;
  return strip(value) as StatusBody;
}

function pick(value: StatusBody, keys: readonly string[]): StatusBody {
  return Object.fromEntries(keys.filter((k) => value[k] !== undefined).map((k) => [k, value[k]]));
}
