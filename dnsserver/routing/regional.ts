// The regional policy: routing that composes, as gdnsd (location → ordered datacenters, each a weighted set) and
// NS1 (up → geotarget → weighted shuffle → first N) do. For one query:
//   1. locate: the region whose locations match the client most specifically (a tie: the region listed first),
//      else the default region;
//   2. walk: that region, then its backups in their order, then (last resort) every other region in spec order,
//      to the first region with a healthy target of the query's family and weight > 0;
//   3. shuffle: that region's healthy targets in a weighted random order (the first one is target i with
//      probability weight_i / the sum of the healthy weights: the weights renormalise over the healthy targets);
//      decide() then takes their addresses in that order up to maxAnswers;
//   4. degrade: nothing healthy anywhere → every target of the first region of the walk that has one of the
//      family, health ignored, so the answer stays in the client's region.
// The answer depends on the client's location whenever there is more than one region. Pure: randomness comes in.
import type { CompiledLocation, CompiledRegion, CompiledRoutedName } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';
import type { Candidate } from './candidates.ts';
import type { Choice, PolicyInput } from './policies.ts';
import { matchLevel, MATCH_LEVELS } from './match.ts';

/** 'continent EU', 'country DE subdivision BY', 'region dc-frankfurt'. */
export function describeLocation(location: CompiledLocation | ClientLocation): string {
  const parts: string[] = [];
  if (location.continent) parts.push(`continent ${location.continent}`);
  if (location.country) parts.push(`country ${location.country}`);
  if (location.subdivision) parts.push(`subdivision ${location.subdivision}`);
  if (location.region) parts.push(`region ${location.region}`);
  return parts.join(' ') || 'no location fields';
}

export interface RegionMatch {
  region: CompiledRegion;
  /** The region location that matched, absent when the region is the default. */
  location?: CompiledLocation;
  /** MATCH_LEVELS index of the match, -1 for the default. */
  level: number;
}

/** The client's region: the most specific match over every region's locations (ties: the earlier region). */
export function regionOf(
  regions: readonly CompiledRegion[],
  defaultRegion: string | undefined,
  client: ClientLocation | undefined,
): RegionMatch | undefined {
  let best: RegionMatch | undefined;
  for (const region of regions) {
    for (const location of region.locations) {
      const level = matchLevel(location, client);
      if (level > 0 && level > (best?.level ?? 0)) best = { region, location, level };
    }
  }
  if (best) return best;
  const fallback = regions.find((r) => r.name === defaultRegion);
  return fallback ? { region: fallback, level: -1 } : undefined;
}

/** Region names in the order they are tried: the region, its backups, then every other region in spec order. */
export function walkOf(
  regions: readonly CompiledRegion[],
  home: CompiledRegion,
): { listed: string[]; others: string[] } {
  const known = new Set(regions.map((r) => r.name));
  const listed: string[] = [];
  for (const name of [home.name, ...home.backups]) if (known.has(name) && !listed.includes(name)) listed.push(name);
  const others = regions.map((r) => r.name).filter((name) => !listed.includes(name));
  return { listed, others };
}

/**
 * Candidates in a weighted random order, without replacement: each draw picks one of the rest with probability
 * weight / the sum of the rest's weights. Stops once the drawn candidates hold `enough` distinct addresses (the
 * rest would be cut by maxAnswers anyway). Zero weights: equal chances, when every weight is zero.
 */
export function weightedOrder(pool: readonly Candidate[], random: () => number, enough: number): Candidate[] {
  const equal = pool.every((c) => c.target.weight <= 0);
  const weightOf = (c: Candidate) => (equal ? 1 : Math.max(0, c.target.weight));
  const rest = pool.filter((c) => weightOf(c) > 0);
  let total = rest.reduce((sum, c) => sum + weightOf(c), 0);
  const out: Candidate[] = [];
  const addresses = new Set<string>();
  while (rest.length > 0 && addresses.size < enough) {
    let point = Math.min(Math.max(random(), 0), 0.999999999) * total;
    let index = rest.length - 1;
    for (let i = 0; i < rest.length; i++) {
      point -= weightOf(rest[i] as Candidate);
      if (point < 0) {
        index = i;
        break;
      }
    }
    const [picked] = rest.splice(index, 1) as [Candidate];
    total -= weightOf(picked);
    out.push(picked);
    for (const address of picked.addresses) addresses.add(address);
  }
  return out;
}

const names = (list: readonly Candidate[]) => list.map((c) => c.target.name).join(', ') || '(none)';

function shuffleStep(pool: readonly Candidate[], order: readonly Candidate[]): string {
  const equal = pool.every((c) => c.target.weight <= 0);
  const weights = pool.map((c) => `${c.target.name}=${equal ? 1 : c.target.weight}`).join(', ');
  const total = pool.reduce((sum, c) => sum + (equal ? 1 : c.target.weight), 0);
  const drawn =
    order.length < pool.filter((c) => equal || c.target.weight > 0).length ? ' (drawn up to maxAnswers)' : '';
  return `weighted order, weights ${weights} of ${total}: ${names(order)}${drawn}`;
}

