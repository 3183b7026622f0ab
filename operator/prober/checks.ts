// Which addresses to probe with which HealthProbe, from the compiled zones. Pure.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthProbeSpec } from '../../api/healthprobe.ts';
import type { ProbeCheck } from './scheduler.ts';

export interface PlannedChecks {
  checks: ProbeCheck[];
  /** Messages for targets whose HealthProbe is not known (they stay as compiled: no probe, no override). */
  missing: string[];
}

/** One check per (target, address) of every routed target that names a probe; `specs` is keyed namespace/name. */
export function checksForZones(
  zones: readonly CompiledZone[],
  specs: ReadonlyMap<string, HealthProbeSpec>,
): PlannedChecks {
  const checks: ProbeCheck[] = [];
  const missing: string[] = [];
  for (const zone of zones) {
    for (const routed of zone.routed) {
      for (const target of routed.targets) {
        if (target.probe === undefined) continue;
        const spec = specs.get(target.probe);
        if (!spec) {
          missing.push(`target ${target.id} (${routed.name}): HealthProbe ${target.probe} not found`);
          continue;
        }
        for (const address of target.addresses) {
          checks.push({ probeKey: target.probe, spec, address, targetId: target.id });
        }
      }
    }
  }
  return { checks, missing };
}
