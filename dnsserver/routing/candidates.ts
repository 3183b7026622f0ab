// The targets of a routed name as one query sees them: filtered to the query's address family, with the health
// table's override applied, and the distance to the client when both ends have coordinates.
import type { CompiledRoutedName, CompiledTarget } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';
import { coordinatesOf, haversineKm, type Coordinates } from './distance.ts';

export type RecordFamily = 'A' | 'AAAA';

/** The part of a health-table entry routing reads. */
export interface TargetHealthState {
  up: boolean;
  downAddresses?: readonly string[];
}

/** Health table entries by target id (HealthTable['targets']). */
export type HealthOverrides = Readonly<Record<string, TargetHealthState | undefined>>;

export interface Candidate {
  target: CompiledTarget;
  /** Compiled health overridden by the health table, and at least one address of the family up. */
  healthy: boolean;
  /** Where `healthy` came from. */
  healthSource: 'table' | 'compiled';
  /** Addresses of the query's family to answer with: the up ones, or all of them when none is up. */
  addresses: string[];
  /** Great-circle distance to the client, when both have coordinates (a country centroid counts). */
  distanceKm?: number;
}

export const isFamily = (address: string, family: RecordFamily): boolean =>
  family === 'AAAA' ? address.includes(':') : !address.includes(':');

export function clientCoordinates(location: ClientLocation | undefined): Coordinates | undefined {
  return location ? coordinatesOf(location) : undefined;
}

export function candidatesFor(
  routed: CompiledRoutedName,
  family: RecordFamily,
  health: HealthOverrides | undefined,
  location: ClientLocation | undefined,
): Candidate[] {
  const client = clientCoordinates(location);
  const out: Candidate[] = [];
  for (const target of routed.targets) {
    const ofFamily = target.addresses.filter((address) => isFamily(address, family));
    if (ofFamily.length === 0) continue;
    const override = health?.[target.id];
    const down = override?.downAddresses;
    const up = down && down.length > 0 ? ofFamily.filter((address) => !down.includes(address)) : ofFamily;
    const targetUp = override ? override.up : target.healthy;
    const candidate: Candidate = {
      target,
      healthy: targetUp && up.length > 0,
      healthSource: override ? 'table' : 'compiled',
      addresses: up.length > 0 ? up : ofFamily,
    };
    const where = client ? coordinatesOf(target.location) : undefined;
    if (client && where) candidate.distanceKm = haversineKm(client, where);
    out.push(candidate);
  }
  return out;
}
