// compile(): resources + resolved Services + health → one compiled document per zone and conditions for every
// resource. Pure: no I/O, no clock (input.now), no randomness; the same input gives byte-identical documents.
import {
  COMPILED_FORMAT,
  type CompiledNetwork,
  type CompiledRoutedName,
  type CompiledZone,
} from '../../api/compiled.ts';
import type { Condition, ObjectMeta } from '../../api/meta.ts';
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { GeoZone } from '../../api/geozone.ts';
import type { HealthProbe } from '../../api/healthprobe.ts';
import type { ResourceKind } from '../../api/kinds.ts';
import { compareNetworks, parseNetwork, type ParsedNetwork } from './addresses.ts';
import { condition, joinMessages } from './conditions.ts';
import { canonicalName, compareStrings, isInZone, nameProblem } from './names.ts';
import { describeAllowed, namespaceAllowed } from './namespaces.ts';
import { nextSerial } from './serial.ts';
import { contentHashOf } from './serialize.ts';
import { compiledLocation, resolveTargets, type ResolvedTargets, type ServiceInfo } from './targets.ts';
import { compileZoneRecords, type ZoneRecords } from './zone-records.ts';

export interface CompileInput {
  zones: GeoZone[];
  endpoints: GeoEndpoint[];
  probes: HealthProbe[];
  namespaces: { name: string; labels: Record<string, string> }[];
  services: ServiceInfo[];
  /** Compile-time health by target id; a missing id is healthy. */
  health: Record<string, boolean>;
  /** The serial and content hash last published per zone apex. */
  previous: Record<string, { serial: number; contentHash: string }>;
  now: Date;
}

/** Status fields besides conditions that the status writer can publish. */
export interface ResultSummary {
  serial?: number;
  contentHash?: string;
  endpoints?: number;
  healthyTargets?: number;
  totalTargets?: number;
  targetsSummary?: string;
}

export interface ResourceResult {
  kind: ResourceKind;
  namespace?: string;
  name: string;
  conditions: Condition[];
  summary?: ResultSummary;
}

export interface CompileOutput {
  zones: CompiledZone[];
  results: ResourceResult[];
}

interface AcceptedZone {
  resource: GeoZone;
  apex: string;
  static: ZoneRecords;
  routed: CompiledRoutedName[];
  refusedEndpoints: number;
}

type ZoneVerdict = { accepted: AcceptedZone } | { refused: { reason: string; message: string } };

export function compile(input: CompileInput): CompileOutput {
  const now = input.now;
  const results: ResourceResult[] = [];

  const zoneVerdicts = judgeZones(input.zones ?? []);
  const endpointResults = compileEndpoints(input, zoneVerdicts);

  const documents: CompiledZone[] = [];
  for (const zone of sortByName(input.zones ?? [])) {
    const verdict = zoneVerdicts.get(zone.metadata.name);
    if (!verdict) continue;
    if ('refused' in verdict) {
      results.push({
        kind: 'GeoZone',
        name: zone.metadata.name,
        conditions: [
          condition('Accepted', false, verdict.refused.reason, verdict.refused.message, zone.metadata, now),
          condition('Ready', false, 'NotAccepted', 'the zone is not served: it is not accepted', zone.metadata, now),
        ],
      });
      continue;
    }
    const { document, problems } = buildDocument(verdict.accepted, input);
    documents.push(document);
    results.push(zoneResult(verdict.accepted, document, problems, now));
  }

  results.push(...endpointResults);
  results.push(...probeResults(input, now));
  documents.sort((a, b) => compareStrings(a.zone, b.zone));
  return { zones: documents, results };
}

// ---------------------------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------------------------

function judgeZones(zones: readonly GeoZone[]): Map<string, ZoneVerdict> {
  const verdicts = new Map<string, ZoneVerdict>();
  const byApex = new Map<string, GeoZone[]>();
  for (const zone of zones) {
    const apex = canonicalName(zone.spec?.apex ?? '');
    const problem = apex === '' ? 'spec.apex is empty' : nameProblem(apex);
    if (problem) {
      verdicts.set(zone.metadata.name, { refused: { reason: 'InvalidSpec', message: `spec.apex: ${problem}` } });
      continue;
    }
    byApex.set(apex, [...(byApex.get(apex) ?? []), zone]);
  }
  for (const [apex, claimants] of byApex) {
    const [winner, ...losers] = [...claimants].sort((a, b) =>
      compareAge(a.metadata, b.metadata, a.metadata.name, b.metadata.name),
    );
    if (!winner) continue;
    for (const loser of losers) {
      verdicts.set(loser.metadata.name, {
        refused: {
          reason: 'Conflict',
          message: `apex ${apex} is already served by GeoZone ${winner.metadata.name}, which is older`,
        },
      });
    }
    const records = compileZoneRecords(apex, winner.spec);
    if (records.ns.names.length === 0) {
      verdicts.set(winner.metadata.name, {
        refused: {
          reason: 'InvalidSpec',
          message: `spec.nameServers holds no usable name server: ${joinMessages(records.problems)}`,
        },
      });
      continue;
    }
    verdicts.set(winner.metadata.name, {
      accepted: { resource: winner, apex, static: records, routed: [], refusedEndpoints: 0 },
    });
  }
  return verdicts;
}

