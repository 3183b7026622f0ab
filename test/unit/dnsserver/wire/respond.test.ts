import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer } from 'dns-packet';
import { encodeBody } from '../../../../dnsserver/wire/encode.ts';
import { parseQuery } from '../../../../dnsserver/wire/parse.ts';
import { buildErrorResponse, buildRcodeResponse, buildResponse } from '../../../../dnsserver/wire/respond.ts';
import type { ResponseOptions } from '../../../../dnsserver/wire/respond.ts';
import { BADVERS, RCODE } from '../../../../dnsserver/wire/types.ts';
import type { ParsedQuery, Sections } from '../../../../dnsserver/wire/types.ts';
import { ecsData, header, optRecord, wireName } from '../../../support/wire-packets.ts';
import { query, rawOption, type QueryOptions } from '../../../../tools/dns-query.ts';

function parsed(message: Buffer): ParsedQuery {
  const result = parseQuery(message);
  if (!result.ok) throw new Error(result.reason);
  return result.query;
}

function optOf(packet: DecodedPacket): OptAnswer | undefined {
  return packet.additionals?.find((r): r is OptAnswer => r.type === 'OPT');
}

function headerRcode(packet: DecodedPacket): number {
  return (packet.flags ?? 0) & 0xf;
}

function aRecords(count: number, name = 'www.example.com'): Answer[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'A' as const,
    name,
    ttl: 60,
    data: `192.0.2.${i % 250}`,
  }));
}

function respond(
  q: QueryOptions & { name?: string },
  sections: Partial<Sections>,
  options: ResponseOptions = { transport: 'udp' },
) {
  const message = query(q.name ?? 'www.example.com', q);
  const pq = parsed(message);
  const body = encodeBody(pq.qname, { answers: [], authorities: [], additionals: [], ...sections }, 0, true);
  const packet = buildResponse(message, pq, body, options);
  return { message, packet, decoded: dnsPacket.decode(packet) };
}

