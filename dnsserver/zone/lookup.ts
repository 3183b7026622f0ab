// Finds what a zone says about (qname, qtype): data, CNAME chain, referral, NODATA or NXDOMAIN.
import { inZone, parentOf } from './build.ts';
import {
  TYPE,
  rrsetOf,
  type AnswerPart,
  type LookupResult,
  type RRset,
  type ZoneIndex,
  type ZoneNode,
} from './types.ts';

/** Longest CNAME chain followed inside a zone. */
export const MAX_CNAME_CHAIN = 8;

/** The delegation point closest to the apex at or above `name`, if any. */
function cutAbove(zone: ZoneIndex, name: string): string | undefined {
  if (zone.cuts.size === 0) return undefined;
  let found: string | undefined;
  for (let up = name; up !== zone.apex && up !== ''; up = parentOf(up)) {
    if (zone.cuts.has(up)) found = up;
  }
  return found;
}

/** A and AAAA rrsets of in-zone names (static data only), for glue and additional addresses. */
function addressesOf(zone: ZoneIndex, names: Iterable<string>): RRset[] {
  const out: RRset[] = [];
  for (const raw of names) {
    const name = raw.toLowerCase();
    if (!inZone(name, zone.apex)) continue;
    const node = zone.nodes.get(name);
    const a = rrsetOf(node, TYPE.A);
    const aaaa = rrsetOf(node, TYPE.AAAA);
    if (a) out.push(a);
    if (aaaa) out.push(aaaa);
  }
  return out;
}

function referral(zone: ZoneIndex, cut: string): LookupResult {
  const ns = rrsetOf(zone.nodes.get(cut), TYPE.NS);
  if (!ns) return { kind: 'nxdomain', parts: [] };
  return { kind: 'referral', ns, glue: addressesOf(zone, ns.data as string[]) };
}

function additionalFor(zone: ZoneIndex, rrset: RRset): RRset[] {
  switch (rrset.type) {
    case 'NS':
      return addressesOf(zone, rrset.data as string[]);
    case 'MX':
      return addressesOf(
        zone,
        (rrset.data as Array<{ exchange: string }>).map((mx) => mx.exchange),
      );
    case 'SRV':
      return addressesOf(
        zone,
        (rrset.data as Array<{ target: string }>).map((srv) => srv.target),
      );
    default:
      return [];
  }
}

function routedFamily(node: ZoneNode): 'A' | 'AAAA' {
  const v4 = node.routed?.targets.some((t) => t.addresses.some((a) => !a.includes(':')));
  return v4 ? 'A' : 'AAAA';
}

/**
 * The wildcard node that answers for `name`, a name that does not exist (RFC 4592 §3.3.1): `*.` + the closest
 * encloser (the nearest ancestor that exists, as a node or an empty non-terminal).
 */
function wildcardFor(zone: ZoneIndex, name: string): ZoneNode | undefined {
  let encloser = parentOf(name);
  while (encloser !== zone.apex && !zone.nodes.has(encloser) && !zone.emptyNonTerminals.has(encloser)) {
    if (encloser === '') return undefined;
    encloser = parentOf(encloser);
  }
  return zone.nodes.get(encloser === '' ? '*' : `*.${encloser}`);
}

/** The rrset as owned by `owner` (the query name, for a wildcard's rrsets). */
const ownedBy = (rrset: RRset, owner: string): RRset => (rrset.name === owner ? rrset : { ...rrset, name: owner });

function routedPart(node: ZoneNode, owner: string, family: 'A' | 'AAAA'): AnswerPart {
  const routed = node.routed as NonNullable<ZoneNode['routed']>;
  return node.name === owner
    ? { kind: 'routed', name: node.name, routed, family }
    : { kind: 'routed', name: node.name, owner, routed, family };
}

/** The answer at an existing node (or the wildcard answering for `owner`) for a non-CNAME step. */
function dataAt(zone: ZoneIndex, node: ZoneNode, owner: string, qtype: number, parts: AnswerPart[]): LookupResult {
  if (qtype === TYPE.ANY) {
    // RFC 8482: answer one rrset rather than everything. The first static type present, else the routed name.
    const first = node.rrsets[0];
    if (first) {
      return {
        kind: 'answer',
        parts: [...parts, { kind: 'static', rrset: ownedBy(first, owner) }],
        additional: [],
      };
    }
    if (node.routed) {
      return { kind: 'answer', parts: [...parts, routedPart(node, owner, routedFamily(node))], additional: [] };
    }
    return { kind: 'nodata', parts };
  }
  if (node.routed && (qtype === TYPE.A || qtype === TYPE.AAAA)) {
    return {
      kind: 'answer',
      parts: [...parts, routedPart(node, owner, qtype === TYPE.A ? 'A' : 'AAAA')],
      additional: [],
    };
  }
  const rrset = rrsetOf(node, qtype);
  if (rrset) {
    const part: AnswerPart = { kind: 'static', rrset: ownedBy(rrset, owner) };
    return { kind: 'answer', parts: [...parts, part], additional: additionalFor(zone, rrset) };
  }
  return { kind: 'nodata', parts };
}

/** The wildcard that answers for `qname` when the name itself does not exist (and lies above any cut). */
export function wildcardAnswering(zone: ZoneIndex, qname: string): string | undefined {
  if (zone.nodes.has(qname) || zone.emptyNonTerminals.has(qname) || cutAbove(zone, qname) !== undefined)
    return undefined;
  return wildcardFor(zone, qname)?.name;
}

export function lookup(zone: ZoneIndex, qname: string, qtype: number): LookupResult {
  const parts: AnswerPart[] = [];
  const visited = new Set<string>();
  let name = qname;
  for (let hop = 0; ; hop++) {
    const cut = cutAbove(zone, name);
    // The DS rrset of a delegation lives on the parent side of the cut (RFC 4035 §3.1.4.1): answered here.
    if (cut !== undefined && !(qtype === TYPE.DS && cut === name)) {
      if (parts.length === 0) return referral(zone, cut);
      // A CNAME chain leading below a cut: the CNAMEs, with the delegation in authority and its glue (RFC 1034
      // §4.3.2 step 3b).
      const delegation = referral(zone, cut);
      if (delegation.kind !== 'referral') return { kind: 'answer', parts, additional: [] };
      return { kind: 'answer', parts, additional: delegation.glue, authority: [delegation.ns] };
    }
    let node = zone.nodes.get(name);
    if (!node) {
      if (zone.emptyNonTerminals.has(name)) return { kind: 'nodata', parts };
      node = wildcardFor(zone, name);
      if (!node) return { kind: 'nxdomain', parts };
    }
    const cname = rrsetOf(node, TYPE.CNAME);
    if (!cname || qtype === TYPE.CNAME || qtype === TYPE.ANY) return dataAt(zone, node, name, qtype, parts);

    parts.push({ kind: 'static', rrset: ownedBy(cname, name) });
    visited.add(name);
    const target = String(cname.data[0] ?? '').toLowerCase();
    // Out of zone, looping, or too long: the CNAMEs so far are the answer; the resolver follows the rest.
    if (!inZone(target, zone.apex) || visited.has(target) || hop + 1 >= MAX_CNAME_CHAIN) {
      return { kind: 'answer', parts, additional: [] };
    }
    name = target;
  }
}