function buildDocument(zone: AcceptedZone, input: CompileInput): { document: CompiledZone; problems: string[] } {
  const spec = zone.resource.spec;
  const problems = [...zone.static.problems];
  const networks = compileNetworks(spec.networks ?? [], problems);
  const soa = spec.soa;
  const content = {
    format: COMPILED_FORMAT,
    zone: zone.apex,
    source: zone.resource.metadata.name,
    soa: {
      mname: canonicalName(soa?.primaryNameServer ?? zone.static.primaryNameServer ?? ''),
      rname: canonicalName(soa?.hostmaster ?? `hostmaster.${zone.apex}`),
      refresh: soa?.refresh ?? 3600,
      retry: soa?.retry ?? 600,
      expire: soa?.expire ?? 604800,
      minimum: soa?.minimum ?? 60,
      ttl: soa?.ttl ?? 3600,
    },
    ns: zone.static.ns,
    records: zone.static.records,
    routed: [...zone.routed].sort((a, b) => compareStrings(a.name, b.name)),
    networks,
  } satisfies Omit<CompiledZone, 'serial' | 'contentHash'>;
  const contentHash = contentHashOf(content);
  const { serial, note } = nextSerial({
    contentHash,
    previous: input.previous?.[zone.apex],
    serialFloor: soa?.serialFloor,
    now: input.now,
  });
  if (note) problems.push(note);
  const document: CompiledZone = {
    format: content.format,
    zone: content.zone,
    source: content.source,
    serial,
    contentHash,
    soa: content.soa,
    ns: content.ns,
    records: content.records,
    routed: content.routed,
    networks: content.networks,
  };
  return { document, problems };
}

function compileNetworks(networks: NonNullable<GeoZone['spec']['networks']>, problems: string[]): CompiledNetwork[] {
  const parsed: { network: ParsedNetwork; location: CompiledNetwork['location'] }[] = [];
  const seen = new Map<string, number>();
  for (const [index, network] of networks.entries()) {
    const where = `networks[${index}] (${network.cidr})`;
    const result = parseNetwork(network.cidr ?? '');
    if (!result) {
      problems.push(`${where}: not an IPv4 or IPv6 network in CIDR notation`);
      continue;
    }
    const first = seen.get(result.cidr);
    if (first !== undefined) {
      problems.push(`${where}: the same network as networks[${first}]; left out`);
      continue;
    }
    seen.set(result.cidr, index);
    parsed.push({ network: result, location: compiledLocation(network.location) });
  }
  return parsed
    .sort((a, b) => compareNetworks(a.network, b.network))
    .map(({ network, location }) => ({ cidr: network.cidr, location }));
}

