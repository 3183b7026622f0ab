// Builds response packets: the query's header and question (copied, client's letter case kept), a cached encoded
// body, and our OPT record. One allocation per response.
import {
  BADVERS,
  RCODE,
  HEADER_LENGTH,
  TYPE_OPT,
  OPTION_ECS,
  OPTION_COOKIE,
  OPTION_EDE,
  OPTION_NSID,
} from './types.ts';
import { copyBytes, put16 } from './bytes.ts';
import type { ClientSubnet, EdnsInfo, EncodedBody, ParsedQuery, ParseResult } from './types.ts';

export interface ResponseOptions {
  transport: 'udp' | 'tcp';
  /** ECS scope prefix to return (clamped to the query's source prefix); 0 when not given. */
  ecsScope?: number;
  /** Server cookie for a client cookie (RFC 7873/9018); without it no COOKIE option is returned. */
  serverCookie?: (clientCookie: Buffer) => Buffer;
  /** An Extended DNS Error info code (RFC 8914) to add when the query had EDNS, e.g. EDE.NOT_AUTHORITATIVE. */
  extendedError?: number;
  /** The server's identifier, returned to queries that ask for it (NSID, RFC 5001); none when not given. */
  nsid?: Buffer;
  /** Send the header, question and OPT only, with TC=1 (a rate limiter's slip: ask again over TCP). */
  truncate?: boolean;
  /** Set the Compact Answers OK flag in our OPT (RFC 9824 §4: a signed answer to a query that set it). */
  compactOk?: boolean;
}

/** Our EDNS UDP payload size (DNS flag day 2020). */
export const OUR_UDP_SIZE = 1232;
const PLAIN_UDP_LIMIT = 512;
const TCP_LIMIT = 65535;
const OPT_FIXED_LENGTH = 11;

const EMPTY = Buffer.alloc(0);

/** The OPT record of a response, computed before the packet is laid out. */
interface OptPlan {
  extendedRcode: number;
  dnssecOk: boolean;
  compactOk: boolean;
  ecs: ClientSubnet | null;
  ecsScope: number;
  cookie: Buffer | null;
  serverCookie: Buffer | null;
  extendedError: number | null;
  nsid: Buffer | null;
  length: number;
}

/** `withEcs` false: no ECS option (error replies); a COOKIE is still returned when `options` can make one. */
function planOpt(edns: EdnsInfo, rcode: number, options: Partial<ResponseOptions>, withEcs: boolean): OptPlan {
  const plan: OptPlan = {
    extendedRcode: rcode >> 4,
    dnssecOk: edns.dnssecOk,
    compactOk: options.compactOk === true && edns.dnssecOk,
    ecs: null,
    ecsScope: 0,
    cookie: null,
    serverCookie: null,
    extendedError: null,
    nsid: null,
    length: OPT_FIXED_LENGTH,
  };
  if (edns.nsid && options.nsid) {
    plan.nsid = options.nsid;
    plan.length += 4 + options.nsid.length;
  }
  if (options.extendedError !== undefined) {
    plan.extendedError = options.extendedError;
    plan.length += 4 + 2;
  }
  const ecs = edns.ecs;
  if (withEcs && ecs) {
    plan.ecs = ecs;
    plan.ecsScope = Math.max(0, Math.min(Math.trunc(options.ecsScope ?? 0), ecs.sourcePrefix));
    plan.length += 4 + plan.ecs.length;
  }
  if (edns.cookie && edns.cookie.length >= 8 && options.serverCookie) {
    const client = edns.cookie.subarray(0, 8);
    try {
      const server = options.serverCookie(client);
      if (server.length >= 8 && server.length <= 32) {
        plan.cookie = client;
        plan.serverCookie = server;
        plan.length += 4 + 8 + server.length;
      }
    } catch {
      // A failing cookie generator must not cost the answer: answer without a COOKIE option.
    }
  }
  return plan;
}

