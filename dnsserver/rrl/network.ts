// The client network of an address as response rate limiting counts it (IPv4 /24 and IPv6 /56 by default;
// IPv4-mapped IPv6 addresses count as IPv4), and whether it is exempt. Per query, and without allocating for IPv4.
import { dottedQuadValue, formatNetwork, parseAddress, parseCidr } from '../geoip/address.ts';
import { FNV_OFFSET, fnvStep } from '../wire/hash.ts';

interface Prefix {
  bytes: number[];
  length: number;
}

function quadValue(bytes: readonly number[]): number {
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) | 0;
}

/** Byte `index` of an address kept to its first `length` bits. */
function maskedByte(bytes: readonly number[], index: number, length: number): number {
  const keep = Math.max(0, Math.min(8, length - index * 8));
  return (bytes[index] ?? 0) & ((0xff << (8 - keep)) & 0xff);
}

function inPrefix(bytes: readonly number[], prefix: Prefix): boolean {
  for (let index = 0; index * 8 < prefix.length; index++) {
    if (maskedByte(bytes, index, prefix.length) !== maskedByte(prefix.bytes, index, prefix.length)) return false;
  }
  return true;
}

export class ClientNetworks {
  readonly #ipv4Prefix: number;
  readonly #ipv6Prefix: number;
  readonly #mask4: number;
  readonly #exempt4: { network: number; mask: number }[] = [];
  readonly #exempt6: Prefix[] = [];

  /** Throws on an exemption that is not a CIDR. */
  constructor(ipv4Prefix: number, ipv6Prefix: number, exempt: readonly string[]) {
    this.#ipv4Prefix = ipv4Prefix;
    this.#ipv6Prefix = ipv6Prefix;
    this.#mask4 = prefixMask(ipv4Prefix);
    for (const text of exempt) {
      const cidr = parseCidr(text);
      if ('error' in cidr) throw new Error(`RRL exemption: ${cidr.error}`);
      if (cidr.family === 4) {
        const mask = prefixMask(cidr.prefixLength);
        this.#exempt4.push({ network: quadValue(cidr.bytes) & mask, mask });
      } else {
        this.#exempt6.push({ bytes: cidr.bytes, length: cidr.prefixLength });
      }
    }
  }

  /**
   * The FNV state after hashing the address's network, for the caller to hash the rest of a bucket key into;
   * undefined when the address is exempt (or not an address at all).
   */
  hash(address: string): number | undefined {
    let v4 = dottedQuadValue(address);
    if (v4 < 0) {
      const parsed = parseAddress(address);
      if (!parsed) return undefined;
      if (parsed.family === 6) return this.#hash6(parsed.bytes);
      v4 = quadValue(parsed.bytes);
    }
    for (const exemption of this.#exempt4) if ((v4 & exemption.mask) === exemption.network) return undefined;
    return fnvStep(fnvStep(FNV_OFFSET, 4), v4 & this.#mask4);
  }

  /** The network of an address as text ('192.0.2.0/24'), for a log line. */
  describe(address: string): string {
    const parsed = parseAddress(address);
    if (!parsed) return address;
    return formatNetwork(parsed.bytes, parsed.family === 4 ? this.#ipv4Prefix : this.#ipv6Prefix);
  }

  #hash6(bytes: readonly number[]): number | undefined {
    for (const exemption of this.#exempt6) if (inPrefix(bytes, exemption)) return undefined;
    let hash = fnvStep(FNV_OFFSET, 6);
    for (let index = 0; index < 16; index++) hash = fnvStep(hash, maskedByte(bytes, index, this.#ipv6Prefix));
    return hash;
  }
}
