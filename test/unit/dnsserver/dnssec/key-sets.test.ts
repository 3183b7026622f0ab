// The apex key rrsets of a zone going unsigned (the document's dnssec.deleteDs): DNSKEY as ever, CDS and CDNSKEY the
// RFC 8078 §4 delete records alone, signed by the key-signing key like the sets they replace; dnspython encodes the
// RFC's presentation forms and validates the signatures.
import { describe, expect, it } from 'vitest';
import type { CompiledDnssec } from '../../../../api/compiled.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { buildKeySets, CDNSKEY_DELETE, CDS_DELETE, keySetsOf } from '../../../../dnsserver/dnssec/key-sets.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { dsRdata, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';
import { runPython } from '../../../support/dnspython.ts';
import { query } from '../../../../tools/dns-query.ts';

const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
const NOW = 1_800_000_000;
const DO = 0x8000;

const ask = (name: string, type: string, ednsFlags: number): Buffer =>
  query(name, { type, flags: 0, udpSize: 4096, do: (ednsFlags & DO) !== 0 });

// The wire form of each record of `response` of `type` (dnspython's), and which key tags sign which types.
const INSPECT = `
import base64, json, sys
import dns.dnssec, dns.message, dns.name, dns.rdata, dns.rdataclass, dns.rdatatype
data = json.load(sys.stdin)
zone = dns.name.from_text('geo.example.')
wire = lambda t, text: dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(t), text).to_wire().hex()
out = {'cdsDelete': wire('CDS', '0 0 0 00'), 'cdnskeyDelete': wire('CDNSKEY', '0 3 0 AA=='), 'answers': []}
if not data['response']:
    print(json.dumps(out))
    sys.exit(0)
keys_msg = dns.message.from_wire(base64.b64decode(data['dnskeys']))
keys = keys_msg.find_rrset(keys_msg.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
m = dns.message.from_wire(base64.b64decode(data['response']))
for rrset in m.answer:
    if rrset.rdtype == dns.rdatatype.RRSIG:
        continue
    sigs = [s for s in m.answer if s.rdtype == dns.rdatatype.RRSIG and s.covers == rrset.rdtype]
    verdict = 'unsigned'
    if sigs:
        try:
            dns.dnssec.validate(rrset, sigs[0], {zone: keys}, now=data['now'])
            verdict = 'valid by ' + ','.join(str(s.key_tag) for s in sigs[0])
        except Exception as e:
            verdict = 'bogus: %s' % e
    out['answers'].append({'type': dns.rdatatype.to_text(rrset.rdtype), 'rdata': sorted(r.to_wire().hex() for r in rrset), 'text': sorted(r.to_text() for r in rrset), 'verdict': verdict})
print(json.dumps(out))
`;

interface Inspected {
  cdsDelete: string;
  cdnskeyDelete: string;
  answers: { type: string; rdata: string[]; text: string[]; verdict: string }[];
}

const inspect = (dnskeys: Buffer | null, response: Buffer | null): Inspected =>
  JSON.parse(
    runPython(INSPECT, {
      dnskeys: (dnskeys as Buffer).toString('base64'),
      response: (response as Buffer).toString('base64'),
      now: NOW,
    }),
  ) as Inspected;

const hex = (list: readonly Buffer[]) => list.map((b) => b.toString('hex'));

describe('the key rrsets of a zone going unsigned', () => {
  const ksk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256);
  const zsk = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256, 256);

  it("are the delete records in CDS and CDNSKEY, byte for byte the RFC's, with DNSKEY unchanged", () => {
    const signer = new ZoneSigner('geo.example', [ksk, zsk]);
    const normal = buildKeySets(signer);
    expect(hex(normal.cds)).toEqual([dsRdata('geo.example', ksk.dnskey).toString('hex')]);
    const going = buildKeySets(signer, [], true);
    expect(hex(going.dnskey)).toEqual(hex(normal.dnskey));
    expect(hex(going.cds)).toEqual([CDS_DELETE.toString('hex')]);
    expect(hex(going.cdnskey)).toEqual([CDNSKEY_DELETE.toString('hex')]);
    const rfc = inspect(Buffer.alloc(0), Buffer.alloc(0));
    expect(CDS_DELETE.toString('hex')).toBe(rfc.cdsDelete);
    expect(CDNSKEY_DELETE.toString('hex')).toBe(rfc.cdnskeyDelete);
  });

  it("follow the document's deleteDs for the same signer, both ways", () => {
    const signer = new ZoneSigner('geo.example', [ksk]);
    const marked: CompiledDnssec = { keyTags: [ksk.keyTag] };
    expect(hex(keySetsOf(signer, marked).cds)).toEqual([dsRdata('geo.example', ksk.dnskey).toString('hex')]);
    expect(hex(keySetsOf(signer, { ...marked, deleteDs: true }).cds)).toEqual([CDS_DELETE.toString('hex')]);
    expect(hex(keySetsOf(signer, marked).cdnskey)).toEqual([ksk.dnskey.toString('hex')]);
  });

  it('are answered signed by the key-signing key with DO, unsigned without, and everything else as before', () => {
    const zone = exampleZone({ dnssec: { keyTags: [ksk.keyTag, zsk.keyTag].sort((a, b) => a - b), deleteDs: true } });
    const state = new ServerState({ zones: [zone] });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [ksk, zsk])]]));
    const handler = createHandler(state, { random: () => 0, now: () => NOW });
    const dnskeys = handler(ask('geo.example', 'DNSKEY', DO), client);
    const keys = inspect(dnskeys, dnskeys).answers;
    expect(keys).toEqual([
      {
        type: 'DNSKEY',
        rdata: hex([ksk.dnskey, zsk.dnskey]).sort(),
        text: expect.any(Array) as unknown,
        verdict: `valid by ${ksk.keyTag}`,
      },
    ]);
    for (const [type, text] of [
      ['CDS', '0 0 0 00'],
      ['CDNSKEY', '0 3 0 AA=='],
    ] as const) {
      expect(inspect(dnskeys, handler(ask('geo.example', type, DO), client)).answers).toEqual([
        { type, rdata: [expect.any(String)], text: [text], verdict: `valid by ${ksk.keyTag}` },
      ]);
      expect(inspect(dnskeys, handler(ask('geo.example', type, 0), client)).answers).toEqual([
        { type, rdata: [expect.any(String)], text: [text], verdict: 'unsigned' },
      ]);
    }
    const www = inspect(dnskeys, handler(ask('www.geo.example', 'A', DO), client)).answers;
    expect(www.map((a) => [a.type, a.verdict])).toEqual([['A', `valid by ${zsk.keyTag}`]]);
  });
});
