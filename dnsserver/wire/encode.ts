// Encodes the records of an answer once, for reuse across many queries. The body is laid out for a packet whose
// question name sits at offset 12, so names are compressed into the question (and into earlier records): the
// question's wire length does not depend on the client's letter case, so the pointers stay valid for every query.
import { HEADER_LENGTH } from './types.ts';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import type { EncodedBody, Sections } from './types.ts';
import { labelsToText, nameToLabels } from '../../lib/dns/name.ts';

interface RecordCodec {
  answer: { encode(record: Answer, buf?: Buffer, offset?: number): Buffer };
}
// dns-packet's typings leave out the per-record encoder that the package exports.
const codec = dnsPacket as unknown as RecordCodec;

/** Pointers hold 14 bits of offset. */
const MAX_POINTER_TARGET = 0x3fff;
const MAX_MESSAGE = 65535;

/** Names by their canonical text, with the packet offset where they were written. */
type CompressionTable = Map<string, number>;

/**
 * The one scratch buffer every body is written into before it is copied out: encodeBody runs to its end without
 * yielding, and reads back only bytes it wrote. A buffer per body (64 KiB, zero-filled) cost more than the rest of
 * encoding a short answer, and its garbage drove the collector in a flood of new names (bench/dnssec.ts flood).
 */
const scratch = Buffer.allocUnsafe(MAX_MESSAGE);

class BodyWriter {
  readonly buf = scratch;
  /** Packet offset of buf[0]. */
  readonly base: number;
  pos = 0;
  readonly table: CompressionTable;

  constructor(base: number, table: CompressionTable) {
    this.base = base;
    this.table = table;
  }

  ensure(bytes: number, what: string): void {
    if (this.base + this.pos + bytes > MAX_MESSAGE) throw new Error(`${what}: response larger than 65535 bytes`);
  }

  /** Writes a name, replacing its longest already-written suffix with a pointer when compress is set. */
  name(text: string, compress: boolean, what: string): void {
    let labels: Buffer[];
    try {
      labels = nameToLabels(text);
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`);
    }
    this.ensure(
      labels.reduce((n, l) => n + l.length + 1, 1),
      what,
    );
    for (let i = 0; i < labels.length; i++) {
      const key = labelsToText(labels, i);
      const target = compress ? this.table.get(key) : undefined;
      if (target !== undefined) {
        this.buf.writeUInt16BE(0xc000 | target, this.pos);
        this.pos += 2;
        return;
      }
      const offset = this.base + this.pos;
      if (compress && offset <= MAX_POINTER_TARGET && !this.table.has(key)) this.table.set(key, offset);
      const label = labels[i] as Buffer;
      this.buf[this.pos++] = label.length;
      label.copy(this.buf, this.pos);
      this.pos += label.length;
    }
    this.buf[this.pos++] = 0;
  }

  bytes(data: Buffer, what: string): void {
    this.ensure(data.length, what);
    data.copy(this.buf, this.pos);
    this.pos += data.length;
  }

  u16(value: number): void {
    this.buf.writeUInt16BE(value, this.pos);
    this.pos += 2;
  }

  u32(value: number): void {
    this.buf.writeUInt32BE(value >>> 0, this.pos);
    this.pos += 4;
  }

  /** Writes one record: owner name compressed; rdata names compressed where RFC 1035 allows (never SRV). */
  record(record: Answer, what: string): void {
    if (record.type === 'OPT') throw new Error(`${what}: OPT records are added by the response builder`);
    this.name(record.name, true, `${what} owner`);
    // dns-packet encodes type, class, TTL and the rdata; with a root owner name its first byte is that name.
    let encoded: Buffer;
    try {
      encoded = codec.answer.encode({ ...record, name: '.' });
    } catch (error) {
      throw new Error(`${what} (${record.type} ${record.name}): cannot encode: ${(error as Error).message}`);
    }
    const fixed = encoded.subarray(1, 9);
    this.ensure(8 + 2, what);
    fixed.copy(this.buf, this.pos);
    this.pos += 8;
    const rdlengthAt = this.pos;
    this.pos += 2;
    const rdataStart = this.pos;
    const where = `${what} (${record.type} ${record.name}) data`;
    switch (record.type) {
      case 'CNAME':
      case 'NS':
      case 'PTR':
        this.name(record.data, true, where);
        break;
      case 'MX':
        this.ensure(2, where);
        this.u16(record.data.preference ?? 0);
        this.name(record.data.exchange, true, where);
        break;
      case 'SOA': {
        const soa = record.data;
        this.name(soa.mname, true, where);
        this.name(soa.rname, true, where);
        this.ensure(20, where);
        for (const n of [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum]) this.u32(n ?? 0);
        break;
      }
      default:
        this.bytes(encoded.subarray(11), where);
    }
    this.buf.writeUInt16BE(this.pos - rdataStart, rdlengthAt);
  }
}

/**
 * Encodes the answer, authority and additional records for a response to a question named qname (text form,
 * as produced by parseQuery). Throws, naming the record, when a record cannot be encoded.
 */
export function encodeBody(qname: string, sections: Sections, rcode: number, authoritative: boolean): EncodedBody {
  const questionLabels = nameToLabels(qname);
  const table: CompressionTable = new Map();
  let offset = HEADER_LENGTH;
  for (let i = 0; i < questionLabels.length; i++) {
    table.set(labelsToText(questionLabels, i), offset);
    offset += (questionLabels[i] as Buffer).length + 1;
  }
  // Past the question name's root byte, QTYPE and QCLASS.
  const writer = new BodyWriter(offset + 1 + 4, table);
  sections.answers.forEach((r, i) => writer.record(r, `answer ${i + 1}`));
  sections.authorities.forEach((r, i) => writer.record(r, `authority ${i + 1}`));
  const mainEnd = writer.pos;
  const additionalRRsets: { end: number; records: number }[] = [];
  sections.additionals.forEach((r, i) => {
    writer.record(r, `additional ${i + 1}`);
    const next = sections.additionals[i + 1];
    if (!next || next.name !== r.name || next.type !== r.type) {
      additionalRRsets.push({ end: writer.pos - mainEnd, records: i + 1 });
    }
  });
  return {
    rcode,
    authoritative,
    ancount: sections.answers.length,
    nscount: sections.authorities.length,
    arcount: sections.additionals.length,
    main: Buffer.from(writer.buf.subarray(0, mainEnd)),
    additional: Buffer.from(writer.buf.subarray(mainEnd, writer.pos)),
    additionalRRsets,
  };
}