describe('buildResponse', () => {
  it('copies ID, opcode, RD, CD and the question byte for byte; sets QR and AA; RA stays 0', () => {
    const { message, packet, decoded } = respond(
      { id: 999, name: 'WwW.Example.COM', flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED },
      { answers: aRecords(1) },
    );
    expect(decoded).toMatchObject({ id: 999, flag_qr: true, flag_aa: true, flag_rd: true, flag_cd: true });
    expect(decoded.flag_ra).toBe(false);
    expect(decoded.flag_tc).toBe(false);
    expect(packet.subarray(12, 33).equals(message.subarray(12, 33))).toBe(true);
    expect(decoded.questions?.[0]?.name).toBe('WwW.Example.COM');
    expect(decoded.answers?.[0]).toMatchObject({ name: 'WwW.Example.COM', data: '192.0.2.0' });
  });

  it('has no OPT when the query had none, and our OPT (1232, version 0, DO copied) when it had one', () => {
    expect(optOf(respond({}, { answers: aRecords(1) }).decoded)).toBeUndefined();
    const opt = optOf(respond({ udpSize: 4096, do: true }, { answers: aRecords(1) }).decoded);
    expect(opt).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0, flag_do: true });
    const noDo = optOf(respond({ edns: true }, {}).decoded);
    expect(noDo?.flag_do).toBe(false);
  });

  it('echoes ECS with the same family, prefix and address, and the scope clamped to the source prefix', () => {
    const ecs = rawOption(8, ecsData(1, 24, 0, [203, 0, 113]));
    const scoped = (scope: number | undefined) => {
      const options: ResponseOptions =
        scope === undefined ? { transport: 'udp' } : { transport: 'udp', ecsScope: scope };
      const opt = optOf(respond({ options: [ecs] }, { answers: aRecords(1) }, options).decoded);
      return opt?.options.find((o) => o.code === 8);
    };
    expect(scoped(16)).toMatchObject({ family: 1, sourcePrefixLength: 24, scopePrefixLength: 16, ip: '203.0.113.0' });
    expect(scoped(32)).toMatchObject({ sourcePrefixLength: 24, scopePrefixLength: 24 });
    expect(scoped(undefined)).toMatchObject({ scopePrefixLength: 0 });
    const v6 = rawOption(8, ecsData(2, 56, 0, [0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0xef]));
    const opt = optOf(respond({ options: [v6] }, {}, { transport: 'udp', ecsScope: 48 }).decoded);
    expect(opt?.options.find((o) => o.code === 8)).toMatchObject({
      family: 2,
      sourcePrefixLength: 56,
      scopePrefixLength: 48,
      ip: '2001:db8:abcd:ef00::',
    });
  });

  it('answers a client cookie with client cookie + server cookie', () => {
    const client = Buffer.from('1122334455667788', 'hex');
    const server = Buffer.from('aabbccddeeff0011', 'hex');
    const seen: Buffer[] = [];
    const { decoded } = respond(
      { options: [rawOption(10, client)] },
      { answers: aRecords(1) },
      {
        transport: 'udp',
        serverCookie: (c) => {
          seen.push(Buffer.from(c));
          return server;
        },
      },
    );
    expect(seen).toEqual([client]);
    const cookie = optOf(decoded)?.options.find((o) => (o.code as number) === 10);
    expect(cookie?.data).toEqual(Buffer.concat([client, server]));
    expect(decoded.answers).toHaveLength(1);
  });

  it('still answers when the cookie generator throws or returns garbage', () => {
    const client = Buffer.alloc(8, 5);
    for (const serverCookie of [
      () => {
        throw new Error('boom');
      },
      () => Buffer.alloc(3),
    ]) {
      const { decoded } = respond(
        { options: [rawOption(10, client)] },
        { answers: aRecords(1) },
        {
          transport: 'udp',
          serverCookie,
        },
      );
      expect(decoded.answers).toHaveLength(1);
      expect(optOf(decoded)?.options ?? []).toHaveLength(0);
    }
  });

  it('sets TC with only question and OPT when the answer does not fit 512 bytes without EDNS', () => {
    // 30 A records: 30 * 16 + 33 = 513 bytes > 512
    const { packet, decoded } = respond({}, { answers: aRecords(30) });
    expect(decoded.flag_tc).toBe(true);
    expect(decoded.answers).toHaveLength(0);
    expect(decoded.questions).toHaveLength(1);
    expect(packet.length).toBe(33);
    const fits = respond({}, { answers: aRecords(29) }).decoded;
    expect(fits.flag_tc).toBe(false);
    expect(fits.answers).toHaveLength(29);
  });

  it('uses the advertised UDP size (at least 512, at most 1232)', () => {
    // with OPT (11 bytes): 33 + 11 + n*16
    const at = (udpSize: number, n: number) => respond({ udpSize }, { answers: aRecords(n) }).decoded;
    expect(at(800, 47).flag_tc).toBe(false); // 796
    expect(at(800, 48).flag_tc).toBe(true); // 812
    expect(optOf(at(800, 48))).toBeDefined();
    expect(at(100, 29).flag_tc).toBe(false); // 508 <= 512
    expect(at(100, 30).flag_tc).toBe(true);
    expect(at(65000, 74).flag_tc).toBe(false); // 1228
    expect(at(65000, 75).flag_tc).toBe(true); // 1244 > 1232
  });

  it('trims the additional section, whole rrsets at a time, before truncating', () => {
    const { decoded } = respond({}, { answers: aRecords(20), additionals: aRecords(20, 'ns.example.com') });
    expect(decoded.flag_tc).toBe(false);
    expect(decoded.answers).toHaveLength(20);
    expect(decoded.additionals).toHaveLength(0);
    // 20 answers take 353 bytes; of two additional rrsets (3 records, then 20) only the first fits in 512.
    const two = respond(
      {},
      { answers: aRecords(20), additionals: [...aRecords(3, 'ns1.example.com'), ...aRecords(20, 'ns2.example.com')] },
    );
    expect(two.decoded.flag_tc).toBe(false);
    expect(two.decoded.additionals?.map((r) => r.name)).toEqual([
      'ns1.example.com',
      'ns1.example.com',
      'ns1.example.com',
    ]);
    expect(two.packet.length).toBeLessThanOrEqual(512);
  });

  it('sets TC when the glue of a referral does not fit, keeping the NS records (RFC 9471)', () => {
    const message = query('www.example.com');
    const pq = parsed(message);
    const ns = Array.from({ length: 10 }, (_, i) => `a-long-name-server-label-${i}.sub.example.com`);
    const sections: Sections = {
      answers: [],
      authorities: ns.map((data) => ({ type: 'NS' as const, name: 'sub.example.com', ttl: 60, data })),
      additionals: ns.map((name, i) => ({ type: 'A' as const, name, ttl: 60, data: `192.0.2.${i}` })),
    };
    const referral = dnsPacket.decode(
      buildResponse(message, pq, encodeBody(pq.qname, sections, 0, false), { transport: 'udp' }),
    );
    expect(referral.flag_tc).toBe(true);
    expect(referral.authorities).toHaveLength(10);
    // Like Knot: the glue that fits stays (whole rrsets, in order), and TC says the rest is missing.
    const glue = (referral.additionals ?? []).map((r) => r.name);
    expect(glue.length).toBeGreaterThan(0);
    expect(glue.length).toBeLessThan(10);
    expect(glue).toEqual(ns.slice(0, glue.length));
    // The same records in an authoritative answer: the additional section is left out without TC.
    const answer = dnsPacket.decode(
      buildResponse(message, pq, encodeBody(pq.qname, sections, 0, true), { transport: 'udp' }),
    );
    expect(answer.flag_tc).toBe(false);
    expect(answer.authorities).toHaveLength(10);
  });

  it('allows up to 65535 bytes over TCP', () => {
    const { decoded } = respond({}, { answers: aRecords(300) }, { transport: 'tcp' });
    expect(decoded.flag_tc).toBe(false);
    expect(decoded.answers).toHaveLength(300);
  });

  it('carries rcodes above 15 in the OPT extended rcode, and SERVFAIL without OPT', () => {
    const withOpt = query('www.example.com', { edns: true });
    const q = parsed(withOpt);
    const body = encodeBody(q.qname, { answers: [], authorities: [], additionals: [] }, BADVERS, false);
    const decoded = dnsPacket.decode(buildResponse(withOpt, q, body, { transport: 'udp' }));
    expect(headerRcode(decoded)).toBe(0);
    expect(optOf(decoded)?.extendedRcode).toBe(1);
    const plain = query('www.example.com');
    const noOpt = dnsPacket.decode(buildResponse(plain, parsed(plain), body, { transport: 'udp' }));
    expect(headerRcode(noOpt)).toBe(RCODE.SERVFAIL);
  });
});

