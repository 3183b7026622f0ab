// Several signers of one zone (RFC 8901 model 2): each server publishes the others' keys (the document's
// dnssec.publishedKeys) beside its own in DNSKEY, CDS and CDNSKEY, and signs with its own keys alone. A validator
// holding the DNSKEY rrset fetched from one server validates what the other signs (dnspython).
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { CompiledPublishedKey } from '../../../../api/compiled.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { buildKeySets } from '../../../../dnsserver/dnssec/key-sets.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { dnskeyRdata, dsRdata, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM, type SigningKey } from '../../../../lib/dnssec/types.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';
import { runPython } from '../../../support/dnspython.ts';
import { query } from '../../../../tools/dns-query.ts';

const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
const NOW = 1_800_000_000;
const DO = 0x8000;

const ask = (name: string, type: string, ednsFlags: number): Buffer =>
  query(name, { type, flags: 0, udpSize: 4096, do: (ednsFlags & DO) !== 0 });

const published = (cluster: string, key: SigningKey): CompiledPublishedKey => ({
  cluster,
  flags: key.flags as 256 | 257,
  algorithm: key.algorithm,
  publicKey: key.publicKey.toString('base64'),
});

/** A server signing geo.example with `own`, publishing `others`. */
function server(own: SigningKey[], others: CompiledPublishedKey[]) {
  const zone = exampleZone({
    dnssec: { keyTags: own.map((k) => k.keyTag), ...(others.length > 0 ? { publishedKeys: others } : {}) },
  });
  const state = new ServerState({ zones: [zone] });
  state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', own)]]));
  return createHandler(state, { random: () => 0, now: () => NOW });
}

const records = (reply: Buffer | null) => dnsPacket.decode(reply as Buffer).answers ?? [];
const rdataHex = (reply: Buffer | null, type: string) =>
  records(reply)
    .filter((r) => r.type === type)
    .map((r) => {
      const data = (r as { data: unknown }).data;
      // dns-packet decodes DNSKEY and leaves CDS and CDNSKEY raw.
      if (Buffer.isBuffer(data)) return data.toString('hex');
      const { flags, algorithm, key } = data as { flags: number; algorithm: number; key: Buffer };
      return dnskeyRdata(flags, algorithm, key).toString('hex');
    })
    .sort();
const signerTags = (reply: Buffer | null) =>
  records(reply)
    .filter((r) => r.type === 'RRSIG')
    .map((r) => (r.data as { keyTag: number }).keyTag);

// Validates every signed rrset of `response` with the DNSKEY rrset of `dnskeys` (a response to DNSKEY): first that
// rrset itself (self-signed by one of its keys), then the rest with it.
const VALIDATE = `
import base64, json, sys
import dns.dnssec, dns.message, dns.name, dns.rdatatype
data = json.load(sys.stdin)
zone = dns.name.from_text('geo.example.')
keys_msg = dns.message.from_wire(base64.b64decode(data['dnskeys']))
keys = keys_msg.find_rrset(keys_msg.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
ksig = keys_msg.find_rrset(keys_msg.answer, zone, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
dns.dnssec.validate(keys, ksig, {zone: keys}, now=data['now'])
m = dns.message.from_wire(base64.b64decode(data['response']))
out = []
for rrset in m.answer + m.authority:
    if rrset.rdtype == dns.rdatatype.RRSIG:
        continue
    sig = next(s for s in m.answer + m.authority if s.rdtype == dns.rdatatype.RRSIG and s.name == rrset.name and s.covers == rrset.rdtype)
    try:
        dns.dnssec.validate(rrset, sig, {zone: keys}, now=data['now'])
        out.append('%s %s valid' % (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)))
    except Exception as e:
        out.append('%s %s bogus: %s' % (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), e))
print(json.dumps(out))
`;

function validate(dnskeys: Buffer | null, response: Buffer | null): string[] {
  return JSON.parse(
    runPython(VALIDATE, {
      dnskeys: (dnskeys as Buffer).toString('base64'),
      response: (response as Buffer).toString('base64'),
      now: NOW,
    }),
  ) as string[];
}

describe('several signers of one zone', () => {
  const a = generateSigningKey('geo.example');
  const b = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256);
  const serverA = server([a], [published('b', b)]);
  const serverB = server([b], [published('a', a)]);

  it('publishes both keys in DNSKEY, CDS and CDNSKEY and signs them with its own key alone', () => {
    for (const [handler, own] of [
      [serverA, a],
      [serverB, b],
    ] as const) {
      for (const flags of [DO, 0]) {
        const dnskey = handler(ask('geo.example', 'DNSKEY', flags), client);
        expect(rdataHex(dnskey, 'DNSKEY')).toEqual([a.dnskey, b.dnskey].map((d) => d.toString('hex')).sort());
        expect(signerTags(dnskey)).toEqual(flags === DO ? [own.keyTag] : []);
        const cds = handler(ask('geo.example', 'CDS', flags), client);
        expect(rdataHex(cds, 'CDS')).toEqual(
          [a, b].map((k) => dsRdata('geo.example', k.dnskey).toString('hex')).sort(),
        );
        const cdnskey = handler(ask('geo.example', 'CDNSKEY', flags), client);
        expect(rdataHex(cdnskey, 'CDNSKEY')).toEqual([a.dnskey, b.dnskey].map((d) => d.toString('hex')).sort());
      }
      // Answers elsewhere carry RRSIGs by the own key only, which is in the DNSKEY rrset.
      expect(signerTags(handler(ask('www.geo.example', 'A', DO), client))).toEqual([own.keyTag]);
    }
  });

  it("validates each server's answers with the DNSKEY rrset fetched from the other", () => {
    const keysOfA = serverA(ask('geo.example', 'DNSKEY', DO), client);
    const keysOfB = serverB(ask('geo.example', 'DNSKEY', DO), client);
    for (const [keys, answer] of [
      [keysOfA, serverB(ask('www.geo.example', 'A', DO), client)],
      [keysOfB, serverA(ask('www.geo.example', 'A', DO), client)],
      [keysOfA, serverB(ask('nope.geo.example', 'A', DO), client)],
      [keysOfA, serverB(ask('geo.example', 'DNSKEY', DO), client)],
    ] as const) {
      const results = validate(keys, answer);
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => !r.endsWith(' valid'))).toEqual([]);
    }
  });

  it('publishes a key both sign with (a shared key) once, and a peer ZSK in DNSKEY but not in CDS', () => {
    const zsk = generateSigningKey('geo.example', ALGORITHM.ED25519, 256);
    const signer = new ZoneSigner('geo.example', [a]);
    const sets = buildKeySets(signer, [published('b', a), published('b', b), published('c', zsk)]);
    expect(sets.dnskey.map((d) => d.toString('hex'))).toEqual(
      [a.dnskey, b.dnskey, zsk.dnskey].map((d) => d.toString('hex')),
    );
    expect(sets.cdnskey.map((d) => d.toString('hex'))).toEqual([a.dnskey, b.dnskey].map((d) => d.toString('hex')));
    expect(sets.cds.map((d) => d.toString('hex'))).toEqual(
      [a, b].map((k) => dsRdata('geo.example', k.dnskey).toString('hex')),
    );
    // The signer's own sets are untouched by what is published beside them.
    expect(signer.dnskeys()).toHaveLength(1);
  });
});
