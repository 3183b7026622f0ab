import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../../dnsserver/wire/parse.ts';
import { textHash } from '../../../../dnsserver/wire/intern.ts';
import { BADVERS, RCODE } from '../../../../dnsserver/wire/types.ts';
import type { ParseResult } from '../../../../dnsserver/wire/types.ts';
import { TYPE_A_CLASS_IN, ecsData, header, optRecord, wireName } from '../../../support/wire-packets.ts';
import { query, rawOption } from '../../../../tools/dns-query.ts';

function ok(result: ParseResult) {
  if (!result.ok) throw new Error(`expected a parsed query, got ${JSON.stringify(result)}`);
  return result.query;
}

function rcodeOf(result: ParseResult): number | 'drop' | 'ok' {
  if (result.ok) return 'ok';
  return 'drop' in result ? 'drop' : result.rcode;
}

const goodQuestion = Buffer.concat([wireName('www', 'example', 'com'), TYPE_A_CLASS_IN]);

describe('parseQuery: well-formed queries', () => {
  it('reads header, question and lower-cases the name', () => {
    const q = ok(parseQuery(query('WwW.ExAmple.COM', { id: 42, type: 'AAAA' })));
    expect(q).toEqual({
      id: 42,
      opcode: 0,
      rd: true,
      cd: false,
      qname: 'www.example.com',
      qtype: 28,
      qclass: 1,
      questionEnd: 12 + 17 + 4,
    });
  });

  it('reads the root name as the empty string', () => {
    const packet = Buffer.concat([header({}), Buffer.from([0]), TYPE_A_CLASS_IN]);
    expect(ok(parseQuery(packet)).qname).toBe('');
  });

  it('reads the CD bit', () => {
    expect(ok(parseQuery(query('www.example.com', { flags: 0x0010 }))).cd).toBe(true);
  });

  it('escapes dots, backslashes and non-printable bytes inside labels like dig', () => {
    const name = wireName(Buffer.from('a.b', 'latin1'), Buffer.from([0x5c, 0x00, 0x20, 0xff]), 'COM');
    const packet = Buffer.concat([header({}), name, TYPE_A_CLASS_IN]);
    expect(ok(parseQuery(packet)).qname).toBe('a\\.b.\\\\\\000\\032\\255.com');
    // a label holding a dot never aliases the two-label name
    const twoLabels = Buffer.concat([header({}), wireName('a', 'b', 'com'), TYPE_A_CLASS_IN]);
    expect(ok(parseQuery(twoLabels)).qname).toBe('a.b.com');
  });

  it('reads EDNS: version, UDP size (at least 512), DO bit', () => {
    const q = ok(parseQuery(query('www.example.com', { udpSize: 4096, do: true })));
    expect(q.edns).toEqual({ version: 0, udpSize: 4096, dnssecOk: true });
    expect(ok(parseQuery(query('www.example.com', { udpSize: 100 }))).edns?.udpSize).toBe(512);
  });

  it('reads an ECS option (IPv4 and IPv6) with the address as text', () => {
    const v4 = ok(parseQuery(query('www.example.com', { options: [rawOption(8, ecsData(1, 22, 0, [198, 51, 100]))] })))
      .edns?.ecs;
    expect(v4).toMatchObject({ family: 1, sourcePrefix: 22, scopePrefix: 0, address: '198.51.100.0' });
    const v6 = ok(
      parseQuery(
        query('www.example.com', { options: [rawOption(8, ecsData(2, 48, 0, [0x20, 0x01, 0x0d, 0xb8, 0, 1]))] }),
      ),
    ).edns?.ecs;
    expect(v6).toMatchObject({ family: 2, sourcePrefix: 48, address: '2001:db8:1::' });
    const zero = ok(parseQuery(query('www.example.com', { options: [rawOption(8, ecsData(1, 0, 0, []))] }))).edns?.ecs;
    expect(zero).toMatchObject({ sourcePrefix: 0, address: '0.0.0.0' });
  });

  it('reads client and server cookies', () => {
    const client = Buffer.from('0102030405060708', 'hex');
    expect(ok(parseQuery(query('www.example.com', { options: [rawOption(10, client)] }))).edns?.cookie).toEqual(client);
    const both = Buffer.concat([client, Buffer.alloc(16, 9)]);
    expect(ok(parseQuery(query('www.example.com', { options: [rawOption(10, both)] }))).edns?.cookie).toEqual(both);
  });

  it('ignores unknown options and additional records other than OPT and TSIG', () => {
    const other = Buffer.concat([wireName('key'), Buffer.from([0, 24, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3])]);
    const packet = Buffer.concat([
      header({ ar: 2 }),
      goodQuestion,
      optRecord({ rdata: Buffer.from([0, 99, 0, 2, 7, 7]) }),
      other,
    ]);
    const q = ok(parseQuery(packet));
    expect(q.edns).toEqual({ version: 0, udpSize: 1232, dnssecOk: false });
  });
});

