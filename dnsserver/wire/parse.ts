// Reads a DNS query just far enough to answer it: header, the one question, and the OPT record. This runs for every
// query, so it walks the bytes directly and allocates only the question name string (and small objects).
import { BADVERS, RCODE, HEADER_LENGTH, TYPE_OPT, OPTION_ECS, OPTION_COOKIE, OPTION_NSID } from './types.ts';
import type { ClientSubnet, EdnsInfo, ParsedQuery, ParseResult } from './types.ts';
import { MAX_LABEL_LENGTH, MAX_NAME_LENGTH, writeLabelText } from '../../lib/dns/name.ts';
import { WireClientSubnet } from './subnet.ts';
import { internName } from './intern.ts';

const TYPE_TSIG = 250;
const TSIG_BADKEY = 17;
const MIN_UDP_SIZE = 512;

/** Scratch for the question name text: 255 wire bytes expand to at most 4 text bytes each. */
const nameScratch = Buffer.allocUnsafe(MAX_NAME_LENGTH * 4);

type Failure = { ok: false; rcode: number; id: number; reason: string; query?: Partial<ParsedQuery> };

interface QuestionRead {
  qname: string;
  qtype: number;
  qclass: number;
  questionEnd: number;
}

export function parseQuery(message: Buffer): ParseResult {
  if (message.length < HEADER_LENGTH) return { ok: false, drop: true, reason: 'shorter than a DNS header' };
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000) return { ok: false, drop: true, reason: 'QR bit set: a response, not a query' };

  const id = message.readUInt16BE(0);
  const opcode = (flags >> 11) & 0xf;
  const rd = (flags & 0x0100) !== 0;
  const cd = (flags & 0x0010) !== 0;
  const qdcount = message.readUInt16BE(4);
  const ancount = message.readUInt16BE(6);
  const nscount = message.readUInt16BE(8);
  const arcount = message.readUInt16BE(10);
  const fail = (rcode: number, reason: string, extra?: Partial<ParsedQuery>): Failure =>
    failure(rcode, reason, id, opcode, rd, cd, extra);

  const question = qdcount === 1 ? readQuestion(message) : undefined;
  const echo = (): Partial<ParsedQuery> => echoFor(message, question, qdcount, ancount + nscount, arcount);

  if (opcode !== 0) {
    // RFC 8906: answer unknown opcodes with NOTIMP, echoing the question (and a well-formed OPT) when readable.
    return fail(RCODE.NOTIMP, `opcode ${opcode} is not implemented`, echo());
  }
  if (qdcount !== 1) {
    const known = echo();
    // RFC 7873 §5.4: no question, only a client cookie — the client asks for a server cookie: NOERROR with it.
    if (qdcount === 0 && ancount + nscount === 0 && known.edns?.cookie) {
      return fail(RCODE.NOERROR, 'a cookie-only query (RFC 7873 §5.4)', known);
    }
    return fail(RCODE.FORMERR, `QDCOUNT is ${qdcount}, expected 1`, known);
  }
  if (typeof question === 'string') return fail(RCODE.FORMERR, question);
  if (question === undefined) return fail(RCODE.FORMERR, 'no question');
  if (ancount !== 0 || nscount !== 0) {
    // Still look for a well-formed OPT past those records, so the FORMERR reply can carry one.
    return fail(RCODE.FORMERR, `a query with ANCOUNT ${ancount} and NSCOUNT ${nscount} (both must be 0)`, echo());
  }

  const edns = readAdditional(message, question.questionEnd, 0, arcount);
  if (typeof edns === 'string') return fail(RCODE.FORMERR, edns, question);
  if (edns !== null && 'malformed' in edns) {
    return fail(RCODE.FORMERR, edns.malformed, { ...question, edns: edns.info });
  }
  if (edns !== null && 'tsig' in edns) {
    // No TSIG keys are configured, so every key is unknown: NOTAUTH with an unsigned BADKEY TSIG.
    const echo = edns.edns ? { ...question, edns: edns.edns } : question;
    return { ...fail(RCODE.NOTAUTH, 'TSIG-signed query, but no TSIG keys are configured', echo), tsig: edns.tsig };
  }
  if (edns !== null && 'badVersion' in edns) {
    return fail(BADVERS, `EDNS version ${edns.badVersion} is not supported (only 0)`, {
      ...question,
      edns: edns.info,
    });
  }
  const query: ParsedQuery = {
    id,
    opcode,
    rd,
    cd,
    qname: question.qname,
    qtype: question.qtype,
    qclass: question.qclass,
    questionEnd: question.questionEnd,
  };
  if (edns !== null) query.edns = edns;
  return { ok: true, query };
}

