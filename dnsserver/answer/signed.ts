// Signed answers (DNSSEC, DO=1, a zone with keys): the sections of the unsigned answer, each authoritative rrset
// followed by its RRSIGs, and denial of existence by RFC 9824 compact answers. Only queries with the DO bit for a
// signed zone come here; every other query is answered as before, byte for byte.
import type { Answer } from 'dns-packet';
import { canonicalRdata } from '../dnssec/canonical.ts';
import { compactNsecRdata, compactNxdomainRcode, nodataTypes, nxdomainTypes } from '../dnssec/denial.ts';
import { keySetsOf } from '../dnssec/key-sets.ts';
import type { SigningPath, ZoneSigner } from '../dnssec/signer.ts';
import type { SigningBudget } from '../dnssec/budget.ts';
import { RRTYPE } from '../dnssec/types.ts';
import type { Decision } from '../routing/decide.ts';
import { wildcardAnswering } from '../zone/lookup.ts';
import { TYPE, type LookupResult, type ZoneIndex } from '../zone/types.ts';
import { encodeBody } from '../wire/encode.ts';
import { RCODE, type EncodedBody, type Sections } from '../wire/types.ts';
import { buildAnswer } from './sections.ts';

/** Type numbers of the zone store's types, and of the `UNKNOWN_<n>` records made here. */
function typeNumber(name: string): number {
  const known = (TYPE as Record<string, number>)[name];
  if (known !== undefined) return known;
  const match = /^UNKNOWN_(\d+)$/.exec(name);
  if (!match) throw new Error(`no type number for '${name}'`);
  return Number(match[1]);
}

/**
 * The body's sections in one buffer of its own. Signed bodies are kept (answer/state.ts: `signed`), and a small
 * Buffer is a slice of a shared 8 KiB slab that lives as long as any slice of it: a cached body would keep the slab
 * of every short-lived buffer made beside it (as the signer's cached signatures would, dnssec/signer.ts). Measured
 * with bench/dnssec.ts memory: 1,255 bytes of buffer memory per cached signature and body, against 225.
 */
function unpooled(body: EncodedBody): EncodedBody {
  const bytes = Buffer.alloc(body.main.length + body.additional.length);
  body.main.copy(bytes);
  body.additional.copy(bytes, body.main.length);
  return { ...body, main: bytes.subarray(0, body.main.length), additional: bytes.subarray(body.main.length) };
}

/** A signed body and when it must be made again (its earliest signature's refresh time, seconds since 1970). */
export interface SignedBody {
  body: EncodedBody;
  refreshAt: number;
}

const raw = (name: string, type: number, ttl: number, data: Buffer): Answer =>
  ({ name, type: `UNKNOWN_${type}`, ttl, class: 'IN', data }) as unknown as Answer;

/** Every type any client could get at `name` (a routed name: A and/or AAAA, by the families of its targets). */
export function typesAt(zone: ZoneIndex, name: string): number[] {
  if (zone.cuts.has(name)) return [TYPE.NS];
  let node = zone.nodes.get(name);
  if (!node && !zone.emptyNonTerminals.has(name)) {
    const wildcard = wildcardAnswering(zone, name);
    if (wildcard !== undefined) node = zone.nodes.get(wildcard);
  }
  if (!node) return [];
  const types = node.rrsets.map((rrset) => typeNumber(rrset.type));
  if (node.routed) {
    const addresses = node.routed.targets.flatMap((t) => t.addresses);
    if (addresses.some((a) => !a.includes(':'))) types.push(TYPE.A);
    if (addresses.some((a) => a.includes(':'))) types.push(TYPE.AAAA);
  }
  if (name === zone.apex) types.push(RRTYPE.DNSKEY, RRTYPE.CDS, RRTYPE.CDNSKEY);
  return types;
}

/** Whether `name` exists in the zone (a node, an empty non-terminal, or a name a wildcard answers for). */
function exists(zone: ZoneIndex, name: string): boolean {
  return zone.nodes.has(name) || zone.emptyNonTerminals.has(name) || wildcardAnswering(zone, name) !== undefined;
}

