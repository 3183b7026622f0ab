import { describe, expect, it } from 'vitest';
import { createSnapshot, lookup, TYPE, type LookupResult } from '../../../../dnsserver/zone/index.ts';
import { exampleZone } from '../../../support/documents.ts';

const snapshot = createSnapshot([
  exampleZone(),
  exampleZone({
    zone: 'child.geo.example',
    records: [],
    routed: [],
    networks: [],
    ns: { ttl: 60, names: ['ns1.geo.example'] },
  }),
]);
const zone = snapshot.findZone('geo.example')!;
const find = (name: string, type: number) => lookup(zone, name, type);
const owners = (result: LookupResult) =>
  result.kind === 'referral'
    ? []
    : result.parts.map((p) =>
        p.kind === 'static' ? `${p.rrset.name}/${p.rrset.type}` : `${p.name}/routed-${p.family}`,
      );

describe('findZone', () => {
  it('matches the longest apex at a label boundary', () => {
    expect(snapshot.findZone('x.child.geo.example')?.apex).toBe('child.geo.example');
    expect(snapshot.findZone('www.geo.example')?.apex).toBe('geo.example');
    expect(snapshot.findZone('geo.example')?.apex).toBe('geo.example');
    expect(snapshot.findZone('notgeo.example')).toBeUndefined();
    expect(snapshot.findZone('example')).toBeUndefined();
    expect(snapshot.findZone('')).toBeUndefined();
  });
});

