// Country reference data: continent per country (countries-list) and country centroids (world-countries).
// Pure data, no I/O: the routing policies use the centroids too.
import { countries } from 'countries-list';
import { createRequire } from 'node:module';
import type { Country } from 'world-countries';

// world-countries is CommonJS whose typings declare an ES default export; require() gives the array as typed.
const worldCountries = createRequire(import.meta.url)('world-countries') as readonly Country[];

const centroids = new Map<string, { latitude: number; longitude: number }>();
for (const country of worldCountries) {
  const [latitude, longitude] = country.latlng;
  if (Number.isFinite(latitude) && Number.isFinite(longitude)) centroids.set(country.cca2, { latitude, longitude });
}

const continents = new Map<string, string>();
for (const [code, data] of Object.entries(countries)) continents.set(code, data.continent);

/** Continent code (AF, AN, AS, EU, NA, OC, SA) of an ISO 3166-1 alpha-2 country, if known. */
export function continentOf(country: string): string | undefined {
  return continents.get(country.toUpperCase());
}

/** Approximate centre of a country, if known. */
export function centroidOf(country: string): { latitude: number; longitude: number } | undefined {
  return centroids.get(country.toUpperCase());
}