describe('buildRcodeResponse', () => {
  it('answers REFUSED without AA, with the question and OPT echoed', () => {
    const message = query('Elsewhere.Test', { do: true });
    const decoded = dnsPacket.decode(buildRcodeResponse(message, parsed(message), RCODE.REFUSED, 'udp'));
    expect(decoded).toMatchObject({ rcode: 'REFUSED', flag_aa: false, flag_qr: true });
    expect(decoded.questions?.[0]?.name).toBe('Elsewhere.Test');
    expect(optOf(decoded)?.flag_do).toBe(true);
  });

  it('returns the NSID to queries that ask for it (RFC 5001), and only to them', () => {
    const nsid = Buffer.from('pod-7');
    const nsidOf = (asks: boolean, withNsid: boolean) => {
      const options: ResponseOptions = withNsid ? { transport: 'udp', nsid } : { transport: 'udp' };
      const asking = asks ? [rawOption(3, Buffer.alloc(0))] : [];
      const opt = optOf(respond({ edns: true, options: asking }, { answers: aRecords(1) }, options).decoded);
      return opt?.options.find((o) => (o.code as number) === 3);
    };
    expect(nsidOf(true, true)?.data).toEqual(nsid);
    expect(nsidOf(false, true)).toBeUndefined();
    expect(nsidOf(true, false)).toBeUndefined();
  });

  it('adds an Extended DNS Error option when asked, after the other options', () => {
    const message = query('elsewhere.test', { edns: true });
    const reply = buildRcodeResponse(message, parsed(message), RCODE.REFUSED, 'udp', { extendedError: 20 });
    const options = optOf(dnsPacket.decode(reply))?.options ?? [];
    expect(options.map((o) => o.code)).toEqual([15]);
    expect((options[0] as { data: Buffer }).data).toEqual(Buffer.from([0, 20]));
    const plain = query('elsewhere.test');
    const noOpt = dnsPacket.decode(
      buildRcodeResponse(plain, parsed(plain), RCODE.REFUSED, 'udp', { extendedError: 20 }),
    );
    expect(optOf(noOpt)).toBeUndefined();
  });
});

