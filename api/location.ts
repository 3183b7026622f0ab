// The location fields shared by the resource API's Location and the compiled document's location. Pure.
import type { CompiledLocation } from './compiled.ts';

/** A copy holding only the six location fields, without undefined entries (they would not survive JSON). */
export function pickLocationFields(location: CompiledLocation): CompiledLocation {
  const out: CompiledLocation = {};
  if (location.continent !== undefined) out.continent = location.continent;
  if (location.country !== undefined) out.country = location.country;
  if (location.subdivision !== undefined) out.subdivision = location.subdivision;
  if (location.region !== undefined) out.region = location.region;
  if (location.latitude !== undefined) out.latitude = location.latitude;
  if (location.longitude !== undefined) out.longitude = location.longitude;
  return out;
}
