// The signing core against published vectors and an independent implementation (dnspython).
import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalOrder,
  canonicalRdata,
  canonicalRecords,
  labelCount,
} from '../../../../dnsserver/dnssec/canonical.ts';
import { canonicalName } from '../../../../lib/dns/name.ts';
import { dsText, generateSigningKey, keyTag, signingKey } from '../../../../lib/dnssec/keys.ts';
import { rrsigHeader, signData, signRRset, signingInput, validityAt } from '../../../../dnsserver/dnssec/sign.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import type { CanonicalRRset } from '../../../../dnsserver/dnssec/types.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';
import { runPython } from '../../../support/dnspython.ts';

const MX = 15;
const A = 1;

/** RFC 8080 §6: the two Ed25519 examples (private key, DNSKEY, key tag, DS, RRSIG over `example.com. MX 10 mail.example.com.`). */
const RFC8080 = [
  {
    privateKey: 'ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=',
    publicKey: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
    keyTag: 3613,
    ds: '3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b',
    signature: 'Edk+IB9KNNWg0HAjm7FazXyrd5m3Rk8zNZbvNpAcM+eysqcUOMIjWoevFkjH5GaMWeG96GUVZu6ECKOQmemHDg==',
  },
  {
    privateKey: 'DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=',
    publicKey: 'zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=',
    keyTag: 35217,
    ds: '35217 15 2 401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c',
    signature: '5LL2obmzdqjWI+Xto5eP5adXt/T5tMhasWvwcyW4L3SzfcRawOle9bodhC+oip9ayUGjY9T/rL4rN3bOuESGDA==',
  },
];
const RFC8080_VALIDITY = { inception: 1438207200, expiration: 1440021600 };
const mxSet = (name = 'example.com'): CanonicalRRset => ({
  name,
  type: MX,
  ttl: 3600,
  rdata: [canonicalRdata('MX', { preference: 10, exchange: 'mail.example.com' })],
});

describe('RFC 8080 §6 Ed25519 examples', () => {
  for (const [i, example] of RFC8080.entries()) {
    it(`example ${i + 1}: public key, key tag and DS from the private key`, () => {
      const key = signingKey('example.com', ALGORITHM.ED25519, Buffer.from(example.privateKey, 'base64'), 257);
      expect(key.publicKey.toString('base64')).toBe(example.publicKey);
      expect(key.keyTag).toBe(example.keyTag);
      expect(keyTag(key.dnskey)).toBe(example.keyTag);
      expect(dsText('example.com', key.dnskey)).toBe(example.ds);
    });

    it(`example ${i + 1}: the signature byte for byte`, () => {
      const key = signingKey('example.com', ALGORITHM.ED25519, Buffer.from(example.privateKey, 'base64'), 257);
      const header = rrsigHeader(key, mxSet(), RFC8080_VALIDITY);
      // The RFC's signatures were made with a Labels field of 3 for `example.com.` (its printed RRSIG lines are a
      // field short, "RRSIG MX 3 3600 ..."): reproduce the signed bytes as they were, to check the EdDSA
      // construction and the canonical rrset under them. Our own RRSIG counts 2 (RFC 4034 §3.1.3), below.
      expect(header[3]).toBe(2);
      header[3] = 3;
      const signed = signData(key, Buffer.concat([header, canonicalRecords(mxSet())]));
      expect(signed.toString('base64')).toBe(example.signature);
      // Ed25519 is deterministic: signing our correct RRSIG gives one fixed signature that verifies.
      const rrsig = signRRset(key, mxSet(), RFC8080_VALIDITY);
      expect(rrsig.subarray(0, 18).toString('hex')).toBe(
        `000f0f0200000e1055d4fc6055b94ce0${example.keyTag.toString(16).padStart(4, '0')}`,
      );
      expect(
        verify(null, signingInput(key, mxSet(), RFC8080_VALIDITY), key.privateKey, rrsig.subarray(rrsig.length - 64)),
      ).toBe(true);
    });
  }
});

describe('RFC 6605 ECDSA P-256 key', () => {
  it('derives the example DNSKEY and DS (RFC 6605 §6.1)', () => {
    const key = signingKey(
      'example.net',
      ALGORITHM.ECDSAP256SHA256,
      Buffer.from('GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=', 'base64'),
      257,
    );
    expect(key.publicKey.toString('base64')).toBe(
      'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
    );
    expect(dsText('example.net', key.dnskey)).toBe(
      '55648 13 2 b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17',
    );
  });
});

