// Locates a client address: the zone's custom networks first (most specific CIDR), else the GeoIP database.
import type { CompiledNetwork } from '../../api/compiled.ts';
import { formatNetwork, parseAddress } from './address.ts';
import type { GeoDatabase } from './database.ts';
import { continentOf } from './countries.ts';
import { compileNetworks, type NetworkMatcher } from './networks.ts';
import { pickLocationFields } from '../../api/location.ts';
import type { ClientLocation } from './types.ts';
import { SubnetMemo, subnetHash, type Subnet } from './subnet-memo.ts';

export type Locate = (address: string) => ClientLocation;

export interface Locator {
  locate: Locate;
  /** The location of an ECS subnet (source prefix > 0): the same as locate(subnet.address), memoised by bytes. */
  locateSubnet(subnet: Subnet): ClientLocation;
  networks: NetworkMatcher;
}

/** Client addresses (or ECS subnets) remembered per zone; the map is cleared when full. */
const MEMO_LIMIT = 65_536;

/**
 * The key of a location's content: clients in the same network get one shared location object, so answers
 * remembered per location (answer/plans.ts) are shared by every address of the network.
 */
function contentKey(l: ClientLocation): string {
  return `${l.source}|${l.prefixLength}|${l.network ?? ''}|${l.continent ?? ''}|${l.country ?? ''}|${l.subdivision ?? ''}|${l.region ?? ''}|${l.latitude ?? ''}|${l.longitude ?? ''}|${l.centroid === true ? 1 : 0}`;
}

/**
 * Builds the locator for one zone. Results are memoised per address (a small map cleared when full: cheap, and
 * resolvers repeat the same addresses and ECS subnets).
 */
export function createLocator(networks: readonly CompiledNetwork[], database: GeoDatabase | undefined): Locator {
  const matcher = compileNetworks(networks);
  const memo = new Map<string, ClientLocation>();
  const interned = new Map<string, ClientLocation>();
  const intern = (location: ClientLocation): ClientLocation => {
    const key = contentKey(location);
    let shared = interned.get(key);
    if (!shared) {
      if (interned.size >= MEMO_LIMIT) interned.clear();
      shared = Object.freeze(location);
      interned.set(key, shared);
    }
    return shared;
  };

  function compute(text: string): ClientLocation {
    const address = parseAddress(text);
    if (!address) return { source: 'none', prefixLength: 0 };
    const bits = address.family === 4 ? 32 : 128;
    const match = matcher.match(address);
    if (match.network) {
      const fields: Omit<ClientLocation, 'source' | 'prefixLength'> = pickLocationFields(match.network.location);
      if (fields.continent === undefined && fields.country) {
        const continent = continentOf(fields.country);
        if (continent) fields.continent = continent;
      }
      return {
        ...fields,
        source: 'network',
        prefixLength: Math.min(bits, match.decidingBits),
        network: match.network.cidr,
      };
    }
    if (!database) return { source: 'none', prefixLength: match.decidingBits };
    const found = database.lookup(address);
    // Addresses sharing fewer bits than decidingBits might fall into a custom network: never go wider than that.
    const prefixLength = Math.min(bits, Math.max(found.prefixLength, match.decidingBits));
    if (!found.found) return { source: 'none', prefixLength };
    return {
      ...found.location,
      source: 'geoip',
      prefixLength,
      network: formatNetwork(address.bytes, found.prefixLength),
    };
  }

  const subnetMemo = new SubnetMemo(MEMO_LIMIT);
  function locate(text: string): ClientLocation {
    let location = memo.get(text);
    if (!location) {
      location = intern(compute(text));
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(text, location);
    }
    return location;
  }

  return {
    networks: matcher,
    locate,
    locateSubnet(subnet) {
      const hash = subnetHash(subnet);
      let location = subnetMemo.get(hash, subnet);
      if (!location) {
        location = intern(compute(subnet.address));
        subnetMemo.set(hash, subnet, location);
      }
      return location;
    },
  };
}
