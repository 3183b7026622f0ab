// One routing decision: which targets and addresses answer this query, whether the answer depended on the
// client's location (and so the ECS scope), and a key naming the answer for the encoded-answer cache.
import type { CompiledRoutedName } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';
import { candidatesFor, type Candidate, type HealthOverrides, type RecordFamily } from './candidates.ts';
import { policies, type Choice, type PolicyInput } from './policies.ts';
import { regional } from './regional.ts';

const table: Record<CompiledRoutedName['policy'], (input: PolicyInput) => Choice> = { ...policies, regional };

export interface Decision {
  /** Ids of the targets whose addresses are in the answer. */
  targets: string[];
  addresses: string[];
  locationDependent: boolean;
  /** ECS scope prefix: the location's prefix length when location dependent, else 0. */
  scopePrefix: number;
  /** Explanation for people (geodns route, debug logs); empty unless asked for with `explain`. */
  steps: string[];
  /** Identity of the answer (family and addresses in order): equal keys mean equal answers. */
  key: string;
  /** The candidates as seen by this query (for explanations). */
  candidates: Candidate[];
  /** The region that answered (regional policy). */
  region?: string;
}

export interface DecideInput {
  routed: CompiledRoutedName;
  family: RecordFamily;
  location?: ClientLocation | undefined;
  health?: HealthOverrides | undefined;
  random: () => number;
  /**
   * Build the explanation (default true). The answer path passes false: the strings would cost more than the
   * decision itself, and policies that decide on every query (weighted, multivalue, regional) pay it each time.
   */
  explain?: boolean;
}

export function decide({ routed, family, location, health, random, explain = true }: DecideInput): Decision {
  const candidates = candidatesFor(routed, family, health, location);
  const steps = explain ? [`policy ${routed.policy}, ${family}, maxAnswers ${routed.maxAnswers}`] : undefined;
  if (candidates.length === 0) {
    steps?.push(`no target has an ${family === 'A' ? 'IPv4' : 'IPv6'} address: NODATA`);
    return {
      targets: [],
      addresses: [],
      locationDependent: false,
      scopePrefix: 0,
      steps: steps ?? [],
      key: `${family}:`,
      candidates,
    };
  }
  const choice = table[routed.policy]({ candidates, location, random, routed, steps });

  const pairs: Array<[address: string, id: string]> = [];
  const seen = new Set<string>();
  for (const candidate of choice.chosen) {
    for (const address of candidate.addresses) {
      if (seen.has(address)) continue;
      seen.add(address);
      pairs.push([address, candidate.target.id]);
    }
  }
  const offset = choice.rotate ?? 0;
  const rotated = offset > 0 ? [...pairs.slice(offset), ...pairs.slice(0, offset)] : pairs;
  const kept = rotated.slice(0, routed.maxAnswers);
  if (kept.length < rotated.length) steps?.push(`capped at maxAnswers ${routed.maxAnswers}`);

  const addresses = kept.map(([address]) => address);
  const targets = [...new Set(kept.map(([, id]) => id))];
  const locationDependent = choice.locationDependent && location !== undefined;
  const scopePrefix = locationDependent ? (location?.prefixLength ?? 0) : 0;
  steps?.push(`answer: ${addresses.join(' ') || '(none)'}, ECS scope /${scopePrefix}`);
  const decision: Decision = {
    targets,
    addresses,
    locationDependent,
    scopePrefix,
    steps: steps ?? [],
    key: `${family}:${addresses.join(',')}`,
    candidates,
  };
  if (choice.region !== undefined) decision.region = choice.region;
  return decision;
}