describe('buildErrorResponse', () => {
  function errorReply(message: Buffer): DecodedPacket {
    const result = parseQuery(message);
    if (result.ok || 'drop' in result) throw new Error('expected an answerable error');
    return dnsPacket.decode(buildErrorResponse(message, result));
  }

  it('FORMERR echoes the question when it could be read, and a well-formed OPT', () => {
    const question = Buffer.concat([wireName('www', 'example', 'com'), Buffer.from([0, 1, 0, 1])]);
    const decoded = errorReply(Buffer.concat([header({ an: 1, ar: 0 }), question]));
    expect(decoded).toMatchObject({ rcode: 'FORMERR', id: 0x1234, flag_qr: true, flag_rd: true });
    expect(decoded.questions).toEqual([{ name: 'www.example.com', type: 'A', class: 'IN' }]);
  });

  it('FORMERR for a query with an answer record still carries the OPT found past it', () => {
    const question = Buffer.concat([wireName('www', 'example', 'com'), Buffer.from([0, 1, 0, 1])]);
    const answer = Buffer.concat([Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4]), Buffer.from([1, 2, 3, 4])]);
    const decoded = errorReply(Buffer.concat([header({ an: 1, ar: 1 }), question, answer, optRecord()]));
    expect(headerRcode(decoded)).toBe(RCODE.FORMERR);
    expect(decoded.answers).toHaveLength(0);
    expect(optOf(decoded)).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0 });
  });

  it('FORMERR without a question when it could not be read', () => {
    const decoded = errorReply(Buffer.concat([header({}), Buffer.from([0xc0, 12, 0, 1, 0, 1])]));
    expect(headerRcode(decoded)).toBe(RCODE.FORMERR);
    expect(decoded.questions).toHaveLength(0);
  });

  it('FORMERR for a malformed ECS or COOKIE option still carries an OPT, without options (RFC 6891 §7)', () => {
    for (const option of [rawOption(8, ecsData(1, 24, 3, [1, 2, 3])), rawOption(10, Buffer.alloc(12, 1))]) {
      const decoded = errorReply(query('www.example.com', { do: true, options: [option] }));
      expect(headerRcode(decoded)).toBe(RCODE.FORMERR);
      expect(decoded.questions).toHaveLength(1);
      expect(optOf(decoded)).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0, flag_do: true, options: [] });
    }
  });

  it('FORMERR for QDCOUNT 0 or 2 carries no question but the OPT of the query (RFC 6891 §7)', () => {
    const question = Buffer.concat([wireName('www', 'example', 'com'), Buffer.from([0, 1, 0, 1])]);
    for (const [qd, questions] of [
      [0, []],
      [2, [question, question]],
    ] as const) {
      const decoded = errorReply(Buffer.concat([header({ qd, ar: 1 }), ...questions, optRecord()]));
      expect(headerRcode(decoded), `QDCOUNT ${qd}`).toBe(RCODE.FORMERR);
      expect(decoded.questions).toHaveLength(0);
      expect(optOf(decoded), `QDCOUNT ${qd}`).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0 });
    }
    const noOpt = errorReply(header({ qd: 0 }));
    expect(optOf(noOpt)).toBeUndefined();
  });

  it('NOTAUTH for a TSIG-signed query: question, OPT, then the BADKEY TSIG', () => {
    const rdata = Buffer.concat([wireName('hmac-sha256'), Buffer.alloc(10), Buffer.from([0x12, 0x34, 0, 0, 0, 0])]);
    const tsig = Buffer.concat([wireName('k'), Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, rdata.length]), rdata]);
    const message = Buffer.concat([
      header({ ar: 2 }),
      wireName('www', 'example', 'com'),
      Buffer.from([0, 1, 0, 1]),
      optRecord(),
      tsig,
    ]);
    const decoded = errorReply(message);
    expect(headerRcode(decoded)).toBe(RCODE.NOTAUTH);
    expect(decoded.flag_aa).toBe(false);
    expect(decoded.questions).toHaveLength(1);
    expect(decoded.additionals?.map((r) => r.type)).toEqual(['OPT', 'TSIG']);
    // dns-packet leaves TSIG data undecoded: algorithm, time signed + fudge (copied), MAC size 0, original ID,
    // error BADKEY (17), other length 0.
    const data = (decoded.additionals?.[1] as { name: string; data: Buffer }).data;
    expect(decoded.additionals?.[1]?.name).toBe('k');
    expect(data.toString('hex')).toBe(
      Buffer.concat([wireName('hmac-sha256'), Buffer.alloc(10), Buffer.from([0x12, 0x34, 0, 17, 0, 0])]).toString(
        'hex',
      ),
    );
  });

  it('NOTIMP and FORMERR answer a well-formed client cookie with a server cookie; BADVERS does not', () => {
    const client = Buffer.from('1122334455667788', 'hex');
    const server = Buffer.from('aabbccddeeff0011', 'hex');
    const cookieOf = (message: Buffer) => {
      const result = parseQuery(message);
      if (result.ok || 'drop' in result) throw new Error('expected an error result');
      const opt = optOf(dnsPacket.decode(buildErrorResponse(message, result, { serverCookie: () => server })));
      return opt?.options.find((o) => (o.code as number) === 10)?.data;
    };
    const cookie = rawOption(10, client);
    expect(cookieOf(query('www.example.com', { flags: 2 << 11, options: [cookie] }))).toEqual(
      Buffer.concat([client, server]),
    );
    const badEcs = rawOption(8, ecsData(3, 24, 0, [1, 2, 3]));
    expect(cookieOf(query('www.example.com', { options: [cookie, badEcs] }))).toEqual(Buffer.concat([client, server]));
    expect(cookieOf(query('www.example.com', { ednsVersion: 1, options: [cookie] }))).toBeUndefined();
    expect(cookieOf(query('www.example.com', { options: [rawOption(10, Buffer.alloc(12, 1))] }))).toBeUndefined();
  });

  it('answers a cookie-only query (QDCOUNT 0, RFC 7873 §5.4) NOERROR with the server cookie', () => {
    const client = Buffer.from('1122334455667788', 'hex');
    const server = Buffer.from('aabbccddeeff0011', 'hex');
    const message = Buffer.concat([
      header({ qd: 0, ar: 1 }),
      optRecord({ rdata: Buffer.from('000a00081122334455667788', 'hex') }),
    ]);
    const result = parseQuery(message);
    if (result.ok || 'drop' in result) throw new Error('expected an error-path result');
    const decoded = dnsPacket.decode(buildErrorResponse(message, result, { serverCookie: () => server }));
    expect(headerRcode(decoded)).toBe(RCODE.NOERROR);
    expect(decoded.questions).toHaveLength(0);
    expect(optOf(decoded)?.options.find((o) => (o.code as number) === 10)?.data).toEqual(
      Buffer.concat([client, server]),
    );
    // Without a cookie it stays FORMERR.
    expect(parseQuery(Buffer.concat([header({ qd: 0, ar: 1 }), optRecord()]))).toMatchObject({ rcode: RCODE.FORMERR });
  });

  it('FORMERR for an OPT record whose options overrun it sends no OPT', () => {
    const message = Buffer.concat([
      header({ ar: 1 }),
      wireName('www', 'example', 'com'),
      Buffer.from([0, 1, 0, 1]),
      optRecord({ rdata: Buffer.from([0, 8, 0, 9, 0, 1]) }),
    ]);
    const decoded = errorReply(message);
    expect(headerRcode(decoded)).toBe(RCODE.FORMERR);
    expect(optOf(decoded)).toBeUndefined();
  });

  it('NOTIMP keeps the opcode and the question', () => {
    const decoded = errorReply(query('www.example.com', { flags: (5 << 11) | 0x0100, edns: true }));
    expect(decoded).toMatchObject({ rcode: 'NOTIMP', opcode: 'UPDATE' });
    expect(decoded.questions).toHaveLength(1);
    expect(optOf(decoded)).toBeDefined();
  });

  it('NOTIMP for another opcode copies RD but not CD (CD belongs to QUERY; Knot does the same)', () => {
    for (const opcode of [1, 2, 4, 5, 15]) {
      const flags = (opcode << 11) | 0x0100 | 0x0010;
      for (const message of [
        query('www.example.com', { flags }),
        query('www.example.com', { flags, edns: true }),
        header({ flags, qd: 0 }),
      ]) {
        const decoded = errorReply(message);
        expect(decoded, `opcode ${opcode}`).toMatchObject({ rcode: 'NOTIMP', flag_rd: true, flag_cd: false });
      }
    }
  });

  it('FORMERR to a QUERY copies RD and CD, as every reply to a QUERY does', () => {
    const question = Buffer.concat([wireName('www', 'example', 'com'), Buffer.from([0, 1, 0, 1])]);
    for (const message of [
      Buffer.concat([header({ qd: 2, flags: 0x0110 }), question, question]),
      query('www.example.com', { flags: 0x0110, options: [rawOption(8, ecsData(3, 24, 0, [1, 2, 3]))] }),
      Buffer.concat([header({ flags: 0x0110 }), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
    ]) {
      expect(errorReply(message)).toMatchObject({ rcode: 'FORMERR', flag_rd: true, flag_cd: true });
    }
    const noFlags = errorReply(Buffer.concat([header({ qd: 2, flags: 0 }), question, question]));
    expect(noFlags).toMatchObject({ rcode: 'FORMERR', flag_rd: false, flag_cd: false });
  });

  it('BADVERS: rcode 16 split between header and an OPT of version 0', () => {
    const message = Buffer.concat([
      header({ ar: 1 }),
      wireName('example', 'com'),
      Buffer.from([0, 1, 0, 1]),
      optRecord({ version: 3 }),
    ]);
    const decoded = errorReply(message);
    expect(headerRcode(decoded)).toBe(0);
    expect(optOf(decoded)).toMatchObject({ extendedRcode: 1, ednsVersion: 0, udpPayloadSize: 1232 });
  });
});
