import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { encodeBody } from '../../../../dnsserver/wire/encode.ts';
import { parseQuery } from '../../../../dnsserver/wire/parse.ts';
import { buildResponse } from '../../../../dnsserver/wire/respond.ts';
import type { Sections } from '../../../../dnsserver/wire/types.ts';
import { query } from '../../../../tools/dns-query.ts';

/** Encodes sections for a query of `name`, builds the full response, and decodes it with dns-packet. */
function roundTrip(name: string, sections: Sections, queryName = name) {
  const message = query(queryName);
  const parsed = parseQuery(message);
  if (!parsed.ok) throw new Error(parsed.reason);
  const body = encodeBody(parsed.query.qname, sections, 0, true);
  const packet = buildResponse(message, parsed.query, body, { transport: 'tcp' });
  return { body, packet, decoded: dnsPacket.decode(packet) };
}

/** Offsets of every compression pointer in the packet after the question. */
function pointerCount(packet: Buffer, from: number): number {
  let count = 0;
  for (let i = from; i < packet.length - 1; i++) if ((packet[i] as number) >= 0xc0 && packet[i + 1] === 12) count++;
  return count;
}

const empty: Sections = { answers: [], authorities: [], additionals: [] };

describe('encodeBody', () => {
  it('compresses owner names equal to the question name into offset 12', () => {
    const { packet, decoded, body } = roundTrip('www.example.com', {
      ...empty,
      answers: [
        { type: 'A', name: 'www.example.com', ttl: 60, data: '192.0.2.1' },
        { type: 'A', name: 'www.example.com', ttl: 60, data: '192.0.2.2' },
      ],
    });
    expect(decoded.answers).toMatchObject([
      { name: 'www.example.com', type: 'A', data: '192.0.2.1', ttl: 60 },
      { name: 'www.example.com', type: 'A', data: '192.0.2.2' },
    ]);
    // each record: pointer (2) + type/class/ttl/rdlength (10) + 4 bytes of address
    expect(body.main.length).toBe(2 * 16);
    expect(body.main.readUInt16BE(0)).toBe(0xc000 | 12);
    expect(pointerCount(packet, 33)).toBe(2);
  });

  it('compresses suffixes of the question and names in CNAME, NS, MX, PTR and SOA data', () => {
    const records: Answer[] = [
      { type: 'CNAME', name: 'www.example.com', ttl: 1, data: 'edge.example.com' },
      { type: 'A', name: 'edge.example.com', ttl: 1, data: '192.0.2.7' },
    ];
    const authorities: Answer[] = [
      { type: 'NS', name: 'example.com', ttl: 1, data: 'ns1.example.com' },
      {
        type: 'SOA',
        name: 'example.com',
        ttl: 1,
        data: { mname: 'ns1.example.com', rname: 'host\\.master.example.com', serial: 9, minimum: 30 },
      },
    ];
    const additionals: Answer[] = [
      { type: 'MX', name: 'example.com', ttl: 1, data: { preference: 10, exchange: 'mail.example.com' } },
      { type: 'PTR', name: 'p.example.com', ttl: 1, data: 'www.example.com' },
    ];
    const { decoded, body } = roundTrip('www.example.com', { answers: records, authorities, additionals });
    expect(decoded.answers).toMatchObject([
      { name: 'www.example.com', type: 'CNAME', data: 'edge.example.com' },
      { name: 'edge.example.com', type: 'A', data: '192.0.2.7' },
    ]);
    expect(decoded.authorities).toMatchObject([
      { name: 'example.com', type: 'NS', data: 'ns1.example.com' },
      {
        name: 'example.com',
        type: 'SOA',
        data: { mname: 'ns1.example.com', rname: 'host\\.master.example.com', serial: 9, minimum: 30 },
      },
    ]);
    expect(decoded.additionals).toMatchObject([
      { name: 'example.com', type: 'MX', data: { preference: 10, exchange: 'mail.example.com' } },
      { name: 'p.example.com', type: 'PTR', data: 'www.example.com' },
    ]);
    const uncompressed = dnsPacket.encode({ answers: records, authorities, additionals }).length - 12;
    expect(body.main.length + body.additional.length).toBeLessThan(uncompressed / 2);
  });

  it('never compresses SRV targets', () => {
    const { body, decoded } = roundTrip('_sip._tcp.example.com', {
      ...empty,
      answers: [
        {
          type: 'SRV',
          name: '_sip._tcp.example.com',
          ttl: 5,
          data: { priority: 1, weight: 2, port: 5060, target: 'example.com' },
        },
      ],
    });
    expect(decoded.answers).toMatchObject([{ data: { target: 'example.com', port: 5060 } }]);
    // target written in full: 7 'example' + 3 'com' + 3 length/root bytes
    expect(body.main.subarray(2 + 10 + 6).equals(Buffer.from('076578616d706c6503636f6d00', 'hex'))).toBe(true);
  });

  it('keeps pointers valid when the client asks in another letter case', () => {
    const sections: Sections = {
      ...empty,
      answers: [{ type: 'CNAME', name: 'www.example.com', ttl: 1, data: 'a.example.com' }],
    };
    const { decoded } = roundTrip('www.example.com', sections, 'WWW.EXAMPLE.COM');
    expect(decoded.answers?.[0]).toMatchObject({ name: 'WWW.EXAMPLE.COM', data: 'a.EXAMPLE.COM' });
  });

  it('writes owner names not related to the question in full and still decodes', () => {
    const { decoded } = roundTrip('www.example.com', {
      ...empty,
      answers: [
        { type: 'TXT', name: 'other.test', ttl: 1, data: 'hello' },
        { type: 'AAAA', name: 'x.other.test', ttl: 1, data: '2001:db8::1' },
      ],
    });
    expect(decoded.answers).toMatchObject([
      { name: 'other.test', type: 'TXT' },
      { name: 'x.other.test', type: 'AAAA', data: '2001:db8::1' },
    ]);
  });

  it('keeps counts, rcode and AA for the response builder', () => {
    const body = encodeBody('example.com', empty, 3, true);
    expect(body).toMatchObject({ rcode: 3, authoritative: true, ancount: 0, nscount: 0, arcount: 0 });
  });

  it('throws naming the record that cannot be encoded', () => {
    const bad: Sections = {
      ...empty,
      answers: [{ type: 'A', name: 'a'.repeat(64) + '.example.com', data: '1.2.3.4' }],
    };
    expect(() => encodeBody('example.com', bad, 0, true)).toThrow(/answer 1.*label longer than 63/);
    const opt: Sections = {
      ...empty,
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    };
    expect(() => encodeBody('example.com', opt, 0, true)).toThrow(/additional 1/);
  });
});
