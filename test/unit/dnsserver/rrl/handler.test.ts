// The handler with response rate limiting: what a limited client gets over UDP (nothing, or a truncated reply that
// sends it to TCP), and that TCP is never limited.
import dnsPacket from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { ResponseRateLimiter, RRL_DEFAULTS } from '../../../../dnsserver/rrl/limiter.ts';
import { newCookieSecret, ServerCookies } from '../../../../dnsserver/workers/cookies.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';
import { query } from '../../../../tools/dns-query.ts';
import { CITY_MMDB } from '../../../support/serve.ts';

const udp: ClientInfo = { address: '192.0.2.7', port: 5300, family: 4, transport: 'udp' };
const tcp: ClientInfo = { ...udp, transport: 'tcp' };

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

function setup(slip = 2) {
  const cookies = new ServerCookies(newCookieSecret());
  const limiter = new ResponseRateLimiter(
    { ...RRL_DEFAULTS, rate: 3, slip },
    { now: () => 0, validCookie: (cookie, address) => cookies.isValid(cookie, address) },
  );
  const handler = createHandler(new ServerState({ zones: [exampleZone()], geoip }), {
    rateLimiter: limiter,
    serverCookie: (clientCookie, address) => cookies.make(clientCookie, address),
  });
  return { handler, cookies };
}

const decode = (reply: Buffer | null) => (reply ? dnsPacket.decode(reply) : null);

describe('handler with response rate limiting', () => {
  it('over UDP: the rate in full, then every second reply truncated to its question (TC=1), the others dropped', () => {
    const { handler } = setup();
    const replies = Array.from({ length: 9 }, () => decode(handler(query('mail.geo.example'), udp)));
    expect(replies.slice(0, 3).map((r) => r?.answers?.length)).toEqual([1, 1, 1]);
    expect(replies.slice(3).map((r) => (r ? (r.flag_tc ? 'slip' : 'full') : 'drop'))).toEqual([
      'drop',
      'slip',
      'drop',
      'slip',
      'drop',
      'slip',
    ]);
    const slip = replies[4];
    expect(slip).toMatchObject({ rcode: 'NOERROR', flag_aa: true, flag_tc: true, answers: [], authorities: [] });
    expect(slip?.questions).toEqual([{ name: 'mail.geo.example', type: 'A', class: 'IN' }]);
  });

  it('counts answers synthesized by a wildcard under the wildcard: random names below it are one answer', () => {
    const { handler } = setup(0);
    const replies = Array.from({ length: 6 }, (_, i) => handler(query(`r${i}.wild.geo.example`), udp));
    expect(replies.map((r) => (r ? 'sent' : 'dropped'))).toEqual([
      'sent',
      'sent',
      'sent',
      'dropped',
      'dropped',
      'dropped',
    ]);
    expect(decode(replies[0] ?? null)?.answers?.[0]).toMatchObject({ name: 'r0.wild.geo.example', data: '192.0.2.88' });
    expect(decode(handler(query('mail.geo.example'), udp))?.answers).toHaveLength(1);
  });

  it('never limits TCP', () => {
    const { handler } = setup();
    for (let i = 0; i < 50; i++) expect(decode(handler(query('mail.geo.example'), tcp))?.answers).toHaveLength(1);
  });

  it('limits refusals, NXDOMAIN and malformed queries too; a slip of an error keeps its rcode', () => {
    const { handler } = setup(1);
    const refused = Array.from({ length: 5 }, (_, i) => decode(handler(query(`q${i}.example.org`), udp)));
    expect(refused.map((r) => `${(r?.flags ?? 0) & 0xf} ${r?.flag_tc}`)).toEqual([
      '5 false',
      '5 false',
      '5 false',
      '5 true',
      '5 true',
    ]);
    const nxdomain = Array.from({ length: 4 }, (_, i) => decode(handler(query(`nope${i}.geo.example`), udp)));
    expect(nxdomain.map((r) => r?.flag_tc)).toEqual([false, false, false, true]);
    // Errors share one bucket per network, whatever the question: the FORMERR after the refusals is over too.
    const garbled = Buffer.from([0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]);
    const formerr = handler(garbled, udp);
    expect(formerr?.readUInt16BE(2)).toBe(0x8000 | 0x0200 | 0x0100 | 1); // QR, TC, RD, FORMERR
  });

  it('answers a limited client in full when it presents the server cookie it was given', () => {
    const { handler, cookies } = setup(0);
    const client = Buffer.from('0102030405060708', 'hex');
    for (let i = 0; i < 3; i++) handler(query('mail.geo.example'), udp);
    expect(handler(query('mail.geo.example', { cookie: client }), udp)).toBeNull();
    const valid = Buffer.concat([client, cookies.make(client, udp.address)]);
    for (let i = 0; i < 10; i++) {
      expect(decode(handler(query('mail.geo.example', { cookie: valid }), udp))?.answers).toHaveLength(1);
    }
    const elsewhere = Buffer.concat([client, cookies.make(client, '198.51.100.1')]);
    expect(handler(query('mail.geo.example', { cookie: elsewhere }), udp)).toBeNull();
  });
});
