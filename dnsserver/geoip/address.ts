// IP address and CIDR parsing into bytes, with IPv4-mapped IPv6 (::ffff:a.b.c.d) turned into IPv4.
import ipaddr from 'ipaddr.js';

export interface ParsedAddress {
  family: 4 | 6;
  bytes: number[];
  /** Canonical text (IPv4 dotted quad for mapped addresses). */
  text: string;
}

export interface ParsedCidr extends ParsedAddress {
  prefixLength: number;
}

/**
 * A plain dotted-quad IPv4 address ('203.0.113.7') as an unsigned 32-bit number, -1 when the text is not one (no
 * leading zeros). Per query, without allocating.
 */
export function dottedQuadValue(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    const digit = code - 48;
    if (digit < 0 || digit > 9 || (digits > 0 && part === 0)) return -1;
    part = part * 10 + digit;
    if (++digits > 3 || part > 255) return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/** Plain dotted-quad IPv4, the common case per query, without the general parser. */
function parseDottedQuad(text: string): ParsedAddress | undefined {
  const value = dottedQuadValue(text);
  if (value < 0) return undefined;
  return { family: 4, bytes: [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff], text };
}

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const quad = parseDottedQuad(text);
  if (quad) return quad;
  if (!ipaddr.isValid(text)) return undefined;
  let address = ipaddr.parse(text);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  return address.kind() === 'ipv4'
    ? { family: 4, bytes: address.toByteArray(), text: address.toString() }
    : { family: 6, bytes: address.toByteArray(), text: address.toString() };
}

/** Parses 'address/prefix' (a bare address is a host route); mapped IPv6 prefixes become IPv4 ones. */
export function parseCidr(text: string): ParsedCidr | { error: string } {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (!ipaddr.isValid(addressText)) return { error: `'${text}' is not a CIDR: '${addressText}' is not an IP address` };
  const raw = ipaddr.parse(addressText);
  const bits = raw.kind() === 'ipv4' ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return { error: `'${text}' is not a CIDR: prefix must be 0..${bits}` };
  if (raw.kind() === 'ipv6' && (raw as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    const v4 = (raw as ipaddr.IPv6).toIPv4Address();
    return {
      family: 4,
      bytes: maskBytes(v4.toByteArray(), prefix - 96),
      text: v4.toString(),
      prefixLength: prefix - 96,
    };
  }
  const family = raw.kind() === 'ipv4' ? 4 : 6;
  return { family, bytes: maskBytes(raw.toByteArray(), prefix), text: raw.toString(), prefixLength: prefix };
}

/** 'network/prefix' text for the network of `prefix` bits holding the address. */
export function formatNetwork(bytes: readonly number[], prefix: number): string {
  return `${ipaddr.fromByteArray(maskBytes(bytes, prefix)).toString()}/${prefix}`;
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, index) => {
    const keep = Math.max(0, Math.min(8, prefix - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

/** Bit `index` (0 = most significant) of a byte array. */
export function bitAt(bytes: readonly number[], index: number): 0 | 1 {
  return (((bytes[index >> 3] ?? 0) >> (7 - (index & 7))) & 1) as 0 | 1;
}