describe('parseQuery: TSIG (no keys configured)', () => {
  /** hmac-sha256 TSIG rdata: time signed 0x00005f5e1000, fudge 300, a 32-byte MAC, original ID 0x1234. */
  const tsigRdata = Buffer.concat([
    wireName('hmac-sha256'),
    Buffer.from([0, 0, 0x5f, 0x5e, 0x10, 0, 0x01, 0x2c, 0, 32]),
    Buffer.alloc(32, 7),
    Buffer.from([0x12, 0x34, 0, 0, 0, 0]),
  ]);
  const tsig = (owner: Buffer) =>
    Buffer.concat([
      owner,
      Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, tsigRdata.length >> 8, tsigRdata.length & 0xff]),
      tsigRdata,
    ]);

  it('answers a signed query NOTAUTH with an unsigned BADKEY TSIG (RFC 8945 §5.2.2), keeping the OPT', () => {
    const result = parseQuery(Buffer.concat([header({ ar: 2 }), goodQuestion, optRecord(), tsig(wireName('my-key'))]));
    expect(result).toMatchObject({
      ok: false,
      rcode: RCODE.NOTAUTH,
      query: { qname: 'www.example.com', edns: { version: 0 } },
    });
    const reply = !result.ok && 'tsig' in result ? result.tsig : undefined;
    const expected = Buffer.concat([
      wireName('my-key'),
      Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, 29]),
      wireName('hmac-sha256'),
      Buffer.from([0, 0, 0x5f, 0x5e, 0x10, 0, 0x01, 0x2c, 0, 0, 0x12, 0x34, 0, 17, 0, 0]),
    ]);
    expect(reply?.toString('hex')).toBe(expected.toString('hex'));
  });

  it('expands a compressed key name; FORMERR when TSIG is not the last record or is garbled', () => {
    const compressed = parseQuery(Buffer.concat([header({ ar: 1 }), goodQuestion, tsig(Buffer.from([0xc0, 16]))]));
    const reply = !compressed.ok && 'tsig' in compressed ? compressed.tsig : undefined;
    expect(reply?.subarray(0, 13).toString('hex')).toBe(wireName('example', 'com').toString('hex'));
    const notLast = Buffer.concat([header({ ar: 2 }), goodQuestion, tsig(wireName('k')), optRecord()]);
    expect(rcodeOf(parseQuery(notLast))).toBe(RCODE.FORMERR);
    const garbled = Buffer.concat([wireName('k'), Buffer.from([0, 250, 0, 255, 0, 0, 0, 0, 0, 3, 1, 2, 3])]);
    expect(rcodeOf(parseQuery(Buffer.concat([header({ ar: 1 }), goodQuestion, garbled])))).toBe(RCODE.FORMERR);
  });
});

describe('parseQuery: dropped packets', () => {
  it('drops packets shorter than a header', () => {
    expect(rcodeOf(parseQuery(Buffer.alloc(11)))).toBe('drop');
  });
  it('drops responses (QR=1)', () => {
    expect(rcodeOf(parseQuery(Buffer.concat([header({ flags: 0x8000 }), goodQuestion])))).toBe('drop');
  });
});

