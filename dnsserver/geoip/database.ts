// MaxMind-format GeoIP databases (GeoIP2/GeoLite2/DB-IP City or Country, and the flat ip-location-db shape),
// read with the `maxmind` package. Loading the file is I/O, so it lives here and not in routing.
import { createRequire } from 'node:module';
import { open } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';
import type { ParsedAddress } from './address.ts';
import { centroidOf, continentOf } from './countries.ts';
import type { ClientLocation } from './types.ts';

/** What the database says about one address, with the prefix length of the network it came from. */
export interface GeoLookup {
  found: boolean;
  location: Omit<ClientLocation, 'source' | 'prefixLength' | 'network'>;
  prefixLength: number;
}

export interface GeoDatabase {
  /** File the database was read from. */
  readonly path: string;
  /** database_type from the metadata, e.g. 'GeoIP2-City' or 'country'. */
  readonly type: string;
  readonly buildEpoch: Date;
  lookup(address: ParsedAddress): GeoLookup;
}

/** The embedded country database (ip-location-db geo-whois-asn-country, flat `country_code` shape; licence: docs/geoip.md). */
export function embeddedDatabasePath(): string {
  return createRequire(import.meta.url).resolve(
    '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
  );
}

/**
 * Reads a database file into shared memory: the worker threads wrap the same bytes instead of each holding a copy.
 * Rejects with a message naming the file.
 */
export async function readGeoDatabaseBytes(path: string = embeddedDatabasePath()): Promise<SharedArrayBuffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const shared = new SharedArrayBuffer(size);
      const view = Buffer.from(shared);
      for (let offset = 0; offset < size;) {
        const { bytesRead } = await handle.read(view, offset, size - offset, offset);
        if (bytesRead === 0) throw new Error(`file ended after ${offset} of ${size} bytes`);
        offset += bytesRead;
      }
      return shared;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new Error(`GeoIP database ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A bounded decode cache for mmdb-lib (records by data-section offset), cleared when full. */
function recordCache(limit: number) {
  const entries = new Map<number, unknown>();
  return {
    get: (offset: number) => entries.get(offset),
    set: (offset: number, value: unknown) => {
      if (entries.size >= limit) entries.clear();
      entries.set(offset, value);
    },
  };
}

/** Wraps database bytes (from readGeoDatabaseBytes) without copying them. Throws naming the file when invalid. */
export function geoDatabaseFromBytes(bytes: SharedArrayBuffer, path: string, cacheSize = 10_000): GeoDatabase {
  const buffer = Buffer.from(bytes);
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) {
    throw new Error(`GeoIP database ${path}: gzip-compressed; decompress it to a .mmdb file first`);
  }
  try {
    return fromReader(new Reader<Response>(buffer, { cache: recordCache(cacheSize) }), path);
  } catch (error) {
    throw new Error(`GeoIP database ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Opens a database file (the embedded one when no path is given). Rejects with a message naming the file. */
export async function openGeoDatabase(path: string = embeddedDatabasePath(), cacheSize = 10_000): Promise<GeoDatabase> {
  return geoDatabaseFromBytes(await readGeoDatabaseBytes(path), path, cacheSize);
}

export function fromReader(reader: Reader<Response>, path: string): GeoDatabase {
  return {
    path,
    type: reader.metadata.databaseType,
    buildEpoch: reader.metadata.buildEpoch,
    lookup(address) {
      const [record, prefixLength] = reader.getWithPrefixLength(address.text);
      const location = record ? normaliseRecord(record) : {};
      return { found: location.country !== undefined || location.continent !== undefined, location, prefixLength };
    },
  };
}

type Fields = Record<string, unknown>;
const asFields = (value: unknown): Fields | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : undefined;
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * Maps either record shape onto location fields. GeoIP2 shape: country.iso_code, continent.code,
 * subdivisions[0].iso_code, location.latitude/longitude (registered_country when country is absent).
 * Flat shape (ip-location-db): country_code, optionally state1/latitude/longitude.
 * Continent and coordinates are filled from country tables when the record lacks them.
 */
export function normaliseRecord(record: unknown): GeoLookup['location'] {
  const fields = asFields(record) ?? {};
  const country =
    asString(asFields(fields.country)?.iso_code) ??
    asString(asFields(fields.registered_country)?.iso_code) ??
    asString(fields.country_code);
  const continent = asString(asFields(fields.continent)?.code) ?? (country ? continentOf(country) : undefined);
  const subdivisions = fields.subdivisions;
  const subdivision = Array.isArray(subdivisions) ? asString(asFields(subdivisions[0])?.iso_code) : undefined;
  const position = asFields(fields.location);
  let latitude = asNumber(position?.latitude) ?? asNumber(fields.latitude);
  let longitude = asNumber(position?.longitude) ?? asNumber(fields.longitude);

  const out: GeoLookup['location'] = {};
  if (continent) out.continent = continent.toUpperCase();
  if (country) out.country = country.toUpperCase();
  if (subdivision) out.subdivision = subdivision.toUpperCase();
  if ((latitude === undefined || longitude === undefined) && country) {
    const centre = centroidOf(country);
    if (centre) {
      latitude = centre.latitude;
      longitude = centre.longitude;
      out.centroid = true;
    }
  }
  if (latitude !== undefined && longitude !== undefined) {
    out.latitude = latitude;
    out.longitude = longitude;
  }
  return out;
}
