// Where a client is, as far as routing cares. Plain data: the routing policies read it, GeoIP produces it.

export interface ClientLocation {
  continent?: string;
  country?: string;
  subdivision?: string;
  region?: string;
  latitude?: number;
  longitude?: number;
  /** True when latitude/longitude are the centroid of the country, not a position from the database. */
  centroid?: boolean;
  /** Where the location came from: a zone's custom network, the GeoIP database, or nowhere. */
  source: 'network' | 'geoip' | 'none';
  /**
   * Prefix length of the network the answer came from: every address sharing this many leading bits with the
   * client gets the same location. This is what an ECS scope may be set to.
   */
  prefixLength: number;
  /** The custom network (CIDR) or GeoIP network that matched, for explanations. */
  network?: string;
}

/** A location with no source, for callers that know nothing about the client. */
export const UNKNOWN_LOCATION: ClientLocation = Object.freeze({ source: 'none', prefixLength: 0 });
