// Wire rules checked against the live server with dig, kdig and raw sockets.
import dnsPacket from 'dns-packet';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { framed, TcpClient, udpExchange } from '../../support/dns-clients.ts';
import { EXAMPLES, FIXTURES, startServe, type ServeProcess, SERVE_UDP_IOS } from '../../support/serve.ts';
import type { DigResult } from '../../support/dig.ts';

const WIRE_ZONE = path.join(FIXTURES, 'wire');

describe.each(SERVE_UDP_IOS)('wire rules on a live server (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES, WIRE_ZONE, '--nsid', 'geodns-test-1'], {
      udpIo,
      listen: ['127.0.0.1:0', '[::1]:0'],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The negative-answer TTL rule: the SOA in authority carries min(SOA TTL, SOA minimum). */
  async function expectNegativeSoa(result: DigResult, apex: string): Promise<void> {
    expect(result.answer).toEqual([]);
    expect(result.authority).toHaveLength(1);
    const soa = result.authority[0];
    expect(soa?.type).toBe('SOA');
    expect(soa?.name).toBe(`${apex}.`);
    const direct = await server.dig([apex, 'SOA']);
    const soaRecord = direct.answer[0];
    expect(soaRecord?.type).toBe('SOA');
    const minimum = Number(soaRecord?.data.split(' ').at(-1));
    expect(soa?.ttl).toBe(Math.min(soaRecord?.ttl ?? NaN, minimum));
  }

  test('answers are authoritative (AA)', async () => {
    const result = await server.dig(['mail.geo.example.com', 'A']);
    expect(result.status).toBe('NOERROR');
    expect(result.flags).toContain('aa');
    expect(result.flags).not.toContain('ra');
    expect(result.answer.map((r) => r.data)).toEqual(['192.0.2.25']);
  });

  test('the question and the answer owner keep the client letter case', async () => {
    const result = await server.dig(['WwW.GeO.ExAmPlE.CoM', 'A', '+subnet=10.3.0.0/16']);
    expect(result.question[0]).toMatch(/^WwW\.GeO\.ExAmPlE\.CoM\.\s+IN\s+A$/);
    expect(result.answer.map((r) => r.name)).toEqual(['WwW.GeO.ExAmPlE.CoM.']);
  });

  test('NXDOMAIN for a missing name, with the SOA in authority', async () => {
    const result = await server.dig(['nope.geo.example.com', 'A']);
    expect(result.status).toBe('NXDOMAIN');
    expect(result.flags).toContain('aa');
    await expectNegativeSoa(result, 'geo.example.com');
  });

  test('NODATA for an existing name without that type, with the SOA in authority', async () => {
    const result = await server.dig(['mail.geo.example.com', 'TXT']);
    expect(result.status).toBe('NOERROR');
    await expectNegativeSoa(result, 'geo.example.com');
    const other = await server.dig(['nothing.wire.test', 'A']);
    expect(other.status).toBe('NXDOMAIN');
    await expectNegativeSoa(other, 'wire.test');
  });

  test('an unknown type at an existing name is NODATA', async () => {
    const result = await server.dig(['www.geo.example.com', 'TYPE65280']);
    expect(result.status).toBe('NOERROR');
    await expectNegativeSoa(result, 'geo.example.com');
  });

  test('NSID (RFC 5001): the --nsid text to queries that ask for it, in answers and refusals alike', async () => {
    const asked = await server.dig(['+nsid', 'www.geo.example.com', 'A']);
    expect(asked.status).toBe('NOERROR');
    expect(asked.raw).toMatch(/NSID: .*\("geodns-test-1"\)/);
    expect((await server.dig(['+nsid', 'www.example.org', 'A'])).raw).toMatch(/NSID: .*\("geodns-test-1"\)/);
    expect((await server.dig(['www.geo.example.com', 'A'])).raw).not.toContain('NSID');
  });

  test('REFUSED outside our zones', async () => {
    const result = await server.dig(['www.example.org', 'A']);
    expect(result.status).toBe('REFUSED');
    expect(result.answer).toEqual([]);
    expect(result.flags).not.toContain('aa');
    expect(result.raw).toMatch(/EDE: 20 \(Not Authoritative\)/);
  });

  test('NOTIMP for an unknown opcode', async () => {
    const result = await server.dig(['+opcode=3', 'www.geo.example.com', 'A']);
    expect(result.status).toBe('NOTIMP');
    expect(result.answer).toEqual([]);
  });

  test("genreport's opcodeflg: NOTIMP to opcode 15 with every flag set echoes RD only, as Knot does", async () => {
    const result = await server.dig([
      '+noedns',
      '+header-only',
      '+opcode=15',
      '+tcflag',
      '+rec',
      '+raflag',
      '+cd',
      '+ad',
      '+aaflag',
      '+zflag',
    ]);
    expect(result.status).toBe('NOTIMP');
    expect(result.flags.sort()).toEqual(['qr', 'rd']);
  });

  test('FORMERR for a malformed query (raw UDP bytes)', async () => {
    // Header: id 0xbeef, RD, QDCOUNT=1, then a question cut short inside its name.
    const malformed = Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]);
    const reply = await udpExchange('127.0.0.1', server.port, malformed);
    expect(reply.readUInt16BE(0)).toBe(0xbeef);
    expect(reply[2]! & 0x80).toBe(0x80); // QR
    expect(reply[3]! & 0x0f).toBe(1); // FORMERR
  });

  test('BADVERS for EDNS version 1', async () => {
    const result = await server.dig(['+edns=1', '+noednsnegotiation', 'www.geo.example.com', 'A']);
    expect(result.status).toBe('BADVERS');
    expect(result.ednsVersion).toBe(0);
    expect(result.answer).toEqual([]);
  });

  test('TC when the answer exceeds 512 bytes without EDNS (dig +ignore sees it)', async () => {
    const result = await server.dig(['+noedns', '+ignore', 'many.wire.test', 'A']);
    expect(result.status).toBe('NOERROR');
    expect(result.flags).toContain('tc');
    expect(result.raw).toMatch(/SERVER: .*\(UDP\)/);
    expect(result.answer.length).toBeLessThan(40);
  });

  test('dig retries a truncated answer over TCP and gets it whole; +tcp gets it directly', async () => {
    const retried = await server.dig(['+noedns', 'many.wire.test', 'A']);
    expect(retried.raw).toContain('Truncated, retrying in TCP mode');
    expect(retried.raw).toMatch(/SERVER: .*\(TCP\)/);
    expect(retried.flags).not.toContain('tc');
    expect(retried.answer).toHaveLength(40);

    const tcp = await server.dig(['+tcp', '+noedns', 'big.wire.test', 'TXT']);
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(4);
    expect(tcp.answer.every((r) => r.type === 'TXT' && r.data.includes('x'.repeat(190)))).toBe(true);
  });

  test('kdig falls back to TCP on TC and gets the full answer', async () => {
    const result = await server.kdig(['+noedns', 'many.wire.test', 'A']);
    expect(result.raw).toMatch(/;; From .*\(TCP\)/);
    expect(result.answer).toHaveLength(40);
  });

  test('the same large answer fits in UDP with EDNS', async () => {
    const result = await server.dig(['many.wire.test', 'A']);
    expect(result.flags).not.toContain('tc');
    expect(result.raw).toMatch(/SERVER: .*\(UDP\)/);
    expect(result.answer).toHaveLength(40);
  });

  test('ANY gets a minimal answer: one RRset', async () => {
    for (const name of ['geo.example.com', 'www.geo.example.com']) {
      const result = await server.dig([name, 'ANY', '+subnet=10.1.0.0/16']);
      expect(result.status).toBe('NOERROR');
      expect(result.answer.length).toBeGreaterThan(0);
      expect(new Set(result.answer.map((r) => `${r.name} ${r.type}`)).size).toBe(1);
    }
  });

  test('DNS cookies: the client cookie is echoed with a server cookie', async () => {
    const client = '0123456789abcdef';
    const result = await server.dig([`+cookie=${client}`, 'www.geo.example.com', 'A']);
    expect(result.status).toBe('NOERROR');
    expect(result.cookie?.slice(0, 16)).toBe(client);
    expect(result.cookie?.length).toBeGreaterThanOrEqual(16 + 16);
    const plain = await server.dig(['+cookie', 'www.geo.example.com', 'A']);
    expect(plain.cookie).toBeDefined();
  });

  test('answers on the IPv6 listen address [::1]', async () => {
    const v6 = server.dns.find((d) => d.host === '::1');
    expect(v6).toBeDefined();
    const result = await server.dig(['mail.geo.example.com', 'AAAA'], v6);
    expect(result.raw).toContain('SERVER: ::1#');
    expect(result.answer.map((r) => r.data)).toEqual(['2001:db8::25']);
    const tcp = await server.dig(['+tcp', 'mail.geo.example.com', 'A'], v6);
    expect(tcp.answer.map((r) => r.data)).toEqual(['192.0.2.25']);
  });

  test('TCP pipelining: several queries in one write on one connection, all answered', async () => {
    const names = ['mail.geo.example.com', 'sip.geo.example.com', 'ns1.geo.example.com'];
    const client = await TcpClient.connect('127.0.0.1', server.port);
    try {
      const queries = names.map((name, i) =>
        framed(dnsPacket.encode({ type: 'query', id: 100 + i, questions: [{ type: 'A', name }] })),
      );
      client.socket.write(Buffer.concat(queries));
      const replies = (await client.waitForReplies(3)).map((r) => dnsPacket.decode(r));
      const byId = new Map(replies.map((p) => [p.id, p.answers?.map((a) => ('data' in a ? a.data : undefined))]));
      expect(byId.get(100)).toEqual(['192.0.2.25']);
      expect(byId.get(101)).toEqual(['192.0.2.60']);
      expect(byId.get(102)).toEqual(['192.0.2.53']);
    } finally {
      client.destroy();
    }
  });
});
