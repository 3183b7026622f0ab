// compile(): resources + resolved Services + health → one compiled document per zone and conditions for every
// resource. Pure: no I/O, no clock (input.now), no randomness; the same input gives byte-identical documents.
// The kinds compile in this order because each needs the one before: a GeoEndpoint joins a zone only once the zones
// are judged, and a zone's document (its content hash, so its serial) holds the routed names its GeoEndpoints add.
import type { CompiledZone } from '../../api/compiled.ts';
import { compileEndpoints } from './geoendpoint.ts';
import { compileZones, judgeZones } from './geozone.ts';
import { probeResults } from './healthprobe.ts';
import type { CompileInput } from './input.ts';
import type { ResourceResult } from './results.ts';

export interface CompileOutput {
  zones: CompiledZone[];
  results: ResourceResult[];
}

export function compile(input: CompileInput): CompileOutput {
  const verdicts = judgeZones(input.zones ?? []);
  const endpointResults = compileEndpoints(input, verdicts);
  const zones = compileZones(input, verdicts);
  return { zones: zones.documents, results: [...zones.results, ...endpointResults, ...probeResults(input, input.now)] };
}