function writeOpt(out: Buffer, pos: number, plan: OptPlan): number {
  out[pos] = 0;
  put16(out, pos + 1, TYPE_OPT);
  put16(out, pos + 3, OUR_UDP_SIZE);
  out[pos + 5] = plan.extendedRcode & 0xff;
  out[pos + 6] = 0;
  put16(out, pos + 7, (plan.dnssecOk ? 0x8000 : 0) | (plan.compactOk ? 0x4000 : 0));
  put16(out, pos + 9, plan.length - OPT_FIXED_LENGTH);
  pos += OPT_FIXED_LENGTH;
  if (plan.nsid) {
    put16(out, pos, OPTION_NSID);
    put16(out, pos + 2, plan.nsid.length);
    pos += 4 + copyBytes(plan.nsid, 0, plan.nsid.length, out, pos + 4);
  }
  if (plan.ecs) {
    put16(out, pos, OPTION_ECS);
    put16(out, pos + 2, plan.ecs.length);
    plan.ecs.writeTo(out, pos + 4);
    out[pos + 4 + 3] = plan.ecsScope;
    pos += 4 + plan.ecs.length;
  }
  if (plan.cookie && plan.serverCookie) {
    put16(out, pos, OPTION_COOKIE);
    put16(out, pos + 2, 8 + plan.serverCookie.length);
    plan.cookie.copy(out, pos + 4);
    plan.serverCookie.copy(out, pos + 12);
    pos += 12 + plan.serverCookie.length;
  }
  if (plan.extendedError !== null) {
    put16(out, pos, OPTION_EDE);
    put16(out, pos + 2, 2);
    put16(out, pos + 4, plan.extendedError);
    pos += 6;
  }
  return pos;
}

function sizeLimit(transport: 'udp' | 'tcp', edns: EdnsInfo | undefined): number {
  if (transport === 'tcp') return TCP_LIMIT;
  if (!edns) return PLAIN_UDP_LIMIT;
  return Math.min(Math.max(edns.udpSize, PLAIN_UDP_LIMIT), OUR_UDP_SIZE);
}

interface HeaderFlags {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
}

function writeHeader(
  out: Buffer,
  h: HeaderFlags,
  aa: boolean,
  tc: boolean,
  rcode: number,
  qdcount: number,
  ancount: number,
  nscount: number,
  arcount: number,
): void {
  let flags = 0x8000 | ((h.opcode & 0xf) << 11) | (rcode & 0xf);
  if (aa) flags |= 0x0400;
  if (tc) flags |= 0x0200;
  // RD is copied whatever the opcode (RFC 1035 §4.1.1, as Knot does); CD is a DNSSEC bit of QUERY (RFC 4035
  // §3.1.6), so a reply to another opcode (NOTIMP) does not echo it.
  if (h.rd) flags |= 0x0100;
  if (h.cd && h.opcode === 0) flags |= 0x0010;
  put16(out, 0, h.id);
  put16(out, 2, flags);
  put16(out, 4, qdcount);
  put16(out, 6, ancount);
  put16(out, 8, nscount);
  put16(out, 10, arcount);
}

/** rcode as the header can carry it: values above 15 need OPT; without one, fall back to SERVFAIL. */
function effectiveRcode(rcode: number, hasOpt: boolean): number {
  return rcode > 15 && !hasOpt ? RCODE.SERVFAIL : rcode;
}

