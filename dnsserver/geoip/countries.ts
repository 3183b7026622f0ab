// Country reference data: continent and centroid per country, from the generated table (country-table.ts).
// Pure data, no I/O: the routing policies use the centroids too.
import { COUNTRY_TABLE } from './country-table.ts';

/** Continent code (AF, AN, AS, EU, NA, OC, SA) of an ISO 3166-1 alpha-2 country, if known. */
export function continentOf(country: string): string | undefined {
  const continent = COUNTRY_TABLE[country.toUpperCase()]?.[0];
  return continent === '' ? undefined : continent;
}

/** Approximate centre of a country, if known. */
export function centroidOf(country: string): { latitude: number; longitude: number } | undefined {
  const row = COUNTRY_TABLE[country.toUpperCase()];
  if (row?.[1] === undefined || row[2] === undefined) return undefined;
  return { latitude: row[1], longitude: row[2] };
}