/** Errors are rare: their objects are only built on that path. */
function failure(
  rcode: number,
  reason: string,
  id: number,
  opcode: number,
  rd: boolean,
  cd: boolean,
  extra: Partial<ParsedQuery> | undefined,
): Failure {
  return { ok: false, rcode, id, reason, query: { id, opcode, rd, cd, ...extra } };
}

/** The question at offset 12, or the reason it cannot be read. */
function readQuestion(message: Buffer): QuestionRead | string {
  let pos = HEADER_LENGTH;
  let textLength = 0;
  for (;;) {
    if (pos >= message.length) return 'question name runs past the end of the message';
    const length = message[pos] as number;
    if (length === 0) break;
    if ((length & 0xc0) === 0xc0) return `compression pointer in the question name at byte ${pos}`;
    if (length > MAX_LABEL_LENGTH) return `label length ${length} at byte ${pos} (more than 63)`;
    if (pos + 1 + length - HEADER_LENGTH + 1 > MAX_NAME_LENGTH) return 'question name longer than 255 bytes';
    if (pos + 1 + length > message.length) return 'question label runs past the end of the message';
    if (textLength > 0) nameScratch[textLength++] = 0x2e;
    textLength = writeLabelText(message, pos + 1, pos + 1 + length, nameScratch, textLength);
    pos += 1 + length;
  }
  pos += 1;
  if (pos + 4 > message.length) return 'question type and class run past the end of the message';
  return {
    qname: internName(nameScratch, textLength),
    qtype: message.readUInt16BE(pos),
    qclass: message.readUInt16BE(pos + 2),
    questionEnd: pos + 4,
  };
}

/** Offset just past a (possibly compressed) name starting at pos, or -1 when it is malformed. */
function skipName(message: Buffer, pos: number): number {
  for (;;) {
    if (pos >= message.length) return -1;
    const length = message[pos] as number;
    if (length === 0) return pos + 1;
    if ((length & 0xc0) === 0xc0) return pos + 2 <= message.length ? pos + 2 : -1;
    if (length > MAX_LABEL_LENGTH) return -1;
    pos += 1 + length;
  }
}

type AdditionalRead =
  | EdnsInfo
  | { badVersion: number; info: EdnsInfo }
  /** A well-formed OPT record with a malformed option: FORMERR, but the reply still carries an OPT. */
  | { malformed: string; info: EdnsInfo }
  /** A TSIG record (last): the BADKEY TSIG for the reply, and the OPT before it if any. */
  | { tsig: Buffer; edns: EdnsInfo | undefined }
  | null
  | string;

/**
 * What an error reply to a query it will not answer echoes: the question when readable, and the OPT record when
 * well-formed enough, since replies to EDNS queries carry OPT (RFC 6891 §7).
 */
function echoFor(
  message: Buffer,
  question: QuestionRead | string | undefined,
  qdcount: number,
  skip: number,
  arcount: number,
): Partial<ParsedQuery> {
  const known = typeof question === 'object' ? question : undefined;
  const start = known ? known.questionEnd : skipQuestions(message, qdcount);
  const edns = start < 0 ? undefined : echoable(readAdditional(message, start, skip, arcount));
  return { ...known, ...(edns ? { edns } : {}) };
}

/** The EDNS of an OPT record to echo in an error reply (not for other EDNS versions or broken records). */
function echoable(read: AdditionalRead): EdnsInfo | undefined {
  if (read === null || typeof read === 'string' || 'badVersion' in read) return undefined;
  if ('tsig' in read) return read.edns;
  return 'malformed' in read ? read.info : read;
}

/** Offset just past `count` questions starting at the header's end, or -1 when they are malformed. */
function skipQuestions(message: Buffer, count: number): number {
  let pos = HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    pos = skipName(message, pos);
    if (pos < 0 || pos + 4 > message.length) return -1;
    pos += 4;
  }
  return pos;
}