describe('canonical form (RFC 4034 §6)', () => {
  it('lower-cases owners and names inside rdata, never compresses', () => {
    expect(canonicalName('WWW.Example.COM').toString('hex')).toBe('03777777076578616d706c6503636f6d00');
    expect(canonicalName('')).toEqual(Buffer.from([0]));
    expect(canonicalRdata('CNAME', 'Target.Example.com')).toEqual(canonicalName('target.example.com'));
    expect(canonicalRdata('MX', { preference: 5, exchange: 'MAIL.example.com' })).toEqual(
      Buffer.concat([Buffer.from([0, 5]), canonicalName('mail.example.com')]),
    );
    const soa = canonicalRdata('SOA', {
      mname: 'NS1.Example.com',
      rname: 'Host\\.Master.example.com',
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 5,
    });
    expect(soa.subarray(0, 17)).toEqual(canonicalName('ns1.example.com'));
    expect(soa.subarray(17, 17 + 25)).toEqual(canonicalName('host\\.master.example.com'));
    expect(soa.length).toBe(17 + 25 + 20);
    expect(canonicalRdata('SRV', { priority: 1, weight: 2, port: 53, target: 'X.example' }).toString('hex')).toBe(
      '000100020035017807' + '6578616d706c65' + '00',
    );
    // Case inside TXT is data, not a name: kept.
    expect(canonicalRdata('TXT', ['Hello']).toString('latin1')).toBe('\x05Hello');
  });

  it('sorts rdata as octet strings and drops duplicates', () => {
    const a = (ip: string) => canonicalRdata('A', ip);
    const sorted = canonicalOrder([a('192.0.2.20'), a('192.0.2.3'), a('192.0.2.20'), a('10.0.0.1')]);
    expect(sorted.map((b) => [...b].join('.'))).toEqual(['10.0.0.1', '192.0.2.3', '192.0.2.20']);
    const set = {
      name: 'www.example.com',
      type: A,
      ttl: 60,
      rdata: [a('192.0.2.20'), a('192.0.2.3'), a('192.0.2.20')],
    };
    expect(canonicalRecords(set).length).toBe(2 * (17 + 10 + 4));
  });

  it('counts labels without the root and a leading wildcard', () => {
    expect(labelCount('example.com')).toBe(2);
    expect(labelCount('*.wild.example.com')).toBe(3);
    expect(labelCount('')).toBe(0);
  });

  it('gives one signature input for any order or letter case of the same rrset', () => {
    const key = generateSigningKey('example.com');
    const validity = validityAt(1_800_000_000);
    const one = signingInput(
      key,
      {
        name: 'www.example.com',
        type: A,
        ttl: 60,
        rdata: [canonicalRdata('A', '192.0.2.2'), canonicalRdata('A', '192.0.2.1')],
      },
      validity,
    );
    const two = signingInput(
      key,
      {
        name: 'WWW.example.com',
        type: A,
        ttl: 60,
        rdata: [canonicalRdata('A', '192.0.2.1'), canonicalRdata('A', '192.0.2.2'), canonicalRdata('A', '192.0.2.1')],
      },
      validity,
    );
    expect(one).toEqual(two);
  });
});

describe('validity', () => {
  it('back-dates the inception an hour and expires three hours ahead by default, modulo 2^32', () => {
    expect(validityAt(1_800_000_000.7)).toEqual({ inception: 1_799_996_400, expiration: 1_800_010_800 });
    expect(validityAt(2 ** 32 - 10, 100, 0)).toEqual({ inception: 2 ** 32 - 10, expiration: 90 });
  });
});

describe('ZoneSigner', () => {
  it('reuses a signature for the same rrset whatever its order, and re-signs past half the lifetime', () => {
    const key = generateSigningKey('example.com');
    const signer = new ZoneSigner('example.com', [key], { lifetimeSeconds: 3600 });
    const set = (...ips: string[]) => ({
      name: 'www.example.com',
      type: A,
      ttl: 60,
      rdata: ips.map((ip) => canonicalRdata('A', ip)),
    });
    const first = signer.sign(set('192.0.2.1', '192.0.2.2'), 1000);
    expect(signer.sign(set('192.0.2.2', '192.0.2.1'), 1500).rrsigs[0]).toBe(first.rrsigs[0]);
    // Due between 40% and 50% of the lifetime (jitter); served until half of it.
    expect(first.refreshAt).toBeGreaterThanOrEqual(1000 + 1440);
    expect(first.refreshAt).toBeLessThanOrEqual(1000 + 1800);
    expect(signer.made).toBe(1);
    expect(signer.sign(set('192.0.2.1'), 1500).rrsigs[0]).not.toBe(first.rrsigs[0]);
    expect(signer.sign({ ...set('192.0.2.1', '192.0.2.2'), ttl: 30 }, 1500).rrsigs[0]).not.toBe(first.rrsigs[0]);
    expect(signer.sign(set('192.0.2.1', '192.0.2.2'), 2800).rrsigs[0]).not.toBe(first.rrsigs[0]);
    expect(signer.made).toBe(4);
    expect(signer.maxTtl).toBe(1800);
  });

  it('signs the DNSKEY rrset with the SEP keys and everything else with the others', () => {
    const ksk = generateSigningKey('example.com', ALGORITHM.ECDSAP256SHA256, 257);
    const zsk = generateSigningKey('example.com', ALGORITHM.ED25519, 256);
    const signer = new ZoneSigner('example.com', [ksk, zsk]);
    expect(signer.zoneKeys).toEqual([zsk]);
    expect(signer.keySigningKeys).toEqual([ksk]);
    const dnskeySig = signer.sign({ name: 'example.com', type: 48, ttl: 3600, rdata: signer.dnskeys() }, 1000).rrsigs;
    expect(dnskeySig.map((r) => r.readUInt16BE(16))).toEqual([ksk.keyTag]);
    expect(() => new ZoneSigner('example.org', [ksk])).toThrow(/belongs to 'example.com'/);
  });
});

