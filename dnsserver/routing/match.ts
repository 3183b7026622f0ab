// How specifically a location (a target's, a region's) matches the client's: the geo and regional policies' test.
import type { CompiledLocation } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';

export const MATCH_LEVELS = ['default', 'continent', 'country', 'subdivision', 'region'] as const;

/**
 * How specifically a target's location matches the client: every location field the target sets must equal
 * the client's, and the level is the target's most specific field (a target without any is a catch-all,
 * level 0). -1: no match.
 */
export function matchLevel(target: CompiledLocation, client: ClientLocation | undefined): number {
  const same = (a: string | undefined, b: string | undefined) =>
    a === undefined || (b !== undefined && a.toUpperCase() === b.toUpperCase());
  if (!same(target.continent, client?.continent)) return -1;
  if (!same(target.country, client?.country)) return -1;
  if (!same(target.subdivision, client?.subdivision)) return -1;
  if (!same(target.region, client?.region)) return -1;
  if (target.region !== undefined) return 4;
  if (target.subdivision !== undefined) return 3;
  if (target.country !== undefined) return 2;
  if (target.continent !== undefined) return 1;
  return 0;
}
