// Signed answers from the handler (DO=1 to a zone with keys), each whole response validated by dnspython; queries
// without DO answered byte for byte as by a server with no keys.
import dnsPacket from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_FORMAT } from '../../../../api/health.ts';
import { openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { dsRdata, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { ALGORITHM, type SigningKey } from '../../../../lib/dnssec/types.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone, zoneDoc } from '../../../support/documents.ts';
import { query } from '../../../../tools/dns-query.ts';
import { runPython } from '../../../support/dnspython.ts';

const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
const NOW = 1_800_000_000;
const DO = 0x8000;
const CO = 0x4000;

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

/** A query with an OPT record whose flags are `ednsFlags` (DO, CO), and an ECS option when given. */
function ask(name: string, type: string, ednsFlags: number, ecs?: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: 0,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 4096,
        flags: ednsFlags,
        options: ecs
          ? [{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: ecs } as dnsPacket.PacketOpt]
          : [],
      } as dnsPacket.OptAnswer,
    ],
  });
}

function setup(keys: SigningKey[]) {
  const state = new ServerState({ zones: [exampleZone()], geoip });
  state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', keys)]]));
  const handler = createHandler(state, { random: () => 0, now: () => NOW });
  const plain = createHandler(new ServerState({ zones: [exampleZone()], geoip }), { random: () => 0 });
  return { state, handler, plain };
}

// For each response: rcode, whether CO is set, every rrset as "section owner TYPE", the RRSIG validation result of
// every signed rrset with the zone's DNSKEYs, and the NSEC records in text.
const CHECK = `
import base64, json, sys
import dns.dnssec, dns.flags, dns.message, dns.name, dns.rdatatype, dns.rrset
data = json.load(sys.stdin)
zone = dns.name.from_text(data['zone'])
keys = dns.rrset.from_text(zone, 3600, 'IN', 'DNSKEY', *data['dnskeys'])
out = []
for wire in data['responses']:
    m = dns.message.from_wire(base64.b64decode(wire))
    r = {'rcode': m.rcode(), 'co': bool(m.ednsflags & 0x4000), 'aa': bool(m.flags & dns.flags.AA), 'sets': [], 'nsec': []}
    for section, rrsets in (('an', m.answer), ('ns', m.authority), ('ar', m.additional)):
        for rrset in rrsets:
            t = dns.rdatatype.to_text(rrset.rdtype)
            if rrset.rdtype == dns.rdatatype.RRSIG:
                continue
            sig = next((s for s in rrsets if s.rdtype == dns.rdatatype.RRSIG and s.name == rrset.name and s.covers == rrset.rdtype), None)
            status = 'unsigned'
            if sig is not None:
                try:
                    dns.dnssec.validate(rrset, sig, {zone: keys}, now=data['now'])
                    status = 'valid'
                except Exception as e:
                    status = 'bogus: %s' % e
            r['sets'].append('%s %s %s %d %s' % (section, rrset.name.to_text(), t, rrset.ttl, status))
            if rrset.rdtype == dns.rdatatype.NSEC:
                r['nsec'] += [rrset.name.to_text() + ' ' + rd.to_text().replace('TYPE128', 'NXNAME') for rd in rrset]
    out.append(r)
print(json.dumps(out))
`;
import { CITY_MMDB } from '../../../support/serve.ts';

interface Checked {
  rcode: number;
  co: boolean;
  aa: boolean;
  sets: string[];
  nsec: string[];
}

function check(keys: SigningKey[], responses: (Buffer | null)[]): Checked[] {
  return JSON.parse(
    runPython(CHECK, {
      zone: 'geo.example.',
      dnskeys: keys.map((k) => `${k.flags} 3 ${k.algorithm} ${k.publicKey.toString('base64')}`),
      responses: responses.map((r) => (r as Buffer).toString('base64')),
      now: NOW,
    }),
  ) as Checked[];
}