// dnspython validates RRSIGs made here: an implementation that shares no code with this one.
const VALIDATE = `
import base64, json, sys
import dns.dnssec, dns.name, dns.rdata, dns.rdataclass, dns.rdatatype, dns.rrset
cases = json.load(sys.stdin)
out = []
for c in cases:
    zone = dns.name.from_text(c['zone'])
    keys = dns.rrset.from_text(zone, 3600, 'IN', 'DNSKEY', c['dnskey'])
    rrset = dns.rrset.from_text(c['owner'], c['ttl'], 'IN', c['type'], *c['records'])
    sig = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.RRSIG, base64.b64decode(c['rrsig']), 0, len(base64.b64decode(c['rrsig'])))
    sigset = dns.rrset.from_rdata(c['owner'], c['ttl'], sig)
    try:
        dns.dnssec.validate(rrset, sigset, {zone: keys}, now=c['now'])
        out.append('valid')
    except Exception as e:
        out.append('invalid: %s' % e)
print(json.dumps(out))
`;

describe('cross-checked by dnspython', () => {
  it('validates ECDSA P-256 and Ed25519 RRSIGs over mixed-case, unordered, duplicated rrsets, and rejects a changed one', () => {
    const now = 1_800_000_000;
    const cases = [];
    for (const algorithm of [ALGORITHM.ECDSAP256SHA256, ALGORITHM.ED25519]) {
      const key = generateSigningKey('geo.example.com', algorithm);
      const dnskey = `${key.flags} 3 ${key.algorithm} ${key.publicKey.toString('base64')}`;
      const rrsets = [
        {
          owner: 'WWW.Geo.Example.com.',
          type: 'A',
          ttl: 60,
          records: ['192.0.2.20', '192.0.2.3', '192.0.2.20'],
          packet: 'A',
          data: ['192.0.2.20', '192.0.2.3', '192.0.2.20'],
        },
        {
          owner: 'geo.example.com.',
          type: 'MX',
          ttl: 300,
          records: ['10 Mail.GEO.example.com.'],
          packet: 'MX',
          data: [{ preference: 10, exchange: 'Mail.GEO.example.com' }],
        },
        {
          owner: 'geo.example.com.',
          type: 'SOA',
          ttl: 3600,
          records: ['NS1.geo.example.com. host\\.master.example.com. 7 3600 600 86400 60'],
          packet: 'SOA',
          data: [
            {
              mname: 'NS1.geo.example.com',
              rname: 'host\\.master.example.com',
              serial: 7,
              refresh: 3600,
              retry: 600,
              expire: 86400,
              minimum: 60,
            },
          ],
        },
        {
          owner: '_sip._tcp.geo.example.com.',
          type: 'SRV',
          ttl: 300,
          records: ['10 60 5060 SIP.geo.example.com.'],
          packet: 'SRV',
          data: [{ priority: 10, weight: 60, port: 5060, target: 'SIP.geo.example.com' }],
        },
        {
          owner: 'geo.example.com.',
          type: 'TXT',
          ttl: 300,
          records: ['"Hello World" "two"'],
          packet: 'TXT',
          data: [['Hello World', 'two']],
        },
      ];
      for (const r of rrsets) {
        const set: CanonicalRRset = {
          name: r.owner.slice(0, -1),
          type: dnsType(r.type),
          ttl: r.ttl,
          rdata: r.data.map((d) => canonicalRdata(r.packet, d)),
        };
        const rrsig = signRRset(key, set, validityAt(now));
        cases.push({
          zone: 'geo.example.com.',
          dnskey,
          owner: r.owner,
          type: r.type,
          ttl: r.ttl,
          records: r.records,
          rrsig: rrsig.toString('base64'),
          now,
        });
      }
      // A record the signature does not cover: must fail.
      const last = cases.at(-5) as (typeof cases)[number];
      cases.push({ ...last, records: ['192.0.2.21', '192.0.2.3'] });
      // Expired: validated a day after expiry.
      cases.push({ ...last, now: now + 86400 });
    }
    const results = JSON.parse(runPython(VALIDATE, cases)) as string[];
    const expected = [...Array(5).fill('valid'), 'invalid', 'invalid'];
    expect(results.map((r) => r.split(':')[0])).toEqual([...expected, ...expected]);
  });
});

function dnsType(name: string): number {
  return ({ A: 1, MX: 15, SOA: 6, SRV: 33, TXT: 16 } as Record<string, number>)[name] as number;
}
