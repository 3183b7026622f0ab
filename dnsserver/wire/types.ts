// Plain data passed between the wire layer and the rest of the server. The wire layer knows nothing of zones.
import type { Answer } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9 } as const;
/** Extended RCODE 16 (upper bits carried in OPT). */
export const BADVERS = 16;

/** Wire constants the parser, the encoder and the response builder share. */
export const HEADER_LENGTH = 12;
export const TYPE_OPT = 41;
export const OPTION_NSID = 3;
export const OPTION_ECS = 8;
export const OPTION_COOKIE = 10;
export const OPTION_EDE = 15;

/** Extended DNS Error info codes (RFC 8914 §4) that the server sends. */
export const EDE = { NOT_READY: 14, PROHIBITED: 18, NOT_AUTHORITATIVE: 20, NOT_SUPPORTED: 21 } as const;

export interface ClientSubnet {
  readonly family: 1 | 2;
  readonly sourcePrefix: number;
  readonly scopePrefix: number;
  /** Address text with the host bits zeroed, e.g. '203.0.113.0' or '2001:db8::'. */
  readonly address: string;
  /** Byte `index` of the address as sent (0 past the bytes the prefix needed). */
  addressByte(index: number): number;
  /** Length of the option data (family, prefixes, address bytes). */
  readonly length: number;
  /** Writes the option data as received into `out` at `pos` (echoed back as is); returns the bytes written. */
  writeTo(out: Buffer, pos: number): number;
}

export interface EdnsInfo {
  version: number;
  udpSize: number;
  dnssecOk: boolean;
  /** The Compact Answers OK flag (RFC 9824 §4), when the query set it. */
  compactOk?: boolean;
  ecs?: ClientSubnet;
  /** Client cookie (8 bytes) and server cookie, if any, as sent (RFC 7873). */
  cookie?: Buffer;
  /** Whether the query asks for the server's identifier (an NSID option, RFC 5001). */
  nsid?: boolean;
}

/** A query decoded just far enough to answer it: no per-query object tree of the whole packet. */
export interface ParsedQuery {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** Question name, lower case, no trailing dot ('' for the root). */
  qname: string;
  qtype: number;
  qclass: number;
  /** Byte offset just past the question in the original packet (the question is copied from there, case kept). */
  questionEnd: number;
  edns?: EdnsInfo;
}

export type ParseResult =
  | { ok: true; query: ParsedQuery }
  /**
   * Not a normal query: respond with rcode (FORMERR, NOTIMP, BADVERS, NOTAUTH; NOERROR for a cookie-only query)
   * echoing what could be read.
   */
  | {
      ok: false;
      rcode: number;
      id: number;
      reason: string;
      query?: Partial<ParsedQuery>;
      /** A TSIG record (wire form) for the end of the reply: BADKEY for a signed query (RFC 8945 §5.2.2). */
      tsig?: Buffer;
    }
  /** Not worth an answer (too short to hold a header, or a response packet): drop silently. */
  | { ok: false; drop: true; reason: string };

/** Resource records to send, in dns-packet's shape. */
export interface Sections {
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/**
 * A response body encoded once and reused for many queries: the records after the question, encoded for a packet
 * whose question name sits at offset 12 (so compression pointers into the question stay valid whatever the
 * client's letter case).
 */
export interface EncodedBody {
  rcode: number;
  /** False for referrals (their additional section is glue, which must fit or set TC) and bare rcode replies. */
  authoritative: boolean;
  ancount: number;
  nscount: number;
  arcount: number;
  /** Answer and authority sections. */
  main: Buffer;
  /** Additional section (without OPT); trimmed first when space is short. */
  additional: Buffer;
  /**
   * Where each rrset of the additional section ends: its end offset in `additional` and the records up to it. When
   * space is short the reply keeps the whole rrsets that fit, in order, and no part of one.
   */
  additionalRRsets: readonly { end: number; records: number }[];
}

export interface ClientInfo {
  address: string;
  port: number;
  family: 4 | 6;
  transport: 'udp' | 'tcp';
}

/**
 * What a handler says about the reply it just made, for a transport that answers repeats of a query itself (the
 * native UDP path's reply cache): whether the same query bytes would get the same reply, and from which sources.
 */
export interface ReuseHint<Counted = never> {
  /**
   * -1: not again (the reply depends on more than the query's bytes: a cookie, the rate limiter, a random
   * choice...); else how many leading bits of the source address it depends on (0: none).
   */
  sourcePrefix: number;
  /** For how long it holds, in milliseconds: Infinity until the answers change (a signed answer: until due for refresh). */
  holdsForMs: number;
  /** What the handler counted for the query, for the transport to count again for each repeat it answers. */
  counted: Counted | undefined;
}

/** Answers one DNS message; null means send nothing. Fills `reuse` when given. */
export type QueryHandler<Counted = never> = (
  message: Buffer,
  client: ClientInfo,
  reuse?: ReuseHint<Counted>,
) => Buffer | null;
