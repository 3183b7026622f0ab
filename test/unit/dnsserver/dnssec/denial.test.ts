// Compact denial (RFC 9824): the NSEC of a name that does not exist or has no data of a type.
import { describe, expect, it } from 'vitest';
import {
  compactNsecRdata,
  compactNxdomainRcode,
  immediateSuccessor,
  nodataTypes,
  nxdomainTypes,
} from '../../../../dnsserver/dnssec/denial.ts';
import { canonicalName } from '../../../../lib/dns/name.ts';
import { runPython } from '../../../support/dnspython.ts';

const TO_TEXT = `
import base64, json, sys
import dns.rdata, dns.rdataclass, dns.rdatatype
out = []
for wire in json.load(sys.stdin):
    b = base64.b64decode(wire)
    out.append(dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.NSEC, b, 0, len(b)).to_text())
print(json.dumps(out))
`;

describe('compact denial', () => {
  it('names the immediate successor \\000.<name>', () => {
    expect(immediateSuccessor('x.geo.example.com')).toBe('\\000.x.geo.example.com');
    expect(immediateSuccessor('')).toBe('\\000');
    expect(canonicalName(immediateSuccessor('x.example')).toString('hex')).toBe(
      '0100' + '0178' + '076578616d706c65' + '00',
    );
  });

  it('NXDOMAIN: RRSIG, NSEC and NXNAME; NODATA: the types present without the one asked, plus RRSIG and NSEC', () => {
    expect(nxdomainTypes()).toEqual([46, 47, 128]);
    expect(nodataTypes([28, 1, 1, 16], 28)).toEqual([1, 16, 46, 47]);
    // An empty non-terminal: nothing but the NSEC and its signature.
    expect(nodataTypes([], 1)).toEqual([46, 47]);
    // A delegation point asked for DS: NS only, so the DS is proven absent (an insecure delegation).
    expect(nodataTypes([2], 43)).toEqual([2, 46, 47]);
  });

  it('encodes the NSEC rdata exactly (the next name uncompressed, the type bitmap of RFC 4034 §4.1.2)', () => {
    const rdata = compactNsecRdata('x.geo.example.com', nxdomainTypes());
    const next = canonicalName('\\000.x.geo.example.com');
    expect(rdata.subarray(0, next.length)).toEqual(next);
    // Window 0, 17 bytes: RRSIG (46) and NSEC (47) in byte 5, NXNAME (128) in byte 16.
    const bitmap = Buffer.alloc(19);
    bitmap[1] = 17;
    bitmap[2 + 5] = 0x03;
    bitmap[2 + 16] = 0x80;
    expect(rdata.subarray(next.length)).toEqual(bitmap);
    const texts = JSON.parse(
      runPython(TO_TEXT, [
        rdata.toString('base64'),
        compactNsecRdata('geo.example.com', nodataTypes([6, 2, 48, 15], 1)).toString('base64'),
      ]),
    ) as string[];
    expect(texts[0]).toMatch(/^\\000\.x\.geo\.example\.com\. RRSIG NSEC (NXNAME|TYPE128)$/);
    expect(texts[1]).toBe('\\000.geo.example.com. NS SOA MX RRSIG NSEC DNSKEY');
  });

  it('answers NXDOMAIN only to a query that set Compact Answers OK', () => {
    expect(compactNxdomainRcode(false)).toBe(0);
    expect(compactNxdomainRcode(true)).toBe(3);
  });
});
