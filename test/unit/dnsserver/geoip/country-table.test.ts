import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCountryTable } from '../../../../scripts/gen-country-table.ts';
import { centroidOf, continentOf } from '../../../../dnsserver/geoip/countries.ts';

describe('country table', () => {
  it('matches what the country packages give (regenerate with npm run gen:countries)', () => {
    const committed = readFileSync(new URL('../../../../dnsserver/geoip/country-table.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderCountryTable());
  });

  it('answers continents and centroids, case-insensitively', () => {
    expect(continentOf('de')).toBe('EU');
    expect(continentOf('JP')).toBe('AS');
    expect(continentOf('BR')).toBe('SA');
    expect(continentOf('ZZ')).toBeUndefined();
    expect(centroidOf('DE')).toEqual({ latitude: 51, longitude: 9 });
    expect(centroidOf('ZZ')).toBeUndefined();
  });
});