function zoneResult(zone: AcceptedZone, document: CompiledZone, problems: string[], now: Date): ResourceResult {
  const meta = zone.resource.metadata;
  const accepted =
    problems.length === 0
      ? condition('Accepted', true, 'Accepted', `serving apex ${zone.apex}`, meta, now)
      : condition(
          'Accepted',
          true,
          'RecordsNotValid',
          `serving apex ${zone.apex}; ${problems.length} problem(s), the affected entries are left out: ${joinMessages(problems)}`,
          meta,
          now,
        );
  const served = document.routed.length;
  const refused = zone.refusedEndpoints > 0 ? ` (${zone.refusedEndpoints} refused; see their status)` : '';
  const ready = condition(
    'Ready',
    true,
    'Ready',
    `serial ${document.serial}: ${document.records.length} static rrset(s), ${served} GeoEndpoint(s) served${refused}`,
    meta,
    now,
  );
  return {
    kind: 'GeoZone',
    name: meta.name,
    conditions: [accepted, ready],
    summary: { serial: document.serial, contentHash: document.contentHash, endpoints: served },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------------------------

interface Refusal {
  reason: string;
  message: string;
}

interface EndpointDraft {
  endpoint: GeoEndpoint;
  namespace: string;
  resolved: ResolvedTargets;
  /** The accepted zone the endpoint names, even when it is refused there (for the zone's refused count). */
  claimedZone?: AcceptedZone;
  zone?: AcceptedZone;
  hostname?: string;
  refusal?: Refusal;
}

function compileEndpoints(input: CompileInput, zoneVerdicts: ReadonlyMap<string, ZoneVerdict>): ResourceResult[] {
  const labels = new Map((input.namespaces ?? []).map((ns) => [ns.name, ns.labels ?? {}]));
  const services = new Map((input.services ?? []).map((s) => [`${s.namespace}/${s.name}`, s]));
  const probes = new Set((input.probes ?? []).map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`));
  const lookups = {
    service: (namespace: string, name: string) => services.get(`${namespace}/${name}`),
    probeExists: (namespace: string, name: string) => probes.has(`${namespace}/${name}`),
    health: input.health ?? {},
  };

  const drafts: EndpointDraft[] = sortByNamespacedName(input.endpoints ?? []).map((endpoint) => {
    const namespace = endpoint.metadata.namespace ?? 'default';
    const draft: EndpointDraft = { endpoint, namespace, resolved: resolveTargets(endpoint, lookups) };
    admit(draft, zoneVerdicts, labels);
    return draft;
  });

  // One name, one owner: the oldest claimant (creationTimestamp, then namespace/name) keeps it.
  const claims = new Map<string, EndpointDraft[]>();
  for (const draft of drafts) {
    if (draft.refusal || !draft.zone || draft.hostname === undefined) continue;
    const key = `${draft.zone.apex} ${draft.hostname}`;
    claims.set(key, [...(claims.get(key) ?? []), draft]);
  }
  for (const claimants of claims.values()) {
    const [winner, ...losers] = [...claimants].sort((a, b) =>
      compareAge(a.endpoint.metadata, b.endpoint.metadata, qualified(a), qualified(b)),
    );
    for (const loser of losers) {
      loser.refusal = {
        reason: 'Conflict',
        message: `${loser.hostname} is already published by GeoEndpoint ${qualified(winner as EndpointDraft)}, which is older`,
      };
    }
  }

  for (const draft of drafts) {
    if (draft.refusal || !draft.zone) continue;
    if (draft.resolved.targets.length === 0) {
      draft.refusal = { reason: 'NoResolvedTargets', message: 'no target could be resolved; see ResolvedRefs' };
      continue;
    }
    const spec = draft.endpoint.spec;
    draft.zone.routed.push({
      name: draft.hostname as string,
      source: qualified(draft),
      ttl: spec.ttl ?? draft.zone.resource.spec.defaultTTL ?? 300,
      policy: spec.policy ?? 'geo',
      maxAnswers: spec.maxAnswers ?? 8,
      targets: draft.resolved.targets,
    });
  }

  return drafts.map((draft) => {
    if (draft.refusal && draft.claimedZone) draft.claimedZone.refusedEndpoints++;
    return endpointResult(draft, input.now);
  });
}

/** Zone, namespace and hostname checks; sets draft.refusal or draft.zone + draft.hostname. */
function admit(
  draft: EndpointDraft,
  zoneVerdicts: ReadonlyMap<string, ZoneVerdict>,
  labels: ReadonlyMap<string, Record<string, string>>,
): void {
  const zoneName = draft.endpoint.spec?.zoneRef?.name ?? '';
  const verdict = zoneVerdicts.get(zoneName);
  if (!verdict) {
    draft.refusal = { reason: 'ZoneNotFound', message: `GeoZone ${zoneName} not found` };
    return;
  }
  if ('refused' in verdict) {
    draft.refusal = {
      reason: 'ZoneNotAccepted',
      message: `GeoZone ${zoneName} is not accepted (${verdict.refused.reason}: ${verdict.refused.message})`,
    };
    return;
  }
  const zone = verdict.accepted;
  draft.claimedZone = zone;
  const allowed = zone.resource.spec.allowedNamespaces;
  if (!namespaceAllowed(allowed, draft.namespace, labels)) {
    draft.refusal = {
      reason: 'NotAllowedByZone',
      message: `GeoZone ${zoneName} admits ${describeAllowed(allowed)}; namespace ${draft.namespace} is not one of them`,
    };
    return;
  }
  const hostname = canonicalName(draft.endpoint.spec.hostname ?? '');
  const problem = hostname === '' ? 'hostname is empty' : nameProblem(hostname);
  if (problem || !isInZone(hostname, zone.apex)) {
    draft.refusal = {
      reason: 'HostnameOutsideZone',
      message: problem
        ? `spec.hostname "${draft.endpoint.spec.hostname}": ${problem}`
        : `hostname ${hostname} is outside the zone ${zone.apex} of GeoZone ${zoneName}`,
    };
    return;
  }
  const cut = zone.static.delegationCovering(hostname);
  if (cut) {
    draft.refusal = {
      reason: 'HostnameDelegated',
      message: `hostname ${hostname} is at or below ${cut}, which GeoZone ${zoneName} delegates with NS records`,
    };
    return;
  }
  const types = zone.static.typesAt(hostname);
  const cname = types.get('CNAME');
  if (cname) {
    draft.refusal = {
      reason: 'CNAMEConflict',
      message: `GeoZone ${zoneName} has a CNAME at ${hostname} (spec.${cname}); no other data may sit beside it`,
    };
    return;
  }
  const address = types.has('A') ? 'A' : types.has('AAAA') ? 'AAAA' : undefined;
  if (address) {
    draft.refusal = {
      reason: 'RecordConflict',
      message: `GeoZone ${zoneName} has static ${address} records at ${hostname} (${types.get(address)}); a routed name owns its addresses`,
    };
    return;
  }
  draft.zone = zone;
  draft.hostname = hostname;
}

function endpointResult(draft: EndpointDraft, now: Date): ResourceResult {
  const meta = draft.endpoint.metadata;
  const { targets, problems } = draft.resolved;
  const total = draft.endpoint.spec?.targets?.length ?? 0;
  const healthy = targets.filter((t) => t.healthy).length;
  const served = !draft.refusal;

  const accepted = served
    ? condition(
        'Accepted',
        true,
        'Accepted',
        `served as ${draft.hostname} in GeoZone ${draft.zone?.resource.metadata.name} (policy ${draft.endpoint.spec.policy ?? 'geo'}, ${targets.length} target(s))`,
        meta,
        now,
      )
    : condition('Accepted', false, draft.refusal?.reason ?? 'Invalid', draft.refusal?.message ?? '', meta, now);

  const resolvedRefs =
    problems.length === 0
      ? condition('ResolvedRefs', true, 'ResolvedRefs', `all ${total} target(s) resolved`, meta, now)
      : condition(
          'ResolvedRefs',
          false,
          (problems[0] as { reason: string }).reason,
          joinMessages(problems.map((p) => p.message)),
          meta,
          now,
        );

  let ready: Condition;
  if (!served) ready = condition('Ready', false, 'NotAccepted', 'the name is not served; see Accepted', meta, now);
  else if (healthy === 0) {
    ready = condition(
      'Ready',
      false,
      'NoHealthyTargets',
      `0/${targets.length} served target(s) healthy at compile time; answers fall back to all targets`,
      meta,
      now,
    );
  } else {
    ready = condition('Ready', true, 'Ready', `${healthy}/${targets.length} served target(s) healthy`, meta, now);
  }

  return {
    kind: 'GeoEndpoint',
    namespace: draft.namespace,
    name: meta.name,
    conditions: [accepted, resolvedRefs, ready],
    summary: {
      healthyTargets: served ? healthy : 0,
      totalTargets: total,
      targetsSummary: `${served ? healthy : 0}/${total}`,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------------------------------

function probeResults(input: CompileInput, now: Date): ResourceResult[] {
  const users = new Map<string, string[]>();
  for (const endpoint of input.endpoints ?? []) {
    const namespace = endpoint.metadata.namespace ?? 'default';
    for (const target of endpoint.spec?.targets ?? []) {
      if (!target.healthProbeRef) continue;
      const key = `${namespace}/${target.healthProbeRef.name}`;
      users.set(key, [...(users.get(key) ?? []), `${namespace}/${endpoint.metadata.name}/${target.name}`]);
    }
  }
  return sortByNamespacedName(input.probes ?? []).map((probe) => {
    const namespace = probe.metadata.namespace ?? 'default';
    const using = (users.get(`${namespace}/${probe.metadata.name}`) ?? []).sort(compareStrings);
    const message =
      using.length === 0
        ? 'valid; no GeoEndpoint target references this probe'
        : `valid; checks ${using.length} target(s): ${joinMessages(using, ', ')}`;
    return {
      kind: 'HealthProbe' as const,
      namespace,
      name: probe.metadata.name,
      conditions: [
        condition('Accepted', true, using.length === 0 ? 'Unused' : 'Accepted', message, probe.metadata, now),
      ],
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------------------------------

function creationTime(meta: ObjectMeta): number {
  const time = meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Number.NaN;
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** Older first; a resource without a creationTimestamp counts as newest; ties by the given keys. */
function compareAge(a: ObjectMeta, b: ObjectMeta, keyA: string, keyB: string): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(keyA, keyB);
}

function qualified(draft: EndpointDraft): string {
  return `${draft.namespace}/${draft.endpoint.metadata.name}`;
}

function sortByName<T extends { metadata: ObjectMeta }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
}

function sortByNamespacedName<T extends { metadata: ObjectMeta }>(items: readonly T[]): T[] {
  const key = (item: T) => `${item.metadata.namespace ?? 'default'}/${item.metadata.name}`;
  return [...items].sort((a, b) => compareStrings(key(a), key(b)));
}
