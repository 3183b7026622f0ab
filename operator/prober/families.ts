// Health per address family, pure. A probe that fails because the prober itself has no route to the address's
// family (probe.ts: noRoute) is no verdict on the target. A family is Unreachable for the prober when, in their
// latest probes, none of its addresses was reached (a success, or a failure that got past the prober's own routes)
// and at least one failed for lack of a route: its addresses are then Unknown, and their targets take their health
// from their addresses of the other family (health-table.ts). While any address of the family is reached, a
// no-route failure of another one is that target's network missing from the prober's routes, which is the
// target's problem as much as a timeout would be: after failureThreshold of them in a row the address is Down.
import type { AddressHealth, AddressState } from './thresholds.ts';

export const FAMILIES = ['IPv4', 'IPv6'] as const;
export type AddressFamily = (typeof FAMILIES)[number];

/** Whether the prober reaches a family: Unknown until an address of it has a result. */
export type FamilyReach = 'Reachable' | 'Unreachable' | 'Unknown';

export const familyOf = (address: string): AddressFamily => (address.includes(':') ? 'IPv6' : 'IPv4');

/** What an address's latest probe says of its family. */
export function latestReach(health: AddressHealth): 'reached' | 'noRoute' | 'none' {
  if (health.probes === 0) return 'none';
  return health.noRouteFailures > 0 ? 'noRoute' : 'reached';
}

/** Latest probes of a family's addresses, counted by what they said. */
export interface FamilyCounts {
  reached: number;
  noRoute: number;
}

export function familyReach(counts: FamilyCounts): FamilyReach {
  if (counts.reached > 0) return 'Reachable';
  return counts.noRoute > 0 ? 'Unreachable' : 'Unknown';
}

/** An address's state as status and the health table show it. */
export interface ShownState {
  state: AddressState;
  /** Unknown because the prober cannot reach the address's family at all. */
  unreachable: boolean;
}

export function shownState(health: AddressHealth, reach: FamilyReach, failureThreshold: number): ShownState {
  if (health.noRouteFailures === 0) return { state: health.state, unreachable: false };
  if (reach !== 'Reachable') return { state: 'Unknown', unreachable: true };
  return { state: health.noRouteFailures >= failureThreshold ? 'Down' : health.state, unreachable: false };
}

/** One family of a HealthProbe's addresses, for its status. */
export interface FamilySummary {
  family: AddressFamily;
  /** Whether the prober reaches this family at all (over every probe it runs). */
  reachable: 'True' | 'False' | 'Unknown';
  addresses: number;
  up: number;
  down: number;
  unknown: number;
  message?: string;
}

const REACHABLE: Record<FamilyReach, FamilySummary['reachable']> = {
  Reachable: 'True',
  Unreachable: 'False',
  Unknown: 'Unknown',
};

/** Per family present among `addresses` (a probe's status entries), with the prober-wide reach of each. */
export function summarizeFamilies(
  addresses: readonly { address: string; state: AddressState; lastError?: string }[],
  reach: Readonly<Record<AddressFamily, FamilyReach>>,
): FamilySummary[] {
  const out: FamilySummary[] = [];
  for (const family of FAMILIES) {
    const own = addresses.filter((a) => familyOf(a.address) === family);
    if (own.length === 0) continue;
    const count = (state: AddressState): number =>
      new Set(own.filter((a) => a.state === state).map((a) => a.address)).size;
    const summary: FamilySummary = {
      family,
      reachable: REACHABLE[reach[family]],
      addresses: new Set(own.map((a) => a.address)).size,
      up: count('Up'),
      down: count('Down'),
      unknown: count('Unknown'),
    };
    if (reach[family] === 'Unreachable') {
      const other = family === 'IPv4' ? 'IPv6' : 'IPv4';
      const example = own.find((a) => a.lastError !== undefined)?.lastError;
      summary.message =
        `the prober has no route to ${family}${example ? ` (${example})` : ''}: these addresses are Unknown, ` +
        `not Down, and their targets' health follows their ${other} addresses`;
    }
    out.push(summary);
  }
  return out;
}