/** The name a negative answer is about: the target of the last CNAME followed, else the question. */
function lastName(result: Exclude<LookupResult, { kind: 'referral' }>, qname: string): string {
  for (let i = result.parts.length - 1; i >= 0; i--) {
    const part = result.parts[i];
    if (part?.kind === 'static' && part.rrset.type === 'CNAME') return String(part.rrset.data[0] ?? '').toLowerCase();
  }
  return qname;
}

class SectionSigner {
  refreshAt = Infinity;
  readonly #signer: ZoneSigner;
  readonly #now: number;
  readonly #budget: SigningBudget | undefined;
  readonly #path: SigningPath;

  constructor(signer: ZoneSigner, now: number, budget: SigningBudget | undefined, path: SigningPath) {
    this.#signer = signer;
    this.#now = now;
    this.#budget = budget;
    this.#path = path;
  }

  ttl(ttl: number): number {
    return Math.min(ttl, this.#signer.maxTtl);
  }

  /** The records of one rrset, TTL capped, followed by their RRSIGs. */
  rrset(records: readonly Answer[]): Answer[] {
    const first = records[0] as DataRecord;
    const ttl = this.ttl(first.ttl ?? 0);
    const type = typeNumber(first.type);
    const capped = records.map((r) => ({ ...r, ttl }) as Answer);
    const { rrsigs, refreshAt } = this.#signer.sign(
      { name: first.name, type, ttl, rdata: records.map((r) => canonicalRdata(r.type, (r as DataRecord).data)) },
      this.#now,
      this.#budget,
      this.#path,
    );
    if (refreshAt < this.refreshAt) this.refreshAt = refreshAt;
    return [...capped, ...rrsigs.map((rrsig) => raw(first.name, RRTYPE.RRSIG, ttl, rrsig))];
  }

  /** Consecutive records of one owner and type are one rrset. */
  all(records: readonly Answer[]): Answer[] {
    const out: Answer[] = [];
    let start = 0;
    for (let i = 1; i <= records.length; i++) {
      const a = records[start] as Answer;
      const b = records[i];
      if (b && b.name === a.name && b.type === a.type) continue;
      out.push(...this.rrset(records.slice(start, i)));
      start = i;
    }
    return out;
  }

  nsec(zone: ZoneIndex, owner: string, types: number[]): Answer[] {
    return this.rrset([raw(owner, RRTYPE.NSEC, zone.negativeTtl, compactNsecRdata(owner, types))]);
  }
}

/**
 * The key rrsets of the apex (dnssec/key-sets.ts: the own keys and other signers' published ones): DNSKEY, and CDS
 * and CDNSKEY (RFC 7344) for the parent, TTL of the SOA. Undefined for any other question.
 */
function keyRecords(
  zone: ZoneIndex,
  signer: ZoneSigner,
  qname: string,
  qtype: number,
  ttl = zone.soa.ttl,
): Answer[] | undefined {
  if (qname !== zone.apex) return undefined;
  if (qtype !== RRTYPE.DNSKEY && qtype !== RRTYPE.CDS && qtype !== RRTYPE.CDNSKEY) return undefined;
  const sets = keySetsOf(signer, zone.compiled.dnssec);
  const rdata = qtype === RRTYPE.DNSKEY ? sets.dnskey : qtype === RRTYPE.CDS ? sets.cds : sets.cdnskey;
  return rdata?.map((data) => raw(zone.apex, qtype, ttl, data));
}

/** The records of answers here are never OPT records (the response builder adds that). */
type DataRecord = Exclude<Answer, { type: 'OPT' }>;

export interface SignedAnswerInput {
  zone: ZoneIndex;
  signer: ZoneSigner;
  result: LookupResult;
  decisions: readonly Decision[];
  qname: string;
  qtype: number;
  /** The query set the Compact Answers OK flag (RFC 9824 §4): NXDOMAIN is answered as NXDOMAIN. */
  compactOk: boolean;
  /** Seconds since 1970. */
  now: number;
  /** New signatures are taken from it (UDP); none: unlimited (TCP). Throws SigningBudgetExceeded when spent. */
  budget?: SigningBudget;
  /** Who asks (default `inline`, a query); `ahead` signs in advance (answer/ahead.ts). */
  path?: SigningPath;
}