describe('lookup', () => {
  it('answers apex SOA and NS with glue for in-zone name servers', () => {
    const soa = find('geo.example', TYPE.SOA);
    expect(soa.kind === 'answer' && soa.parts[0]?.kind === 'static' && soa.parts[0].rrset.data[0]).toMatchObject({
      serial: 42,
      minimum: 60,
    });
    const ns = find('geo.example', TYPE.NS);
    expect(ns.kind).toBe('answer');
    expect(ns.kind === 'answer' && ns.additional.map((r) => `${r.name}/${r.type}`)).toEqual([
      'ns1.geo.example/A',
      'ns1.geo.example/AAAA',
    ]);
    expect(zone.negativeTtl).toBe(60);
  });

  it('tells NXDOMAIN from NODATA, and empty non-terminals are NODATA', () => {
    expect(find('nothing.geo.example', TYPE.A).kind).toBe('nxdomain');
    expect(find('static.geo.example', TYPE.MX).kind).toBe('nodata');
    expect(find('ent.geo.example', TYPE.A).kind).toBe('nodata');
    expect(find('x.deep.ent.geo.example', TYPE.A).kind).toBe('nxdomain');
  });

  it('answers NODATA for unknown types at existing names (RFC 8906)', () => {
    expect(find('static.geo.example', 65280).kind).toBe('nodata');
    expect(find('www.geo.example', TYPE.TXT).kind).toBe('nodata');
  });

  it('refers below a delegation with NS and glue', () => {
    for (const name of ['sub.geo.example', 'a.b.sub.geo.example', 'ns.sub.geo.example']) {
      const result = find(name, TYPE.A);
      expect(result.kind).toBe('referral');
      if (result.kind !== 'referral') continue;
      expect(result.ns.data).toEqual(['ns.sub.geo.example', 'ns.other.example']);
      expect(result.glue.map((r) => r.data)).toEqual([['192.0.2.99']]);
    }
  });

  it('answers DS at a delegation point from the parent side (RFC 4035 §3.1.4.1), refers DS below it', () => {
    const atCut = find('sub.geo.example', TYPE.DS);
    expect(atCut.kind).toBe('nodata');
    expect(find('a.sub.geo.example', TYPE.DS).kind).toBe('referral');
    expect(find('sub.geo.example', TYPE.NS).kind).toBe('referral');
  });

  it('follows in-zone CNAME chains and appends the target records', () => {
    const result = find('alias.geo.example', TYPE.A);
    expect(result.kind).toBe('answer');
    expect(owners(result)).toEqual(['alias.geo.example/CNAME', 'alias2.geo.example/CNAME', 'static.geo.example/A']);
    expect(owners(find('to-www.geo.example', TYPE.AAAA))).toEqual([
      'to-www.geo.example/CNAME',
      'www.geo.example/routed-AAAA',
    ]);
    expect(owners(find('alias.geo.example', TYPE.CNAME))).toEqual(['alias.geo.example/CNAME']);
  });

  it('follows a CNAME into a delegation: the CNAME, the delegation NS in authority, glue (RFC 1034 §4.3.2)', () => {
    const result = find('to-sub.geo.example', TYPE.A);
    expect(result.kind).toBe('answer');
    expect(owners(result)).toEqual(['to-sub.geo.example/CNAME']);
    if (result.kind !== 'answer') return;
    expect(result.authority?.map((r) => `${r.name}/${r.type}`)).toEqual(['sub.geo.example/NS']);
    expect(result.additional.map((r) => r.data)).toEqual([['192.0.2.99']]);
  });

  it('stops at out-of-zone targets, dangling targets and loops', () => {
    const outside = find('outside.geo.example', TYPE.A);
    expect(outside.kind).toBe('answer');
    expect(owners(outside)).toEqual(['outside.geo.example/CNAME']);
    const dangling = find('dangling.geo.example', TYPE.A);
    expect(dangling.kind).toBe('nxdomain');
    expect(owners(dangling)).toEqual(['dangling.geo.example/CNAME']);
    const loop = find('loop1.geo.example', TYPE.A);
    expect(loop.kind).toBe('answer');
    expect(owners(loop)).toEqual(['loop1.geo.example/CNAME', 'loop2.geo.example/CNAME']);
  });

  it('synthesizes answers from a wildcard for names that do not exist, owned by the query name (RFC 4592)', () => {
    const synthesized = find('x.wild.geo.example', TYPE.A);
    expect(synthesized.kind).toBe('answer');
    expect(owners(synthesized)).toEqual(['x.wild.geo.example/A']);
    expect(owners(find('a.b.wild.geo.example', TYPE.TXT))).toEqual(['a.b.wild.geo.example/TXT']);
    expect(find('x.wild.geo.example', TYPE.MX).kind).toBe('nodata');
    expect(owners(find('x.wild.geo.example', TYPE.ANY))).toEqual(['x.wild.geo.example/A']);
    // The wildcard's own rrset is not changed for other queries.
    expect(owners(find('*.wild.geo.example', TYPE.A))).toEqual(['*.wild.geo.example/A']);
  });

  it('does not apply a wildcard to existing names, empty non-terminals, or below an existing name', () => {
    expect(find('wild.geo.example', TYPE.A).kind).toBe('nodata');
    expect(find('exists.wild.geo.example', TYPE.A).kind).toBe('nodata');
    expect(find('x.exists.wild.geo.example', TYPE.A).kind).toBe('nxdomain');
    expect(find('x.nothing.geo.example', TYPE.A).kind).toBe('nxdomain');
  });

  it('follows a wildcard CNAME, and answers a wildcard routed name with the query name as owner', () => {
    expect(owners(find('x.wcname.geo.example', TYPE.A))).toEqual([
      'x.wcname.geo.example/CNAME',
      'static.geo.example/A',
    ]);
    const base = exampleZone();
    const www = base.routed.find((r) => r.name === 'www.geo.example')!;
    const withRouted = createSnapshot([exampleZone({ routed: [{ ...www, name: '*.geo.geo.example' }] })]);
    const result = lookup(withRouted.findZone('geo.example')!, 'eu.geo.geo.example', TYPE.A);
    expect(result.kind === 'answer' && result.parts[0]).toMatchObject({
      kind: 'routed',
      name: '*.geo.geo.example',
      owner: 'eu.geo.geo.example',
      family: 'A',
    });
  });

  it('answers ANY with one rrset (RFC 8482)', () => {
    expect(owners(find('static.geo.example', TYPE.ANY))).toEqual(['static.geo.example/A']);
    expect(owners(find('www.geo.example', TYPE.ANY))).toEqual(['www.geo.example/routed-A']);
    expect(owners(find('geo.example', TYPE.ANY))).toEqual(['geo.example/SOA']);
    expect(owners(find('alias.geo.example', TYPE.ANY))).toEqual(['alias.geo.example/CNAME']);
  });

  it('adds in-zone addresses of MX exchanges', () => {
    const mx = find('geo.example', TYPE.MX);
    expect(mx.kind === 'answer' && mx.additional.map((r) => r.name)).toEqual(['mail.geo.example']);
  });

  it('indexes routed names by target id', () => {
    expect(zone.routedByTarget.get('web/www/eu')).toEqual(['www.geo.example']);
  });
});
