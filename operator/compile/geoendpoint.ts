// Compiling GeoEndpoints: each one's targets resolved, its name admitted by its zone, one owner per name (the
// oldest claimant), and the routed names added to the accepted zones; a refused GeoEndpoint is left out and its
// status says why.
import { parseDuration } from '../../api/duration.ts';
import type { FailoverStatus, GeoEndpoint } from '../../api/geoendpoint.ts';
import { DEFAULT_FAILOVER_BUDGET, DEFAULT_ROUTED_TTL } from '../../api/geozone.ts';
import type { Condition } from '../../api/meta.ts';
import { admit, type Admission } from './admission.ts';
import { condition, joinMessages } from './conditions.ts';
import type { ZoneVerdict } from './geozone.ts';
import type { CompileInput } from './input.ts';
import { compareAge, sortByNamespacedName } from './order.ts';
import type { ResourceResult } from './results.ts';
import { judgePolicy, type PolicyVerdict } from './policy-fields.ts';
import { permittingGrant } from './grants.ts';
import { resolveTargets, type ResolvedTargets, type TargetLookups } from './targets.ts';
import { failoverStatus, failoverTime, overBudget } from './failover-time.ts';

interface EndpointDraft extends Admission {
  endpoint: GeoEndpoint;
  namespace: string;
  resolved: ResolvedTargets;
  policy: PolicyVerdict;
  /** For a served name: its failover time against its zone's budget, and the warning when over it. */
  failover?: FailoverStatus;
  overBudget?: string;
}

