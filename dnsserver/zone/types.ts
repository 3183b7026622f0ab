// Zone store data: a compiled zone indexed for lookups, and what a lookup finds.
import type { CompiledRoutedName, CompiledZone } from '../../api/compiled.ts';

/** Record types by number, for the types a zone can hold. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DS: 43,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

/** An rrset as served: owner, type name, TTL, and rdata in dns-packet's shape. */
export interface RRset {
  name: string;
  type: string;
  ttl: number;
  data: readonly unknown[];
}

/** Type names by number, for the types in TYPE. */
const TYPE_NAMES: readonly string[] = Object.entries(TYPE).reduce<string[]>((names, [name, number]) => {
  names[number] = name;
  return names;
}, []);

/**
 * One owner name in the zone. A zone has as many nodes as names, so a node is kept small: its few static rrsets in
 * an array (in document order) rather than a map per name, which for a 100,000-name zone cost a third of the index
 * memory and of the time to build it.
 */
export interface ZoneNode {
  name: string;
  /** Static rrsets, at most one per type; find one with rrsetOf. */
  rrsets: readonly RRset[];
  /** The routed name at this owner, if any (answers A and AAAA). */
  routed?: CompiledRoutedName;
}

/** The node's static rrset of type `type` (a number), if any. */
export function rrsetOf(node: ZoneNode | undefined, type: number): RRset | undefined {
  if (!node) return undefined;
  const name = TYPE_NAMES[type];
  for (const rrset of node.rrsets) if (rrset.type === name) return rrset;
  return undefined;
}

export interface ZoneIndex {
  apex: string;
  serial: number;
  compiled: CompiledZone;
  soa: RRset;
  /** TTL of negative answers: min(SOA TTL, SOA minimum) (RFC 2308 §5). */
  negativeTtl: number;
  nodes: Map<string, ZoneNode>;
  /** Names that exist only because names below them do (empty non-terminals). */
  emptyNonTerminals: Set<string>;
  /** Delegation points below the apex (owners of NS rrsets other than the apex). */
  cuts: Set<string>;
  /** Routed names by the target ids they use. */
  routedByTarget: Map<string, string[]>;
}

/**
 * A piece of an answer section: a static rrset, or a routed name to be decided per query. `owner` is the query
 * name when a wildcard routed name answers for it (the records' owner); `name` stays the routed name.
 */
export type AnswerPart =
  | { kind: 'static'; rrset: RRset }
  | { kind: 'routed'; name: string; owner?: string; routed: CompiledRoutedName; family: 'A' | 'AAAA' };

export type LookupResult =
  /**
   * Authoritative data (possibly after CNAMEs); `additional` holds glue or target addresses. `authority` holds the
   * NS rrset of a delegation a CNAME chain led into (RFC 1034 §4.3.2 step 3b).
   */
  | { kind: 'answer'; parts: AnswerPart[]; additional: RRset[]; authority?: RRset[] }
  /** The name exists but has no data of the type: NOERROR, SOA in authority. `parts` holds any CNAMEs followed. */
  | { kind: 'nodata'; parts: AnswerPart[] }
  /** The name does not exist: NXDOMAIN, SOA in authority. */
  | { kind: 'nxdomain'; parts: AnswerPart[] }
  /** The name is at or below a delegation: NS in authority, glue in additional, not authoritative. */
  | { kind: 'referral'; ns: RRset; glue: RRset[] };