describe('signed answers', () => {
  const cases: [string, string, number, string?][] = [
    ['www.geo.example', 'A', DO, '198.51.100.0'],
    ['www.geo.example', 'A', DO, '10.1.2.0'],
    ['lb.geo.example', 'AAAA', DO],
    ['nope.geo.example', 'A', DO],
    ['nope.geo.example', 'A', DO | CO],
    ['static.geo.example', 'MX', DO],
    ['ent.geo.example', 'A', DO],
    ['geo.example', 'DNSKEY', DO],
    ['host.sub.geo.example', 'A', DO],
    ['alias.geo.example', 'A', DO],
    ['x.wild.geo.example', 'A', DO],
    ['x.wild.geo.example', 'MX', DO],
    ['dangling.geo.example', 'A', DO],
    ['static.geo.example', 'NSEC', DO],
    ['sub.geo.example', 'DS', DO],
  ];

  it('validate with dnspython: positive answers, compact NXDOMAIN and NODATA, DNSKEY, an insecure referral', () => {
    const keys = [generateSigningKey('geo.example')];
    const { handler } = setup(keys);
    const responses = cases.map(([name, type, flags, ecs]) => handler(ask(name, type, flags, ecs), client));
    const [euA, usA, usAAAA, nx, nxCo, nodata, ent, dnskey, referral, cname, wild, wildNodata, dangling, nsec, ds] =
      check(keys, responses);
    expect(euA?.sets).toEqual(['an www.geo.example. A 30 valid']);
    expect(usA?.sets).toEqual(['an www.geo.example. A 30 valid']);
    // No target has an IPv6 address: NODATA whose bitmap has A (which this name gives), never AAAA.
    expect(usAAAA?.sets).toEqual(['ns geo.example. SOA 60 valid', 'ns lb.geo.example. NSEC 60 valid']);
    expect(usAAAA?.nsec).toEqual(['lb.geo.example. \\000.lb.geo.example. A RRSIG NSEC']);
    expect(nx).toMatchObject({ rcode: 0, co: false, aa: true });
    expect(nx?.nsec).toEqual(['nope.geo.example. \\000.nope.geo.example. RRSIG NSEC NXNAME']);
    expect(nx?.sets.every((s) => s.endsWith('valid'))).toBe(true);
    expect(nxCo).toMatchObject({ rcode: 3, co: true });
    expect(nodata?.nsec).toEqual(['static.geo.example. \\000.static.geo.example. A TXT RRSIG NSEC']);
    expect(ent?.nsec).toEqual(['ent.geo.example. \\000.ent.geo.example. RRSIG NSEC']);
    expect(dnskey?.sets).toEqual(['an geo.example. DNSKEY 300 valid']);
    expect(referral).toMatchObject({ rcode: 0, aa: false });
    expect(referral?.sets).toEqual([
      'ns sub.geo.example. NS 3600 unsigned',
      'ns sub.geo.example. NSEC 60 valid',
      'ar ns.sub.geo.example. A 3600 unsigned',
    ]);
    expect(referral?.nsec).toEqual(['sub.geo.example. \\000.sub.geo.example. NS RRSIG NSEC']);
    expect(cname?.sets).toEqual([
      'an alias.geo.example. CNAME 60 valid',
      'an alias2.geo.example. CNAME 60 valid',
      'an static.geo.example. A 120 valid',
    ]);
    expect(wild?.sets).toEqual(['an x.wild.geo.example. A 90 valid']);
    expect(wildNodata?.nsec).toEqual(['x.wild.geo.example. \\000.x.wild.geo.example. A TXT RRSIG NSEC']);
    expect(dangling?.sets[0]).toBe('an dangling.geo.example. CNAME 60 valid');
    expect(dangling?.nsec).toEqual(['missing.geo.example. \\000.missing.geo.example. RRSIG NSEC NXNAME']);
    expect(nsec?.sets).toEqual(['an static.geo.example. NSEC 60 valid']);
    expect(ds?.nsec).toEqual(['sub.geo.example. \\000.sub.geo.example. NS RRSIG NSEC']);
  });

  it('signs with Ed25519 and with a KSK/ZSK pair alike', () => {
    const ksk = generateSigningKey('geo.example', ALGORITHM.ED25519, 257);
    const zsk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256, 256);
    const { handler } = setup([ksk, zsk]);
    const [a, keys] = check(
      [ksk, zsk],
      [handler(ask('www.geo.example', 'A', DO), client), handler(ask('geo.example', 'DNSKEY', DO), client)],
    );
    expect(a?.sets).toEqual(['an www.geo.example. A 30 valid']);
    expect(keys?.sets).toEqual(['an geo.example. DNSKEY 300 valid']);
  });

  it('answers CDS and CDNSKEY at the apex for the key-signing key, signed by it; NODATA there lists them', () => {
    const ksk = generateSigningKey('geo.example', ALGORITHM.ED25519, 257);
    const zsk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256, 256);
    const { handler } = setup([ksk, zsk]);
    const replies = [
      handler(ask('geo.example', 'CDS', DO), client),
      handler(ask('geo.example', 'CDNSKEY', DO), client),
      handler(ask('geo.example', 'SRV', DO), client),
    ];
    const [cds, cdnskey, nodata] = check([ksk, zsk], replies);
    expect(cds?.sets).toEqual(['an geo.example. CDS 300 valid']);
    expect(cdnskey?.sets).toEqual(['an geo.example. CDNSKEY 300 valid']);
    expect(nodata?.nsec).toEqual(['geo.example. \\000.geo.example. NS SOA MX RRSIG NSEC DNSKEY CDS CDNSKEY']);
    // Only the KSK: its DS in CDS, its DNSKEY in CDNSKEY (dns-packet leaves both as raw rdata), and it alone signs.
    const records = (reply: Buffer | null) => dnsPacket.decode(reply as Buffer).answers ?? [];
    const rdata = (answer: dnsPacket.Answer[], type: string) =>
      answer.filter((r) => r.type === type).map((r) => ((r as { data: unknown }).data as Buffer).toString('hex'));
    const [cdsRecords, cdnskeyRecords] = [records(replies[0]!), records(replies[1]!)];
    expect(rdata(cdsRecords, 'CDS')).toEqual([dsRdata('geo.example', ksk.dnskey).toString('hex')]);
    expect(rdata(cdnskeyRecords, 'CDNSKEY')).toEqual([ksk.dnskey.toString('hex')]);
    for (const answer of [cdsRecords, cdnskeyRecords]) {
      expect(answer.filter((r) => r.type === 'RRSIG').map((r) => (r.data as { keyTag: number }).keyTag)).toEqual([
        ksk.keyTag,
      ]);
    }
  });

  it('shares one signature among clients given the same set, and never signs the client subnet', () => {
    const keys = [generateSigningKey('geo.example')];
    const { handler, state } = setup(keys);
    const rrsig = (reply: Buffer | null) =>
      (dnsPacket.decode(reply as Buffer).answers ?? []).find((r) => r.type === 'RRSIG') as {
        data: { signature: Buffer };
      };
    // Two clients in the same location (different /24s): ECDSA signatures are randomized, equal bytes mean one.
    const one = rrsig(handler(ask('www.geo.example', 'A', DO, '10.1.2.0'), client));
    const two = rrsig(handler(ask('www.geo.example', 'A', DO, '10.9.9.0'), client));
    expect(one.data.signature.equals(two.data.signature)).toBe(true);
    expect(state.signers.get('geo.example')?.made).toBe(1);
  });

  it('signs the new answer once health moves a routed name to another target', () => {
    const keys = [generateSigningKey('geo.example')];
    const { handler, state } = setup(keys);
    const before = handler(ask('www.geo.example', 'A', DO, '198.51.100.0'), client);
    state.setHealth({ format: HEALTH_FORMAT, targets: { 'web/www/eu': { up: false, since: '2026-01-01T00:00:00Z' } } });
    const after = handler(ask('www.geo.example', 'A', DO, '198.51.100.0'), client);
    const addresses = (reply: Buffer | null) =>
      (dnsPacket.decode(reply as Buffer).answers ?? []).flatMap((r) => (r.type === 'A' ? [r.data] : []));
    expect(addresses(before)).toEqual(['198.51.100.1']);
    expect(addresses(after)).toEqual(['203.0.113.1']);
    expect(check(keys, [before, after]).map((r) => r.sets)).toEqual([
      ['an www.geo.example. A 30 valid'],
      ['an www.geo.example. A 30 valid'],
    ]);
  });

  it('answers from the signatures of the keys signing now, and signs again once they are due', () => {
    const first = generateSigningKey('geo.example');
    const second = generateSigningKey('geo.example');
    const state = new ServerState({ zones: [exampleZone()], geoip });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [first])]]));
    let now = NOW;
    const handler = createHandler(state, { random: () => 0, now: () => now });
    const signatures = (reply: Buffer | null) =>
      (dnsPacket.decode(reply as Buffer).answers ?? []).flatMap((r) =>
        r.type === 'RRSIG' ? [r.data as { keyTag: number; inception: number }] : [],
      );
    // A static name (a fixed plan) and a routed one (a deterministic plan, per client location), asked twice each.
    const questions = [ask('static.geo.example', 'A', DO), ask('www.geo.example', 'A', DO, '198.51.100.0')];
    for (const q of [...questions, ...questions]) expect(signatures(handler(q, client))[0]?.keyTag).toBe(first.keyTag);
    expect(state.signers.get('geo.example')?.made).toBe(2);
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [second])]]));
    for (const q of questions) expect(signatures(handler(q, client))[0]?.keyTag).toBe(second.keyTag);
    // Past half the signatures' lifetime (3 h): made again, with a later inception.
    const before = signatures(handler(questions[0]!, client))[0]?.inception ?? 0;
    now += 5400;
    expect(signatures(handler(questions[0]!, client))[0]?.inception).toBe(before + 5400);
    expect(signatures(handler(questions[1]!, client))[0]?.inception).toBe(before + 5400);
    expect(state.signers.get('geo.example')?.made).toBe(4);
  });

  it('answers NXNAME queries with FORMERR (RFC 9824 §3.5)', () => {
    const { handler } = setup([generateSigningKey('geo.example')]);
    const reply = handler(ask('www.geo.example', 'UNKNOWN_128', DO), client) as Buffer;
    expect(reply[3]! & 0x0f).toBe(1);
  });

  it('answers queries without DO byte for byte as a server without keys (but for the DNSSEC types)', () => {
    const { handler, plain } = setup([generateSigningKey('geo.example')]);
    for (const [name, type] of cases.filter(([, type]) => !['DNSKEY', 'NSEC'].includes(type))) {
      for (const q of [
        query(name, { type }),
        query(name, { type, edns: true }),
        query(name, { type, ecs: { ip: '198.51.100.0', prefix: 24 } }),
      ]) {
        expect(handler(q, client)).toEqual(plain(q, client));
      }
    }
  });

  it('answers DNSKEY, CDS, CDNSKEY and NSEC without DO unsigned, as with DO less the RRSIGs (RFC 4035 §3.2.1)', () => {
    const ksk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256, 257);
    const zsk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256, 256);
    const { handler, plain } = setup([ksk, zsk]);
    const decoded = (reply: Buffer | null) => dnsPacket.decode(reply as Buffer);
    const asked: [string, string][] = [
      ['geo.example', 'DNSKEY'],
      ['geo.example', 'CDS'],
      ['geo.example', 'CDNSKEY'],
      ['static.geo.example', 'NSEC'],
      ['ent.geo.example', 'NSEC'],
      ['x.wild.geo.example', 'NSEC'],
    ];
    for (const [name, type] of asked) {
      const withDo = decoded(handler(ask(name, type, DO), client));
      const signedSet = (withDo.answers ?? []).filter((r) => r.type !== 'RRSIG');
      expect(signedSet.length).toBeGreaterThan(0);
      for (const q of [query(name, { type }), query(name, { type, edns: true })]) {
        const bytes = handler(q, client) as Buffer;
        const reply = decoded(bytes);
        expect(bytes[3]! & 0x0f).toBe(0); // NOERROR
        expect(bytes[2]! & 0x04).toBe(0x04); // AA
        expect(reply.answers).toEqual(signedSet);
        expect(reply.authorities).toEqual([]);
        // A server with no keys answers NODATA here.
        expect(decoded(plain(q, client)).answers).toEqual([]);
      }
    }
    const keys = (type: string) => decoded(handler(query('geo.example', { type }), client)).answers ?? [];
    expect(keys('DNSKEY').map((r) => (r as { data: { key: Buffer } }).data.key.toString('hex'))).toEqual(
      [ksk, zsk].map((k) => k.publicKey.toString('hex')),
    );
    expect(keys('CDS').map((r) => ((r as { data: unknown }).data as Buffer).toString('hex'))).toEqual([
      dsRdata('geo.example', ksk.dnskey).toString('hex'),
    ]);
    // Not DNSSEC data anyone could ask for: the key types below the apex, the NSEC of a name that does not exist.
    for (const [name, type] of [
      ['www.geo.example', 'DNSKEY'],
      ['static.geo.example', 'CDS'],
      ['nope.geo.example', 'NSEC'],
    ] as const) {
      const q = query(name, { type, edns: true });
      expect(handler(q, client)).toEqual(plain(q, client));
    }
  });

  it('refuses RRSIG queries to a signed zone with and without DO (EDE 21); other zones are answered as before', () => {
    const state = new ServerState({ zones: [exampleZone(), zoneDoc('other.example', 1)], geoip });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [generateSigningKey('geo.example')])]]));
    const handler = createHandler(state, { random: () => 0, now: () => NOW });
    const plain = createHandler(new ServerState({ zones: [exampleZone(), zoneDoc('other.example', 1)], geoip }), {
      random: () => 0,
    });
    const ede = (reply: Buffer | null) => {
      const opt = dnsPacket.decode(reply as Buffer).additionals?.find((r) => r.type === 'OPT') as
        { options: { code: number; data?: Buffer }[] } | undefined;
      return opt?.options.find((o) => o.code === 15)?.data?.readUInt16BE(0);
    };
    const replies = [
      handler(ask('www.geo.example', 'RRSIG', DO), client),
      handler(ask('geo.example', 'RRSIG', 0), client),
      handler(query('static.geo.example', { type: 'RRSIG' }), client),
    ];
    for (const reply of replies) {
      expect((reply as Buffer)[3]! & 0x0f).toBe(5); // REFUSED
      expect(dnsPacket.decode(reply as Buffer).answers).toEqual([]);
    }
    expect(replies.map(ede)).toEqual([21, 21, undefined]);
    // The unsigned zone beside it: every DNSSEC type, with and without EDNS and DO, byte for byte as before.
    for (const type of ['RRSIG', 'NSEC', 'DNSKEY', 'CDS', 'CDNSKEY', 'A', 'SOA']) {
      for (const name of ['other.example', 'www.other.example']) {
        for (const q of [query(name, { type }), query(name, { type, edns: true }), ask(name, type, DO)]) {
          expect(handler(q, client)).toEqual(plain(q, client));
        }
      }
    }
  });
});
