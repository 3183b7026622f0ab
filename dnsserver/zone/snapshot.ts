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
  const zones = new Map<string, ZoneIndex>();
  for (const document of compiled) {
    const zone = buildZone(document);
    zones.set(zone.apex, zone);
  }
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