/**
 * Skips `skip` records (answer and authority), then walks the additional section to the end of the message: the
 * OPT record if there is one (null if not), or the reason the message is malformed.
 */
function readAdditional(message: Buffer, start: number, skip: number, arcount: number): AdditionalRead {
  let pos = start;
  for (let i = 0; i < skip; i++) {
    pos = skipName(message, pos);
    if (pos < 0 || pos + 10 > message.length) return `answer/authority record ${i + 1} is truncated or garbled`;
    pos += 10 + message.readUInt16BE(pos + 8);
    if (pos > message.length) return `answer/authority record ${i + 1} data runs past the end`;
  }
  let edns: Exclude<AdditionalRead, string> = null;
  for (let i = 0; i < arcount; i++) {
    const nameStart = pos;
    pos = skipName(message, pos);
    if (pos < 0 || pos + 10 > message.length) return `additional record ${i + 1} is truncated or garbled`;
    const type = message.readUInt16BE(pos);
    const rdlength = message.readUInt16BE(pos + 8);
    const rdataStart = pos + 10;
    if (rdataStart + rdlength > message.length) return `additional record ${i + 1} data runs past the end`;
    if (type === TYPE_OPT) {
      if (edns !== null) return 'more than one OPT record';
      if (pos !== nameStart + 1) return 'OPT record owner is not the root';
      const info: EdnsInfo = {
        version: message[pos + 5] as number,
        udpSize: Math.max(message.readUInt16BE(pos + 2), MIN_UDP_SIZE),
        dnssecOk: (message.readUInt16BE(pos + 6) & 0x8000) !== 0,
      };
      // Compact Answers OK (RFC 9824 §4): the bit after DO. Set only when present, as it rarely is.
      if ((message.readUInt16BE(pos + 6) & 0x4000) !== 0) info.compactOk = true;
      if (info.version !== 0) {
        edns = { badVersion: info.version, info: { ...info, version: 0 } };
      } else {
        const problem = readOptions(message, rdataStart, rdataStart + rdlength, info);
        if (problem?.framing) return problem.reason;
        edns = problem ? { malformed: problem.reason, info } : info;
      }
    }
    if (type === TYPE_TSIG) {
      if (i !== arcount - 1) return 'TSIG record is not the last record';
      const reply = badKeyTsig(message, nameStart, rdataStart, rdataStart + rdlength);
      if (reply === null) return 'TSIG record is garbled';
      if (rdataStart + rdlength !== message.length) return `${message.length - rdataStart - rdlength} bytes after TSIG`;
      return { tsig: reply, edns: echoable(edns) };
    }
    // Other records (SIG(0), ...) are not supported and are skipped.
    pos = rdataStart + rdlength;
  }
  // Bytes past the records the header counts make the message malformed (Knot and BIND answer FORMERR too).
  if (pos !== message.length) return `${message.length - pos} bytes after the last record`;
  return edns;
}

/** A name in uncompressed wire form (pointers followed), or null when it is malformed. */
function nameWire(message: Buffer, pos: number): Buffer | null {
  const parts: Buffer[] = [];
  let length = 0;
  for (let hops = 0; hops < 128;) {
    if (pos >= message.length) return null;
    const label = message[pos] as number;
    if ((label & 0xc0) === 0xc0) {
      if (pos + 2 > message.length) return null;
      pos = message.readUInt16BE(pos) & 0x3fff;
      hops++;
      continue;
    }
    if (label > MAX_LABEL_LENGTH || pos + 1 + label > message.length) return null;
    parts.push(message.subarray(pos, pos + 1 + label));
    length += 1 + label;
    if (length > MAX_NAME_LENGTH) return null;
    if (label === 0) return Buffer.concat(parts);
    pos += 1 + label;
  }
  return null;
}

/**
 * The unsigned TSIG record answering a query signed with a key we do not have (RFC 8945 §5.2.2): key name and
 * algorithm of the query, its time signed and fudge, no MAC, the original ID, error BADKEY.
 */
