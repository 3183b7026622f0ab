// Where compiled zones and the health table go: the contract between whoever produces them (the operator's
// pipeline, a config folder) and whoever serves them (the DNS server's worker pool, or one in-process state).
import type { CompiledZone } from './compiled.ts';
import type { HealthTable } from './health.ts';

export interface ZoneSink {
  /** The whole set of zones served from now on (zones not in it are no longer served). */
  setZones(zones: CompiledZone[]): void;
  setHealth(table: HealthTable): void;
}