export function buildResponse(
  message: Buffer,
  query: ParsedQuery,
  body: EncodedBody,
  options: ResponseOptions,
): Buffer {
  const edns = query.edns;
  const rcode = effectiveRcode(body.rcode, edns !== undefined);
  const opt = edns ? planOpt(edns, rcode, options, true) : null;
  const optLength = opt ? opt.length : 0;
  const limit = sizeLimit(options.transport, edns);
  const start = query.questionEnd;

  let main = body.main;
  let additional = body.additional;
  let ancount = body.ancount;
  let nscount = body.nscount;
  let arcount = body.arcount;
  let tc = false;
  if (options.truncate || start + main.length + additional.length + optLength > limit) {
    // Keep the whole additional rrsets that fit, in order. A non-authoritative body is a referral and its additional
    // section is glue: when some of it does not fit, the client must be told to retry over TCP (RFC 9471), as Knot
    // does. Other additional records are simply left out.
    const room = limit - start - main.length - optLength;
    let kept = 0;
    arcount = 0;
    for (const rrset of body.additionalRRsets) {
      if (rrset.end > room) break;
      kept = rrset.end;
      arcount = rrset.records;
    }
    if (!body.authoritative && arcount < body.arcount) tc = true;
    additional = kept === 0 ? EMPTY : additional.subarray(0, kept);
    if (options.truncate || start + main.length + optLength > limit) {
      main = EMPTY;
      additional = EMPTY;
      ancount = 0;
      nscount = 0;
      arcount = 0;
      tc = true;
    }
  }

  const total = start + main.length + additional.length + optLength;
  const out = Buffer.allocUnsafe(total);
  copyBytes(message, HEADER_LENGTH, start, out, HEADER_LENGTH);
  writeHeader(out, query, body.authoritative, tc, rcode, 1, ancount, nscount, arcount + (opt ? 1 : 0));
  let pos = start;
  pos += copyBytes(main, 0, main.length, out, pos);
  pos += copyBytes(additional, 0, additional.length, out, pos);
  if (opt) writeOpt(out, pos, opt);
  return out;
}

/** A reply with no records and the given rcode (e.g. REFUSED for a name outside our zones): no AA, OPT echoed. */
export function buildRcodeResponse(
  message: Buffer,
  query: ParsedQuery,
  rcode: number,
  transport: 'udp' | 'tcp',
  options: Omit<ResponseOptions, 'transport'> = {},
): Buffer {
  const body: EncodedBody = {
    rcode,
    authoritative: false,
    ancount: 0,
    nscount: 0,
    arcount: 0,
    main: EMPTY,
    additional: EMPTY,
    additionalRRsets: [],
  };
  return buildResponse(message, query, body, { ...options, transport });
}

/**
 * The reply to a query parseQuery could not accept (FORMERR, NOTIMP, BADVERS, NOTAUTH): header, the question when
 * it could be read, an OPT record when the query had a well-formed one (BADVERS always carries one) with only a
 * COOKIE option if any, and the parser's TSIG record if any.
 */
export function buildErrorResponse(
  message: Buffer,
  result: ParseResult & { ok: false; rcode: number },
  options: Pick<ResponseOptions, 'serverCookie' | 'nsid' | 'truncate'> = {},
): Buffer {
  const known: Partial<ParsedQuery> = ('query' in result ? result.query : undefined) ?? {};
  const hasQuestion = known.questionEnd !== undefined && known.questionEnd <= message.length;
  const questionEnd = hasQuestion ? (known.questionEnd as number) : HEADER_LENGTH;
  const edns = known.edns;
  const rcode = effectiveRcode(result.rcode, edns !== undefined);
  // A well-formed client cookie gets its server cookie in NOTIMP and FORMERR replies too (RFC 7873 §5.2, as Knot
  // does); BADVERS replies carry a bare OPT.
  const opt = edns ? planOpt(edns, rcode, rcode === BADVERS ? {} : options, false) : null;
  const tsig = 'tsig' in result ? result.tsig : undefined;
  const out = Buffer.allocUnsafe(questionEnd + (opt ? opt.length : 0) + (tsig ? tsig.length : 0));
  message.copy(out, HEADER_LENGTH, HEADER_LENGTH, questionEnd);
  const flags = message.length >= 4 ? message.readUInt16BE(2) : 0;
  const header: HeaderFlags = {
    id: 'id' in result ? result.id : message.length >= 2 ? message.readUInt16BE(0) : 0,
    opcode: known.opcode ?? (flags >> 11) & 0xf,
    rd: known.rd ?? (flags & 0x0100) !== 0,
    cd: known.cd ?? (flags & 0x0010) !== 0,
  };
  const tc = options.truncate === true;
  writeHeader(out, header, false, tc, rcode, hasQuestion ? 1 : 0, 0, 0, (opt ? 1 : 0) + (tsig ? 1 : 0));
  const pos = opt ? writeOpt(out, questionEnd, opt) : questionEnd;
  if (tsig) tsig.copy(out, pos);
  return out;
}
