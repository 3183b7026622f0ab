// Where a source hands its zones and health table (the worker pool, or a single in-process state in tests).
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';

export interface ZoneSink {
  setZones(zones: CompiledZone[]): void;
  setHealth(table: HealthTable): void;
}
