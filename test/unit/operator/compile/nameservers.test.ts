import { describe, expect, it } from 'vitest';
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint, input, zone } from '../../../support/resources.ts';
import { cond, doc, rrset } from '../../../support/compile-output.ts';

describe('apex NS, glue and delegation', () => {
  it('publishes spec.nameServers as the apex NS with the default TTL and glue for in-zone servers', () => {
    const out = compile(
      input({
        zones: [
          zone('geo', {
            defaultTTL: 120,
            nameServers: [
              { name: 'NS1.geo.example.com.', addresses: ['2001:db8::53', '192.0.2.53'] },
              { name: 'ns.example.net', addresses: ['198.51.100.1'] },
            ],
          }),
        ],
      }),
    );
    const d = doc(out);
    expect(d.ns).toEqual({ ttl: 120, names: ['ns.example.net', 'ns1.geo.example.com'] });
    expect(d.soa.mname).toBe('ns1.geo.example.com');
    expect(rrset(d, 'ns1.geo.example.com', 'A')).toEqual({
      name: 'ns1.geo.example.com',
      type: 'A',
      ttl: 120,
      data: ['192.0.2.53'],
    });
    expect(rrset(d, 'ns1.geo.example.com', 'AAAA')?.data).toEqual(['2001:db8::53']);
    expect(d.records.some((r) => r.name === 'ns.example.net')).toBe(false);
  });

  it('reports missing glue for an in-zone name server without failing the zone', () => {
    const out = compile(input({ zones: [zone('geo', { nameServers: [{ name: 'ns1.geo.example.com' }] })] }));
    expect(doc(out).ns.names).toEqual(['ns1.geo.example.com']);
    const accepted = cond(out, 'GeoZone', 'geo', 'Accepted');
    expect(accepted.status).toBe('True');
    expect(accepted.message).toContain(
      'nameServers[0] "ns1.geo.example.com": the name server is inside the zone but has no glue',
    );
  });

  it('refuses NS records at the apex in spec.records', () => {
    const out = compile(
      input({ zones: [zone('geo', { records: [{ name: '@', type: 'NS', values: ['ns9.example.net.'] }] })] }),
    );
    expect(rrset(doc(out), 'geo.example.com', 'NS')).toBeUndefined();
    expect(cond(out, 'GeoZone', 'geo', 'Accepted').message).toContain(
      'NS records at the apex come from spec.nameServers',
    );
  });

  it('serves NS below the apex as a delegation, keeps its glue and reports occluded data', () => {
    const out = compile(
      input({
        zones: [
          zone('geo', {
            records: [
              { name: 'sub', type: 'NS', values: ['ns1.sub', 'ns.example.org.'] },
              { name: 'ns1.sub', type: 'A', values: ['192.0.2.7'] },
              { name: 'www.sub', type: 'A', values: ['192.0.2.8'] },
              { name: 'sub', type: 'TXT', values: ['hidden'] },
            ],
          }),
        ],
        endpoints: [endpoint('team', 'app', { hostname: 'app.sub.geo.example.com' })],
      }),
    );
    const d = doc(out);
    expect(rrset(d, 'sub.geo.example.com', 'NS')?.data).toEqual(['ns.example.org', 'ns1.sub.geo.example.com']);
    expect(rrset(d, 'ns1.sub.geo.example.com', 'A')?.data).toEqual(['192.0.2.7']);
    expect(rrset(d, 'www.sub.geo.example.com', 'A')).toBeUndefined();
    expect(rrset(d, 'sub.geo.example.com', 'TXT')).toBeUndefined();
    const message = cond(out, 'GeoZone', 'geo', 'Accepted').message;
    expect(message).toContain(
      'records[2] (www.sub.geo.example.com A): occluded by the delegation of sub.geo.example.com',
    );
    expect(message).toContain('records[3] (sub.geo.example.com TXT): occluded');
    expect(cond(out, 'GeoEndpoint', 'app', 'Accepted', 'team')).toMatchObject({
      status: 'False',
      reason: 'HostnameDelegated',
    });
    expect(d.routed).toEqual([]);
  });
});