/** The signed body for a query whose unsigned answer is `buildAnswer(zone, result, decisions)`. */
export function signedAnswer(input: SignedAnswerInput): SignedBody {
  const { zone, signer, result, qname, qtype } = input;
  const s = new SectionSigner(signer, input.now, input.budget, input.path ?? 'inline');
  const finish = (sections: Sections, rcode: number, authoritative: boolean): SignedBody => ({
    body: unpooled(encodeBody(qname, sections, rcode, authoritative)),
    refreshAt: s.refreshAt,
  });

  if (result.kind === 'referral') {
    // An unsigned delegation: the NS rrset is not signed here (the child's), the NSEC at the cut proves there is no
    // DS, and glue stays unsigned.
    const cut = result.ns.name;
    const unsigned = buildAnswer(zone, result, []).sections;
    return finish(
      {
        answers: [],
        authorities: [...unsigned.authorities, ...s.nsec(zone, cut, nodataTypes([TYPE.NS], RRTYPE.DS))],
        additionals: unsigned.additionals,
      },
      RCODE.NOERROR,
      false,
    );
  }

  const keys = keyRecords(zone, signer, qname, qtype);
  if (keys) return finish({ answers: s.rrset(keys), authorities: [], additionals: [] }, RCODE.NOERROR, true);

  const built = buildAnswer(zone, result, input.decisions);
  const negative = built.sections.authorities[0]?.type === 'SOA';
  const answers = s.all(built.sections.answers);
  if (!negative) {
    // Authority holds the NS of a delegation a CNAME led into (not ours to sign); additional data stays unsigned:
    // a validator fetches what it needs itself.
    return finish(
      { answers, authorities: built.sections.authorities, additionals: built.sections.additionals },
      built.rcode,
      built.authoritative,
    );
  }

  let owner = lastName(result, qname);
  if (result.kind === 'answer') {
    // A routed name whose decision has no address of the family asked: NODATA at its owner.
    const routed = [...result.parts].reverse().find((p) => p.kind === 'routed');
    if (routed?.kind === 'routed') owner = routed.owner ?? routed.name;
  }
  const soa = s.rrset(built.sections.authorities);
  if (result.kind === 'nxdomain' && !exists(zone, owner)) {
    return finish(
      { answers, authorities: [...soa, ...s.nsec(zone, owner, nxdomainTypes())], additionals: [] },
      compactNxdomainRcode(input.compactOk),
      true,
    );
  }
  const types = typesAt(zone, owner);
  if (qtype === RRTYPE.NSEC && result.parts.length === 0) {
    // The NSEC of an existing name, asked for: the answer (RFC 9824 §3.4).
    return finish(
      { answers: s.nsec(zone, owner, nodataTypes(types, -1)), authorities: [], additionals: [] },
      RCODE.NOERROR,
      true,
    );
  }
  return finish(
    { answers, authorities: [...soa, ...s.nsec(zone, owner, nodataTypes(types, qtype))], additionals: [] },
    RCODE.NOERROR,
    true,
  );
}

/**
 * A query without the DO bit for a DNSSEC type at a signed zone: RFC 4035 §3.2.1 strips the records that authenticate
 * an answer, never those asked for. The apex DNSKEY, CDS and CDNSKEY rrsets, and the NSEC of an existing name, are
 * answered as with DO, without their RRSIGs (TTLs capped alike, so caches hold one TTL whoever asked). Undefined:
 * the question is answered as any other type (the key types below the apex, NSEC at a name that does not exist).
 */
export function unsignedDnssecAnswer(
  input: Pick<SignedAnswerInput, 'zone' | 'signer' | 'result' | 'qname' | 'qtype'>,
): EncodedBody | undefined {
  const { zone, signer, result, qname, qtype } = input;
  const ttl = (ttl: number) => Math.min(ttl, signer.maxTtl);
  let answers = keyRecords(zone, signer, qname, qtype, ttl(zone.soa.ttl));
  if (!answers && qtype === RRTYPE.NSEC && result.kind === 'nodata' && result.parts.length === 0) {
    const types = nodataTypes(typesAt(zone, qname), -1);
    answers = [raw(qname, RRTYPE.NSEC, ttl(zone.negativeTtl), compactNsecRdata(qname, types))];
  }
  if (!answers) return undefined;
  return encodeBody(qname, { answers, authorities: [], additionals: [] }, RCODE.NOERROR, true);
}