function badKeyTsig(message: Buffer, ownerStart: number, rdataStart: number, rdataEnd: number): Buffer | null {
  const owner = nameWire(message, ownerStart);
  const algorithm = nameWire(message, rdataStart);
  const algorithmEnd = skipName(message, rdataStart);
  if (!owner || !algorithm || algorithmEnd < 0 || algorithmEnd + 8 > rdataEnd) return null;
  const rdlength = algorithm.length + 6 + 2 + 2 + 2 + 2 + 2;
  const out = Buffer.alloc(owner.length + 10 + rdlength);
  let pos = owner.copy(out, 0);
  out.writeUInt16BE(TYPE_TSIG, pos);
  out.writeUInt16BE(255, pos + 2); // class ANY, TTL 0
  out.writeUInt16BE(rdlength, pos + 8);
  pos += 10;
  pos += algorithm.copy(out, pos);
  pos += message.copy(out, pos, algorithmEnd, algorithmEnd + 8); // time signed (48 bits) and fudge
  out.writeUInt16BE(0, pos); // MAC size
  out.writeUInt16BE(message.readUInt16BE(0), pos + 2); // original ID
  out.writeUInt16BE(TSIG_BADKEY, pos + 4);
  out.writeUInt16BE(0, pos + 6); // other length
  return out;
}

interface OptionProblem {
  reason: string;
  /** The options do not tile the OPT rdata: the OPT record itself is broken (no OPT in the reply, like Knot). */
  framing: boolean;
}

const framingProblem = (reason: string): OptionProblem => ({ reason, framing: true });
const contentProblem = (reason: string): OptionProblem => ({ reason, framing: false });

/** Fills ECS and COOKIE into info; returns the problem when an option is malformed. */
function readOptions(message: Buffer, start: number, end: number, info: EdnsInfo): OptionProblem | undefined {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return framingProblem(`EDNS option header truncated at byte ${pos}`);
    const code = message.readUInt16BE(pos);
    const length = message.readUInt16BE(pos + 2);
    const dataStart = pos + 4;
    const dataEnd = dataStart + length;
    if (dataEnd > end) return framingProblem(`EDNS option ${code} runs past the OPT record`);
    if (code === OPTION_ECS) {
      if (info.ecs) return contentProblem('more than one EDNS Client Subnet option');
      const ecs = readClientSubnet(message, dataStart, dataEnd);
      if (typeof ecs === 'string') return contentProblem(ecs);
      info.ecs = ecs;
    } else if (code === OPTION_NSID) {
      // RFC 5001 §2.3: a request is empty; any content is not ours to read, so it is a request all the same.
      info.nsid = true;
    } else if (code === OPTION_COOKIE) {
      if (info.cookie) return contentProblem('more than one COOKIE option');
      // RFC 7873: client cookie alone (8 bytes) or with a server cookie of 8 to 32 bytes.
      if (length !== 8 && (length < 16 || length > 40)) return contentProblem(`COOKIE option of ${length} bytes`);
      info.cookie = message.subarray(dataStart, dataEnd);
    }
    pos = dataEnd;
  }
  return undefined;
}

function readClientSubnet(message: Buffer, start: number, end: number): ClientSubnet | string {
  if (end - start < 4) return 'EDNS Client Subnet option shorter than 4 bytes';
  const family = message.readUInt16BE(start);
  if (family !== 1 && family !== 2) return `EDNS Client Subnet family ${family} (only 1 and 2)`;
  const sourcePrefix = message[start + 2] as number;
  const scopePrefix = message[start + 3] as number;
  const maxPrefix = family === 1 ? 32 : 128;
  if (sourcePrefix > maxPrefix) return `EDNS Client Subnet source prefix ${sourcePrefix} (more than ${maxPrefix})`;
  if (scopePrefix !== 0) return `EDNS Client Subnet scope prefix ${scopePrefix} in a query (must be 0)`;
  const addressLength = end - start - 4;
  const needed = Math.ceil(sourcePrefix / 8);
  if (addressLength !== needed) {
    return `EDNS Client Subnet address of ${addressLength} bytes for a /${sourcePrefix} (expected ${needed})`;
  }
  if (needed > 0 && sourcePrefix % 8 !== 0) {
    const last = message[start + 4 + needed - 1] as number;
    if (last & (0xff >> (sourcePrefix % 8))) return `EDNS Client Subnet address has bits set beyond /${sourcePrefix}`;
  }
  return new WireClientSubnet(message, start, end);
}
