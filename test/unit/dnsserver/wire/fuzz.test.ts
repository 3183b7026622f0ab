import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { encodeBody } from '../../../../dnsserver/wire/encode.ts';
import { parseQuery } from '../../../../dnsserver/wire/parse.ts';
import { buildErrorResponse, buildResponse } from '../../../../dnsserver/wire/respond.ts';
import { ecsData } from '../../../support/wire-packets.ts';
import { query, rawOption } from '../../../../tools/dns-query.ts';
import { mulberry32 } from '../../../../tools/random.ts';

describe('wire fuzz', () => {
  it('20000 random and mutated packets: the parser never throws and every reply echoes the ID', () => {
    const random = mulberry32(1234);
    const seeds = [
      query('www.example.com'),
      query('a.b.example', {
        do: true,
        options: [rawOption(8, ecsData(1, 24, 0, [1, 2, 3])), rawOption(10, Buffer.alloc(8, 7))],
      }),
    ];
    let answered = 0;
    for (let i = 0; i < 20000; i++) {
      let packet: Buffer;
      if (i % 3 === 0) {
        packet = Buffer.from(Array.from({ length: Math.floor(random() * 100) }, () => Math.floor(random() * 256)));
      } else {
        packet = Buffer.from(seeds[i % 2] as Buffer);
        for (let f = 0; f < 1 + Math.floor(random() * 3); f++) {
          packet[Math.floor(random() * packet.length)] = Math.floor(random() * 256);
        }
        packet[2] = (packet[2] as number) & 0x7f;
      }
      const result = parseQuery(packet);
      let reply: Buffer | null = null;
      if (result.ok) {
        const body = encodeBody(
          result.query.qname,
          { answers: [{ type: 'A', name: result.query.qname, data: '192.0.2.1' }], authorities: [], additionals: [] },
          0,
          true,
        );
        reply = buildResponse(packet, result.query, body, { transport: 'udp', serverCookie: () => Buffer.alloc(8) });
      } else if (!('drop' in result)) {
        reply = buildErrorResponse(packet, result);
      }
      if (reply) {
        answered++;
        expect(reply.readUInt16BE(0)).toBe(packet.readUInt16BE(0));
        expect(() => dnsPacket.decode(reply)).not.toThrow();
      }
    }
    expect(answered).toBeGreaterThan(5000);
  });
});