describe('parseQuery: FORMERR', () => {
  const cases: [string, Buffer][] = [
    ['QDCOUNT 0', header({ qd: 0 })],
    ['QDCOUNT 2', Buffer.concat([header({ qd: 2 }), goodQuestion, goodQuestion])],
    ['truncated name', Buffer.concat([header({}), Buffer.from([3, 0x77, 0x77])])],
    ['name without type and class', Buffer.concat([header({}), wireName('www'), Buffer.from([0, 1])])],
    ['compression pointer in the question', Buffer.concat([header({}), Buffer.from([0xc0, 12]), TYPE_A_CLASS_IN])],
    ['label longer than 63', Buffer.concat([header({}), wireName('a'.repeat(64)), TYPE_A_CLASS_IN])],
    [
      'name longer than 255',
      Buffer.concat([header({}), wireName(...Array<string>(5).fill('a'.repeat(63))), TYPE_A_CLASS_IN]),
    ],
    ['ANCOUNT 1', Buffer.concat([header({ an: 1 }), goodQuestion])],
    ['NSCOUNT 1', Buffer.concat([header({ ns: 1 }), goodQuestion])],
    ['two OPT records', Buffer.concat([header({ ar: 2 }), goodQuestion, optRecord(), optRecord()])],
    ['OPT not at the root', Buffer.concat([header({ ar: 1 }), goodQuestion, optRecord({ owner: wireName('x') })])],
    ['additional record truncated', Buffer.concat([header({ ar: 1 }), goodQuestion, optRecord().subarray(0, 8)])],
    [
      'OPT rdata longer than the packet',
      (() => {
        const opt = optRecord({ rdata: Buffer.from([0, 8, 0, 4, 0, 1]) });
        return Buffer.concat([header({ ar: 1 }), goodQuestion, opt.subarray(0, opt.length - 2)]);
      })(),
    ],
    [
      'EDNS option running past the OPT rdata',
      Buffer.concat([header({ ar: 1 }), goodQuestion, optRecord({ rdata: Buffer.from([0, 8, 0, 9, 0, 1]) })]),
    ],
  ];
  it.each(cases)('%s', (_name, packet) => {
    const result = parseQuery(packet);
    expect(rcodeOf(result)).toBe(RCODE.FORMERR);
    if (!result.ok && !('drop' in result)) {
      expect(result.reason).not.toBe('');
      expect(result.id).toBe(0x1234);
    }
  });

  const ecsCases: [string, Buffer][] = [
    ['family 3', ecsData(3, 8, 0, [10])],
    ['IPv4 source prefix 33', ecsData(1, 33, 0, [1, 2, 3, 4, 5])],
    ['IPv6 source prefix 129', ecsData(2, 129, 0, Array<number>(17).fill(0))],
    ['address longer than the prefix needs', ecsData(1, 24, 0, [198, 51, 100, 0])],
    ['address shorter than the prefix needs', ecsData(1, 24, 0, [198, 51])],
    ['bits set beyond the prefix', ecsData(1, 22, 0, [198, 51, 101])],
    ['scope prefix in a query', ecsData(1, 24, 16, [198, 51, 100])],
    ['shorter than 4 bytes', Buffer.from([0, 1, 24])],
  ];
  it.each(ecsCases)('malformed ECS: %s', (_name, data) => {
    expect(rcodeOf(parseQuery(query('www.example.com', { options: [rawOption(8, data)] })))).toBe(RCODE.FORMERR);
  });

  it('bytes after the last record the header counts', () => {
    expect(rcodeOf(parseQuery(Buffer.concat([query('www.example.com'), Buffer.from('junk')])))).toBe(RCODE.FORMERR);
    expect(rcodeOf(parseQuery(Buffer.concat([query('www.example.com', { edns: true }), Buffer.from([0])])))).toBe(
      RCODE.FORMERR,
    );
  });

  it('malformed COOKIE lengths', () => {
    for (const length of [0, 7, 9, 15, 41]) {
      const packet = query('www.example.com', { options: [rawOption(10, Buffer.alloc(length, 1))] });
      expect(rcodeOf(parseQuery(packet)), `cookie of ${length} bytes`).toBe(RCODE.FORMERR);
    }
  });

  it('keeps the question for the error reply when it could be read', () => {
    const result = parseQuery(Buffer.concat([header({ an: 1 }), goodQuestion]));
    expect(result).toMatchObject({ ok: false, rcode: RCODE.FORMERR, query: { questionEnd: 12 + goodQuestion.length } });
  });
});

describe('parseQuery: NOTIMP and BADVERS', () => {
  it('answers opcodes other than QUERY with NOTIMP and keeps the question', () => {
    const result = parseQuery(query('www.example.com', { flags: 2 << 11 })); // STATUS
    expect(result).toMatchObject({ ok: false, rcode: RCODE.NOTIMP, query: { opcode: 2, qname: 'www.example.com' } });
  });

  it('NOTIMP without a question when QDCOUNT is not 1', () => {
    const result = parseQuery(header({ qd: 0, flags: 4 << 11 }));
    expect(rcodeOf(result)).toBe(RCODE.NOTIMP);
    expect(!result.ok && 'query' in result && result.query?.questionEnd).toBeFalsy();
  });

  it('answers EDNS version 1 with BADVERS and an OPT of version 0', () => {
    const result = parseQuery(query('www.example.com', { ednsVersion: 1, do: true }));
    expect(result).toMatchObject({ ok: false, rcode: BADVERS, query: { edns: { version: 0, dnssecOk: true } } });
  });
});

describe('parseQuery: NSID', () => {
  it('notes an NSID request (RFC 5001), empty as it should be or not', () => {
    const asks = (data: Buffer) =>
      ok(parseQuery(query('www.example.com', { options: [rawOption(3, data)] }))).edns?.nsid;
    expect(asks(Buffer.alloc(0))).toBe(true);
    expect(asks(Buffer.from('x'))).toBe(true);
    expect(ok(parseQuery(query('www.example.com', { edns: true }))).edns?.nsid).toBeUndefined();
  });
});

describe('parseQuery: question names handed out again', () => {
  it('gives the same string for the same name, and the right one for two names whose hashes collide', () => {
    const first = ok(parseQuery(query('Repeat.Example.com'))).qname;
    const again = ok(parseQuery(query('REPEAT.example.COM'))).qname;
    expect(again).toBe('repeat.example.com');
    expect(again).toBe(first);

    // Birthday search for two names with the same 30-bit hash: about 2^15 names are enough.
    const byHash = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair && i < 1_000_000; i++) {
      const name = `n${String(i).padStart(7, '0')}.collide.example`; // one length, so only the bytes tell them apart
      const hash = textHash(Buffer.from(name, 'latin1'), name.length);
      const other = byHash.get(hash);
      if (other !== undefined) pair = [other, name];
      else byHash.set(hash, name);
    }
    if (!pair) throw new Error('no hash collision found among a million names');
    for (const name of [...pair, ...pair, pair[1], pair[0]]) {
      expect(ok(parseQuery(query(name))).qname).toBe(name);
    }
  });
});
