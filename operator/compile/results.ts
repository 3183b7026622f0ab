// What compile says of each resource, and how it reads to people: the CLI, the route explainer and the standalone
// server's logs say it alike.
import type { FailoverStatus, TargetStatus } from '../../api/geoendpoint.ts';
import type { Condition } from '../../api/meta.ts';
import type { ResourceKind } from '../../api/kinds.ts';

/** Status fields besides conditions that the status writer can publish. */
export interface ResultSummary {
  serial?: number;
  contentHash?: string;
  endpoints?: number;
  healthyTargets?: number;
  totalTargets?: number;
  targetsSummary?: string;
  /** GeoEndpoints: each resolved target and the object its addresses came from. */
  targets?: TargetStatus[];
  /** GeoEndpoints: the worst-case failover time and its parts. */
  failover?: FailoverStatus;
}

/** What compile says of one resource: its conditions, and for zones and GeoEndpoints a summary. */
export interface ResourceResult {
  kind: ResourceKind;
  namespace?: string;
  name: string;
  conditions: Condition[];
  summary?: ResultSummary;
}

/** 'GeoEndpoint web/www', or 'GeoZone geo-example' for a cluster-scoped resource. */
export function resourceLabel(result: ResourceResult): string {
  return `${result.kind} ${result.namespace ? `${result.namespace}/${result.name}` : result.name}`;
}

/** Part of the input is not served: a refused resource, an unresolved reference, or records left out. */
export function isRefusal(condition: Condition): boolean {
  if (condition.type !== 'Accepted' && condition.type !== 'ResolvedRefs') return false;
  return condition.status !== 'True' || condition.reason === 'RecordsNotValid';
}

/** 'GeoEndpoint web/www: Accepted=False (Conflict): ...' */
export function describeCondition(result: ResourceResult, condition: Condition): string {
  return `${resourceLabel(result)}: ${condition.type}=${condition.status} (${condition.reason}): ${condition.message}`;
}
