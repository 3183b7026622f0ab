// An immutable set of zones. The server swaps whole snapshots (one reference assignment), so a query sees
// either the old zones or the new ones, never half of each.
import type { CompiledZone } from '../../api/compiled.ts';
import { buildZone, parentOf } from './build.ts';
import type { ZoneIndex } from './types.ts';

export interface ZoneSnapshot {
  readonly zones: ReadonlyMap<string, ZoneIndex>;
  /** The zone with the longest apex that is a suffix of qname (at a label boundary). */
  findZone(qname: string): ZoneIndex | undefined;
}

export function createSnapshot(compiled: readonly CompiledZone[]): ZoneSnapshot {
  return snapshotOf(compiled.map(buildZone));
}

/** A snapshot of zones already indexed (e.g. by ZoneBuilder, a slice at a time). */
export function snapshotOf(indexes: readonly ZoneIndex[]): ZoneSnapshot {
  const zones = new Map<string, ZoneIndex>();
  for (const zone of indexes) zones.set(zone.apex, zone);
  return {
    zones,
    findZone(qname) {
      if (zones.size === 0) return undefined;
      for (let name = qname; ; name = parentOf(name)) {
        const zone = zones.get(name);
        if (zone) return zone;
        if (name === '') return undefined;
      }
    },
  };
}
