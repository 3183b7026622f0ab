// The routing policies. Each one picks targets from the candidates; decide() (decide.ts) turns that into
// addresses, the ECS scope and the cache key. Pure: randomness comes in as a function.
import type { CompiledRoutedName } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';
import type { Candidate } from './candidates.ts';
import { matchLevel, MATCH_LEVELS } from './match.ts';

export { matchLevel, MATCH_LEVELS };

export interface Choice {
  chosen: Candidate[];
  /** Whether the client's location picked the answer (then the ECS scope is the location's prefix length). */
  locationDependent: boolean;
  /** Rotate the combined address list by this offset (multivalue), before the maxAnswers cap. */
  rotate?: number;
  /** The region that answered (regional). */
  region?: string;
}

export interface PolicyInput {
  candidates: Candidate[];
  location: ClientLocation | undefined;
  random: () => number;
  /** The routed name (its regions, maxAnswers); only the regional policy reads it. */
  routed: CompiledRoutedName;
  /**
   * Where a policy writes its explanation (geodns route, debug logs); undefined on the answer path, where
   * `steps?.push(...)` then builds no string at all.
   */
  steps: string[] | undefined;
}

const describe = (c: Candidate) => c.target.name;
const names = (list: Candidate[]) => list.map(describe).join(', ') || '(none)';

/** Healthy candidates, or all of them (with a step saying so) when none is healthy. */
function usable(candidates: Candidate[], steps: string[] | undefined): { pool: Candidate[]; degraded: boolean } {
  const healthy = candidates.filter((c) => c.healthy);
  steps?.push(`healthy: ${names(healthy)}`);
  if (healthy.length > 0) return { pool: healthy, degraded: false };
  steps?.push('no healthy target: degrading to all targets');
  return { pool: candidates, degraded: true };
}

/** The candidates at the smallest distance (ties kept); empty when no candidate has a distance. */
function nearest(pool: Candidate[]): Candidate[] {
  let best = Infinity;
  for (const c of pool) if (c.distanceKm !== undefined && c.distanceKm < best) best = c.distanceKm;
  return best === Infinity ? [] : pool.filter((c) => c.distanceKm !== undefined && c.distanceKm - best < 1e-6);
}

const km = (c: Candidate) => (c.distanceKm === undefined ? '' : ` (${Math.round(c.distanceKm)} km)`);

export function geo({ candidates, location, steps }: PolicyInput): Choice {
  const { pool, degraded } = usable(candidates, steps);
  if (degraded) return { chosen: pool, locationDependent: false };
  if (pool.length === 1) {
    steps?.push(`only one healthy target: ${names(pool)}`);
    return { chosen: pool, locationDependent: false };
  }
  const locationKnown = location !== undefined;
  let bestLevel = -1;
  const levels = pool.map((c) => matchLevel(c.target.location, location));
  for (const level of levels) bestLevel = Math.max(bestLevel, level);
  if (bestLevel >= 0) {
    const chosen = pool.filter((_, i) => levels[i] === bestLevel);
    steps?.push(`best location match (${MATCH_LEVELS[bestLevel]}): ${names(chosen)}`);
    return { chosen, locationDependent: locationKnown };
  }
  steps?.push('no target matches the client location');
  const close = nearest(pool);
  if (close.length > 0) {
    steps?.push(`fallback to the nearest healthy target: ${close.map((c) => describe(c) + km(c)).join(', ')}`);
    return { chosen: close, locationDependent: locationKnown };
  }
  steps?.push('client coordinates unknown: fallback to all healthy targets');
  return { chosen: pool, locationDependent: locationKnown };
}

export function proximity({ candidates, location, steps }: PolicyInput): Choice {
  const { pool, degraded } = usable(candidates, steps);
  if (pool.length === 1) {
    steps?.push(`only one target to choose from: ${names(pool)}`);
    return { chosen: pool, locationDependent: false };
  }
  const close = nearest(pool);
  if (close.length > 0) {
    steps?.push(`nearest${degraded ? '' : ' healthy'} target: ${close.map((c) => describe(c) + km(c)).join(', ')}`);
    return { chosen: close, locationDependent: location !== undefined };
  }
  steps?.push('client or target coordinates unknown: all of them');
  return { chosen: pool, locationDependent: location !== undefined };
}

export function weighted({ candidates, random, steps }: PolicyInput): Choice {
  const { pool } = usable(candidates, steps);
  const weighed = pool.filter((c) => c.target.weight > 0);
  const draw = weighed.length > 0 ? weighed : pool;
  const weightOf = (c: Candidate) => (weighed.length > 0 ? c.target.weight : 1);
  const total = draw.reduce((sum, c) => sum + weightOf(c), 0);
  if (weighed.length === 0) steps?.push('no target has a weight above 0: equal chances');
  let point = Math.min(Math.max(random(), 0), 0.999999999) * total;
  let picked = draw[draw.length - 1];
  for (const c of draw) {
    point -= weightOf(c);
    if (point < 0) {
      picked = c;
      break;
    }
  }
  const chosen = picked ? [picked] : [];
  steps?.push(
    `weights ${draw.map((c) => `${describe(c)}=${weightOf(c)}`).join(', ')} of ${total}: picked ${names(chosen)}`,
  );
  return { chosen, locationDependent: false };
}

export function failover({ candidates, steps }: PolicyInput): Choice {
  const tiers = [...new Set(candidates.map((c) => c.target.priority))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const healthy = candidates.filter((c) => c.target.priority === tier && c.healthy);
    if (healthy.length > 0) {
      steps?.push(`priority ${tier}: healthy ${names(healthy)}`);
      return { chosen: healthy, locationDependent: false };
    }
    steps?.push(`priority ${tier}: no healthy target`);
  }
  const lowest = candidates.filter((c) => c.target.priority === tiers[0]);
  if (lowest.length > 0) steps?.push(`nothing healthy: degrading to priority ${tiers[0]}: ${names(lowest)}`);
  return { chosen: lowest, locationDependent: false };
}

export function multivalue({ candidates, random, steps }: PolicyInput): Choice {
  const { pool } = usable(candidates, steps);
  const count = pool.reduce((sum, c) => sum + c.addresses.length, 0);
  const rotate = count > 0 ? Math.min(count - 1, Math.floor(Math.max(random(), 0) * count)) : 0;
  steps?.push(`${count} addresses, rotated by ${rotate}`);
  return { chosen: pool, locationDependent: false, rotate };
}

export const policies = { geo, proximity, weighted, failover, multivalue } as const;
