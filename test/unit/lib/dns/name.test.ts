import { describe, expect, it } from 'vitest';
import { labelsToText, nameToLabels, nameWireLength } from '../../../../lib/dns/name.ts';
import ipaddr from 'ipaddr.js';
import { addressToText } from '../../../../dnsserver/wire/address.ts';

describe('names', () => {
  it('splits text names into labels, honouring escapes and a trailing dot', () => {
    expect(nameToLabels('www.Example.com.').map((l) => l.toString('latin1'))).toEqual(['www', 'Example', 'com']);
    expect(nameToLabels('a\\.b.c').map((l) => l.toString('latin1'))).toEqual(['a.b', 'c']);
    expect(nameToLabels('x\\000\\255y')[0]).toEqual(Buffer.from([0x78, 0, 255, 0x79]));
    expect(nameToLabels('')).toEqual([]);
    expect(nameToLabels('.')).toEqual([]);
  });

  it('gives back the canonical text: lower case, escaped', () => {
    expect(labelsToText(nameToLabels('A\\.B.\\067om'))).toBe('a\\.b.com');
    expect(labelsToText(nameToLabels('www.example.com'), 1)).toBe('example.com');
  });

  it('rejects invalid names with the reason', () => {
    expect(() => nameToLabels('a..b')).toThrow(/empty label/);
    expect(() => nameToLabels(`${'a'.repeat(64)}.com`)).toThrow(/longer than 63/);
    expect(() => nameToLabels(Array<string>(5).fill('a'.repeat(60)).join('.'))).toThrow(/longer than 255/);
    expect(() => nameToLabels('a\\25x')).toThrow(/bad escape/);
    expect(() => nameToLabels('a\\256')).toThrow(/bad escape/);
    expect(() => nameToLabels('bücher.de')).toThrow(/non-ASCII/);
  });

  it('measures wire length', () => {
    expect(nameWireLength('www.example.com')).toBe(17);
    expect(nameWireLength('')).toBe(1);
  });
});

describe('addresses', () => {
  it('formats IPv6 per RFC 5952', () => {
    const v6 = (text: string) => addressToText(2, Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray()), 0, 16);
    expect(v6('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(v6('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(v6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(v6('::')).toBe('::');
    expect(v6('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(v6('1:0:3:4:5:6:7:8')).toBe('1:0:3:4:5:6:7:8');
  });

  it('pads short addresses with zero bytes', () => {
    expect(addressToText(1, Buffer.from([10, 1]), 0, 2)).toBe('10.1.0.0');
    expect(addressToText(2, Buffer.from([0x20, 0x01, 0x0d]), 0, 3)).toBe('2001:d00::');
  });
});