export function regional({ candidates, location, random, routed, steps }: PolicyInput): Choice {
  const regions = routed.regions ?? [];
  const family = candidates[0]?.addresses[0]?.includes(':') ? 'IPv6' : 'IPv4';
  const locationDependent = regions.length > 1;
  const home = regionOf(regions, routed.defaultRegion, location);
  if (!home) {
    // Not from compile (it refuses a regional name without regions or default): a document written by hand.
    steps?.push('no region to start from (no regions, or defaultRegion names none): all healthy targets');
    const healthy = candidates.filter((c) => c.healthy);
    const pool = healthy.length > 0 ? healthy : candidates;
    const order = weightedOrder(pool, random, routed.maxAnswers);
    steps?.push(shuffleStep(pool, order));
    return { chosen: order, locationDependent: false };
  }

  const where = () => (location && location.source !== 'none' ? describeLocation(location) : 'unknown');
  steps?.push(
    home.location
      ? `client ${where()}: region ${home.region.name} (matches its ${describeLocation(home.location)}, by ${MATCH_LEVELS[home.level]})`
      : `client ${where()}: no region matches, default region ${home.region.name}`,
  );
  const { listed, others } = walkOf(regions, home.region);
  steps?.push(`walk: ${listed.join(', then ')}${others.length > 0 ? `; last resort: ${others.join(', ')}` : ''}`);

  const members = (name: string) => candidates.filter((c) => c.target.region === name);
  for (const name of [...listed, ...others]) {
    const all = members(name);
    if (all.length === 0) {
      steps?.push(`region ${name}: no target with an ${family} address`);
      continue;
    }
    const healthy = all.filter((c) => c.healthy && c.target.weight > 0);
    const down = all.filter((c) => !c.healthy);
    const downText = down.length > 0 ? ` (down: ${names(down)})` : '';
    if (healthy.length === 0) {
      steps?.push(`region ${name}: no healthy target with weight > 0${downText}`);
      continue;
    }
    steps?.push(`region ${name}: healthy ${names(healthy)}${downText}`);
    const order = weightedOrder(healthy, random, routed.maxAnswers);
    steps?.push(shuffleStep(healthy, order));
    return { chosen: order, locationDependent, region: name };
  }

  // Nothing healthy of the family anywhere: stay in the first region of the walk that has targets of the family.
  const fallback = [...listed, ...others].find((name) => members(name).length > 0);
  if (fallback === undefined) {
    // Only targets whose region is no region of the document (not from compile): all of them.
    steps?.push('no region holds a target of the family: degrading to all targets');
    const order = weightedOrder(candidates, random, routed.maxAnswers);
    steps?.push(shuffleStep(candidates, order));
    return { chosen: order, locationDependent: false };
  }
  const pool = members(fallback);
  const weighed = pool.filter((c) => c.target.weight > 0);
  const draw = weighed.length > 0 ? weighed : pool;
  steps?.push(`no healthy target in any region: degrading to every target of region ${fallback}, health ignored`);
  const order = weightedOrder(draw, random, routed.maxAnswers);
  steps?.push(shuffleStep(draw, order));
  return { chosen: order, locationDependent, region: fallback };
}

/**
 * What a compiled regional name needs and the schema cannot say (compile never writes it otherwise; the config
 * loader refuses a hand-written document that breaks it, keeping the last good one): messages relative to the
 * routed name, e.g. 'regions[2].backups[0]: "latam" is not a region'.
 */
export function regionalProblems(routed: CompiledRoutedName): string[] {
  if (routed.policy !== 'regional') return [];
  const problems: string[] = [];
  const regions = routed.regions ?? [];
  if (regions.length === 0) problems.push('regions: the regional policy needs regions');
  const names = new Set<string>();
  regions.forEach((region, i) => {
    if (names.has(region.name)) problems.push(`regions[${i}].name: "${region.name}" is used twice`);
    names.add(region.name);
  });
  if (routed.defaultRegion === undefined) problems.push('defaultRegion: the regional policy needs defaultRegion');
  else if (!names.has(routed.defaultRegion)) problems.push(`defaultRegion: "${routed.defaultRegion}" is not a region`);
  regions.forEach((region, i) =>
    region.backups.forEach((backup, b) => {
      if (!names.has(backup)) problems.push(`regions[${i}].backups[${b}]: "${backup}" is not a region`);
    }),
  );
  routed.targets.forEach((target, t) => {
    if (target.region === undefined) problems.push(`targets[${t}].region: the regional policy needs a region`);
    else if (!names.has(target.region)) problems.push(`targets[${t}].region: "${target.region}" is not a region`);
  });
  return problems;
}
