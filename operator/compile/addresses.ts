// IP address and network parsing for the compiler: validation, normalisation (RFC 5952 for IPv6) and a stable
// sort order (IPv4 before IPv6, then numerically).
import ipaddr from 'ipaddr.js';

export type AddressFamily = 'ipv4' | 'ipv6';

export interface ParsedAddress {
  readonly family: AddressFamily;
  /** Normalised text: dotted quad for IPv4, RFC 5952 for IPv6. */
  readonly text: string;
  readonly bytes: readonly number[];
}

/** Parses by text, shared between calls (the results are read-only): the operator compiles the same addresses
 *  over and over, and parsing each anew was a good part of a reconcile's garbage. Cleared when full. */
const parsedAddresses = new Map<string, ParsedAddress | undefined>();
const MAX_PARSED = 100_000;

/** Parses a strict IPv4 dotted quad or an IPv6 address (no zone id); undefined when it is neither. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const known = parsedAddresses.get(text);
  if (known !== undefined || parsedAddresses.has(text)) return known;
  if (parsedAddresses.size >= MAX_PARSED) parsedAddresses.clear();
  const parsed = parseUncached(text);
  parsedAddresses.set(text, parsed);
  return parsed;
}

function parseUncached(text: string): ParsedAddress | undefined {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) {
    const address = ipaddr.IPv4.parse(trimmed);
    return { family: 'ipv4', text: address.toString(), bytes: address.toByteArray() };
  }
  if (!trimmed.includes('%') && ipaddr.IPv6.isValid(trimmed)) {
    const address = ipaddr.IPv6.parse(trimmed);
    return { family: 'ipv6', text: address.toRFC5952String(), bytes: address.toByteArray() };
  }
  return undefined;
}

export function compareParsedAddresses(a: ParsedAddress, b: ParsedAddress): number {
  if (a.family !== b.family) return a.family === 'ipv4' ? -1 : 1;
  for (let i = 0; i < a.bytes.length; i++) {
    const diff = (a.bytes[i] ?? 0) - (b.bytes[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Normalises, de-duplicates and sorts addresses; the ones that do not parse are returned apart. */
export function normaliseAddresses(texts: readonly string[]): { addresses: ParsedAddress[]; invalid: string[] } {
  const byText = new Map<string, ParsedAddress>();
  const invalid: string[] = [];
  for (const text of texts) {
    const parsed = parseAddress(text);
    if (parsed) byText.set(parsed.text, parsed);
    else invalid.push(text);
  }
  return { addresses: [...byText.values()].sort(compareParsedAddresses), invalid };
}

export interface ParsedNetwork {
  /** Normalised CIDR: the network address (host bits cleared) and the prefix length. */
  cidr: string;
  network: ParsedAddress;
  prefix: number;
}

/** Parses a CIDR; host bits are cleared. Undefined when it is not a valid IPv4 or IPv6 network. */
export function parseNetwork(text: string): ParsedNetwork | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash < 0 || !parseAddress(trimmed.slice(0, slash))) return undefined;
  if (!ipaddr.isValidCIDR(trimmed)) return undefined;
  const [, prefix] = ipaddr.parseCIDR(trimmed);
  const base = ipaddr.IPv4.isValidCIDRFourPartDecimal(trimmed)
    ? ipaddr.IPv4.networkAddressFromCIDR(trimmed)
    : ipaddr.IPv6.networkAddressFromCIDR(trimmed);
  const network = parseAddress(base.toString());
  if (!network) return undefined;
  return { cidr: `${network.text}/${prefix}`, network, prefix };
}

export function compareNetworks(a: ParsedNetwork, b: ParsedNetwork): number {
  return compareParsedAddresses(a.network, b.network) || a.prefix - b.prefix;
}
