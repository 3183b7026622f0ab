// RFC 4034 §6 canonical form: names in wire form, lower-cased, uncompressed; the rdata of every type whose rdata
// holds names (§6.2 as amended by RFC 6840 §5.1) with those names lower-cased; rrsets sorted by rdata and
// de-duplicated (§6.3, RFC 2181 §5). What is signed and what the cache key is made of.
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { canonicalName, nameToLabels } from '../../lib/dns/name.ts';
import type { CanonicalRRset } from './types.ts';

interface RecordCodec {
  answer: { encode(record: Answer): Buffer };
}
// dns-packet's typings leave out the per-record encoder that the package exports.
const codec = dnsPacket as unknown as RecordCodec;

/** Labels of an owner name as the RRSIG Labels field counts them (RFC 4034 §3.1.3): no root, no leading '*'. */
export function labelCount(name: string): number {
  const labels = nameToLabels(name);
  return labels.length > 0 && labels[0]?.length === 1 && labels[0][0] === 0x2a ? labels.length - 1 : labels.length;
}

const u16 = (n: number) => {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/**
 * The canonical rdata of one record in dns-packet's shape (the shape the zone store and the encoder use). Records
 * whose data is already a Buffer are taken as wire rdata (the RRSIG, NSEC and DNSKEY records this folder makes).
 * Throws, naming the record, when it cannot be encoded.
 */
export function canonicalRdata(type: string, data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  switch (type) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return canonicalName(data as string);
    case 'MX': {
      const mx = data as { preference?: number; exchange: string };
      return Buffer.concat([u16(mx.preference ?? 0), canonicalName(mx.exchange)]);
    }
    case 'SRV': {
      const srv = data as { priority?: number; weight?: number; port?: number; target: string };
      return Buffer.concat([
        u16(srv.priority ?? 0),
        u16(srv.weight ?? 0),
        u16(srv.port ?? 0),
        canonicalName(srv.target),
      ]);
    }
    case 'SOA': {
      const soa = data as {
        mname: string;
        rname: string;
        serial?: number;
        refresh?: number;
        retry?: number;
        expire?: number;
        minimum?: number;
      };
      return Buffer.concat([
        canonicalName(soa.mname),
        canonicalName(soa.rname),
        ...[soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].map((n) => u32(n ?? 0)),
      ]);
    }
    default: {
      // No names inside (A, AAAA, TXT, CAA, DS, ...): dns-packet's encoding is the canonical one. With a root owner
      // the record is name (1) + type, class, TTL (8) + rdlength (2) + rdata.
      let encoded: Buffer;
      try {
        encoded = codec.answer.encode({ name: '.', type, class: 'IN', ttl: 0, data } as Answer);
      } catch (error) {
        throw new Error(`${type} record: cannot encode its data: ${(error as Error).message}`);
      }
      return encoded.subarray(11);
    }
  }
}

/** Sorts rdata in canonical order (as left-justified unsigned octet sequences) and drops duplicates. */
export function canonicalOrder(rdata: readonly Buffer[]): Buffer[] {
  const sorted = [...rdata].sort(Buffer.compare);
  return sorted.filter((r, i) => i === 0 || !r.equals(sorted[i - 1] as Buffer));
}

/**
 * The rrset's records in canonical form (RFC 4034 §3.1.8.1): for each rdata in canonical order,
 * owner | type | class IN | original TTL | rdlength | rdata.
 */
export function canonicalRecords(rrset: CanonicalRRset): Buffer {
  const owner = canonicalName(rrset.name);
  const parts: Buffer[] = [];
  for (const rdata of canonicalOrder(rrset.rdata)) {
    const fixed = Buffer.allocUnsafe(10);
    fixed.writeUInt16BE(rrset.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(rrset.ttl >>> 0, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(owner, fixed, rdata);
  }
  return Buffer.concat(parts);
}
