import { describe, expect, it } from 'vitest';
import { compile } from '../../../../operator/compile/index.ts';
import { parseTxt } from '../../../../operator/compile/txt.ts';
import { input, zone } from '../../../support/resources.ts';
import { cond, doc, rrset } from '../../../support/compile-output.ts';

type Records = NonNullable<ReturnType<typeof zone>['spec']['records']>;
const compileRecords = (records: Records) => compile(input({ zones: [zone('geo', { records })] }));

describe('static records', () => {
  it('parses every type into dns-packet rdata shapes, relative to the apex', () => {
    const out = compileRecords([
      { name: '@', type: 'A', values: ['192.0.2.10'] },
      { name: 'WWW', type: 'AAAA', values: ['2001:DB8:0:0::1'] },
      { name: 'alias', type: 'CNAME', values: ['www'] },
      { name: 'ext', type: 'CNAME', values: ['Target.Example.ORG.'] },
      { name: '@', type: 'MX', values: ['10 mail', '20 mx.example.org.'] },
      { name: '_sip._tcp', type: 'SRV', values: ['10 5 5060 sip'] },
      { name: '@', type: 'CAA', values: ['0 issue "letsencrypt.org"'] },
      { name: '1', type: 'PTR', values: ['@'] },
      { name: 'www.geo.example.com.', type: 'TXT', values: ['v=spf1 -all'] },
    ]);
    const d = doc(out);
    expect(rrset(d, 'geo.example.com', 'A')?.data).toEqual(['192.0.2.10']);
    expect(rrset(d, 'www.geo.example.com', 'AAAA')?.data).toEqual(['2001:db8::1']);
    expect(rrset(d, 'alias.geo.example.com', 'CNAME')?.data).toEqual(['www.geo.example.com']);
    expect(rrset(d, 'ext.geo.example.com', 'CNAME')?.data).toEqual(['target.example.org']);
    expect(rrset(d, 'geo.example.com', 'MX')?.data).toEqual([
      { preference: 10, exchange: 'mail.geo.example.com' },
      { preference: 20, exchange: 'mx.example.org' },
    ]);
    expect(rrset(d, '_sip._tcp.geo.example.com', 'SRV')?.data).toEqual([
      { priority: 10, weight: 5, port: 5060, target: 'sip.geo.example.com' },
    ]);
    expect(rrset(d, 'geo.example.com', 'CAA')?.data).toEqual([{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }]);
    expect(rrset(d, '1.geo.example.com', 'PTR')?.data).toEqual(['geo.example.com']);
    expect(rrset(d, 'www.geo.example.com', 'TXT')?.data).toEqual([['v=spf1 -all']]);
    expect(cond(out, 'GeoZone', 'geo', 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
  });

  it('uses the record TTL, else the zone defaultTTL', () => {
    const d = doc(
      compileRecords([
        { name: 'a', type: 'A', ttl: 42, values: ['192.0.2.1'] },
        { name: 'b', type: 'A', values: ['192.0.2.2'] },
      ]),
    );
    expect(rrset(d, 'a.geo.example.com', 'A')?.ttl).toBe(42);
    expect(rrset(d, 'b.geo.example.com', 'A')?.ttl).toBe(300);
  });

  it('leaves out a record whose owner is outside the zone, naming it, and compiles the rest', () => {
    const out = compileRecords([
      { name: 'www.other.org.', type: 'A', values: ['192.0.2.1'] },
      { name: 'ok', type: 'A', values: ['192.0.2.2'] },
    ]);
    const d = doc(out);
    expect(d.records.some((r) => r.name === 'www.other.org')).toBe(false);
    expect(rrset(d, 'ok.geo.example.com', 'A')).toBeDefined();
    const accepted = cond(out, 'GeoZone', 'geo', 'Accepted');
    expect(accepted).toMatchObject({ status: 'True', reason: 'RecordsNotValid' });
    expect(accepted.message).toContain('records[0]');
    expect(accepted.message).toContain('outside the zone geo.example.com');
  });

  it('leaves out bad values with the record and value index, keeping good ones', () => {
    const out = compileRecords([
      { name: 'x', type: 'A', values: ['192.0.2.1', '2001:db8::1', '300.1.1.1'] },
      { name: 'm', type: 'MX', values: ['mail'] },
      { name: 's', type: 'SRV', values: ['1 2 70000 t'] },
      { name: 'c', type: 'CAA', values: ['256 issue "x"'] },
    ]);
    const d = doc(out);
    expect(rrset(d, 'x.geo.example.com', 'A')?.data).toEqual(['192.0.2.1']);
    expect(rrset(d, 'm.geo.example.com', 'MX')).toBeUndefined();
    expect(rrset(d, 's.geo.example.com', 'SRV')).toBeUndefined();
    expect(rrset(d, 'c.geo.example.com', 'CAA')).toBeUndefined();
    const message = cond(out, 'GeoZone', 'geo', 'Accepted').message;
    expect(message).toContain('records[0] (x A) value[1]: A value "2001:db8::1" is not an IPv4 address');
    expect(message).toContain('records[0] (x A) value[2]');
    expect(message).toContain('records[1] (m MX) value[0]');
    expect(message).toContain('SRV port "70000"');
    expect(message).toContain('CAA flags 256');
  });

  it('sorts records by name then type and addresses numerically', () => {
    const d = doc(
      compileRecords([
        { name: 'b', type: 'TXT', values: ['t'] },
        { name: 'b', type: 'A', values: ['192.0.2.10', '192.0.2.9'] },
        { name: 'a', type: 'A', values: ['192.0.2.1'] },
      ]),
    );
    expect(d.records.map((r) => `${r.name} ${r.type}`)).toEqual([
      'a.geo.example.com A',
      'b.geo.example.com A',
      'b.geo.example.com TXT',
    ]);
    expect(rrset(d, 'b.geo.example.com', 'A')?.data).toEqual(['192.0.2.9', '192.0.2.10']);
  });
});

describe('TXT presentation format', () => {
  it('reads quoted strings like a zone file, with escapes', () => {
    expect(parseTxt('"v=spf1 include:a" "b c"')).toEqual({ ok: true, strings: ['v=spf1 include:a', 'b c'] });
    expect(parseTxt('"say \\"hi\\"" bare \\065')).toEqual({ ok: true, strings: ['say "hi"', 'bare', 'A'] });
  });

  it('keeps an unquoted value as one text', () => {
    expect(parseTxt('some text here')).toEqual({ ok: true, strings: ['some text here'] });
  });

  it('splits long text into 255-byte character-strings without cutting a UTF-8 character', () => {
    const long = 'x'.repeat(600);
    const result = parseTxt(long);
    expect(result.ok && result.strings.map((s) => s.length)).toEqual([255, 255, 90]);
    const wide = parseTxt('é'.repeat(200)); // 400 bytes
    expect(wide.ok && wide.strings.map((s) => Buffer.byteLength(s))).toEqual([254, 146]);
  });

  it('reports an unterminated quote', () => {
    expect(parseTxt('"open')).toEqual({ ok: false, error: 'unterminated quoted string' });
  });
});