/** The GeoEndpoints' status; the admitted ones are added to their zone's routed names. */
export function compileEndpoints(
  input: CompileInput,
  zoneVerdicts: ReadonlyMap<string, ZoneVerdict>,
): ResourceResult[] {
  const labels = new Map((input.namespaces ?? []).map((ns) => [ns.name, ns.labels ?? {}]));
  const services = new Map((input.services ?? []).map((s) => [`${s.namespace}/${s.name}`, s]));
  const probes = new Map(
    (input.probes ?? []).map((p) => [`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p]),
  );
  const ingresses = new Map((input.ingresses ?? []).map((i) => [`${i.namespace}/${i.name}`, i]));
  const gateways = new Map((input.gateways ?? []).map((g) => [`${g.namespace}/${g.name}`, g]));
  const grants = input.referenceGrants ?? [];
  const peerTargets = new Map((input.peerTargets ?? []).map((p) => [p.id, p]));
  const imports = new Map((input.serviceImports ?? []).map((i) => [`${i.namespace}/${i.name}`, i]));
  const lookups: TargetLookups = {
    serviceImport: (namespace, name) => imports.get(`${namespace}/${name}`),
    peerTarget: (id) => peerTargets.get(id),
    service: (namespace: string, name: string) => services.get(`${namespace}/${name}`),
    loadBalancer: (kind, namespace, name) => (kind === 'Ingress' ? ingresses : gateways).get(`${namespace}/${name}`),
    permitted: (from, ref) => permittingGrant(from, ref, grants) !== undefined,
    missingKinds: new Set(input.missingKinds ?? []),
    forbiddenKinds: new Set(input.forbiddenKinds ?? []),
    probeExists: (namespace: string, name: string) => probes.has(`${namespace}/${name}`),
    health: input.health ?? {},
  };

  const drafts: EndpointDraft[] = sortByNamespacedName(input.endpoints ?? []).map((endpoint) => {
    const namespace = endpoint.metadata.namespace ?? 'default';
    const resolved = resolveTargets(endpoint, lookups);
    const admission = admit(endpoint, namespace, zoneVerdicts, labels);
    // A policy that cannot work is refused before it claims its name (an older broken claimant never blocks).
    const policy = judgePolicy(endpoint.spec, resolved.targets);
    if (!admission.refusal && policy.refusal) admission.refusal = policy.refusal;
    return { endpoint, namespace, resolved, policy, ...admission };
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
    const regional = draft.policy.regional;
    const zoneSpec = draft.zone.resource.spec;
    const ttl = spec.ttl ?? zoneSpec.routedTTL ?? DEFAULT_ROUTED_TTL;
    const budgetSeconds = parseDuration(zoneSpec.failoverBudget ?? DEFAULT_FAILOVER_BUDGET) / 1000;
    const time = failoverTime(draft.endpoint, ttl, (name) => probes.get(`${draft.namespace}/${name}`));
    draft.failover = failoverStatus(time, budgetSeconds);
    draft.overBudget = overBudget(time, budgetSeconds);
    draft.zone.routed.push({
      name: draft.hostname as string,
      source: qualified(draft),
      ttl,
      policy: spec.policy ?? 'geo',
      maxAnswers: spec.maxAnswers ?? 8,
      targets: regional ? regional.targets : draft.resolved.targets,
      // Only for regional: the documents of the other policies stay byte for byte what they were.
      ...(regional ? { regions: regional.regions, defaultRegion: regional.defaultRegion } : {}),
    });
  }

  return drafts.map((draft) => {
    if (draft.refusal && draft.claimedZone) draft.claimedZone.refusedEndpoints++;
    return endpointResult(draft, input.now);
  });
}

function endpointResult(draft: EndpointDraft, now: Date): ResourceResult {
  const meta = draft.endpoint.metadata;
  const { targets, problems } = draft.resolved;
  const total = draft.endpoint.spec?.targets?.length ?? 0;
  const healthy = targets.filter((t) => t.healthy).length;
  const served = !draft.refusal;

  const servedAs = `served as ${draft.hostname} in GeoZone ${draft.zone?.resource.metadata.name} (policy ${draft.endpoint.spec.policy ?? 'geo'}, ${targets.length} target(s))`;
  // Served, with what deserves a look: fields the policy ignores first (the reason names them), then a failover
  // time over the zone's budget.
  const warnings = [...draft.policy.warnings, ...(draft.overBudget ? [draft.overBudget] : [])];
  const warned = draft.policy.warnings.length > 0 ? 'IgnoredFields' : 'FailoverOverBudget';
  const accepted = served
    ? warnings.length === 0
      ? condition('Accepted', true, 'Accepted', servedAs, meta, now)
      : condition('Accepted', true, warned, `${servedAs}; ${joinMessages(warnings)}`, meta, now)
    : condition('Accepted', false, draft.refusal?.reason ?? 'Invalid', draft.refusal?.message ?? '', meta, now);

  const resolvedRefs =
    problems.length === 0
      ? condition(
          'ResolvedRefs',
          true,
          'ResolvedRefs',
          joinMessages([`all ${total} target(s) resolved`, ...draft.resolved.notes]),
          meta,
          now,
        )
      : condition(
          'ResolvedRefs',
          false,
          (problems[0] as { reason: string }).reason,
          joinMessages([...problems.map((p) => p.message), ...draft.resolved.notes]),
          meta,
          now,
        );

  let ready: Condition;
  if (!served) ready = condition('Ready', false, 'NotAccepted', 'the name is not served; see Accepted', meta, now);
  else if (healthy === 0) {
    const fallback = draft.policy.regional
      ? "answers fall back to every target of the client's region"
      : 'answers fall back to all targets';
    ready = condition(
      'Ready',
      false,
      'NoHealthyTargets',
      `0/${targets.length} served target(s) healthy at compile time; ${fallback}`,
      meta,
      now,
    );
  } else {
    const regions = draft.policy.regional ? `; ${regionsHealth(draft.policy.regional)}` : '';
    ready = condition(
      'Ready',
      true,
      'Ready',
      `${healthy}/${targets.length} served target(s) healthy${regions}`,
      meta,
      now,
    );
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
      targets: draft.resolved.sources,
      ...(draft.failover ? { failover: draft.failover } : {}),
    },
  };
}

/** 'by region: us 5/5, eu 4/5, apac 0/5 (its clients go to us)' (compile-time health). */
function regionsHealth(regional: NonNullable<PolicyVerdict['regional']>): string {
  const parts = regional.regions.map((region) => {
    const members = regional.targets.filter((t) => t.region === region.name);
    const up = members.filter((t) => t.healthy && t.weight > 0).length;
    const spill = up === 0 && region.backups.length > 0 ? ` (its clients go to ${region.backups.join(', then ')})` : '';
    return `${region.name} ${up}/${members.length}${spill}`;
  });
  return `by region: ${parts.join(', ')}`;
}

function qualified(draft: EndpointDraft): string {
  return `${draft.namespace}/${draft.endpoint.metadata.name}`;
}
