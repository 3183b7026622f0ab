import { describe, expect, it } from 'vitest';
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint, input, zone } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

describe('zones', () => {
  it('gives an apex to the older of two GeoZones; the other says Conflict and has no document', () => {
    const out = compile(
      input({
        zones: [
          zone('young', { apex: 'Geo.Example.com.' }, { creationTimestamp: '2026-03-01T00:00:00Z' }),
          zone('old', {}, { creationTimestamp: '2026-01-01T00:00:00Z' }),
        ],
      }),
    );
    expect(out.zones).toHaveLength(1);
    expect(doc(out).source).toBe('old');
    expect(cond(out, 'GeoZone', 'young', 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'Conflict',
      message: 'apex geo.example.com is already served by GeoZone old, which is older',
    });
    expect(cond(out, 'GeoZone', 'young', 'Ready').status).toBe('False');
    expect(cond(out, 'GeoZone', 'old', 'Accepted').status).toBe('True');
  });

  it('breaks a creationTimestamp tie by name', () => {
    const out = compile(input({ zones: [zone('b'), zone('a')] }));
    expect(doc(out).source).toBe('a');
    expect(cond(out, 'GeoZone', 'b', 'Accepted').reason).toBe('Conflict');
  });

  it('refuses endpoints that name the losing zone with ZoneNotAccepted', () => {
    const out = compile(
      input({
        zones: [zone('a'), zone('b')],
        endpoints: [endpoint('team', 'www', { zoneRef: { name: 'b' } })],
      }),
    );
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team')).toMatchObject({
      status: 'False',
      reason: 'ZoneNotAccepted',
    });
  });

  it('serves a zone nested inside another zone as a zone of its own', () => {
    const out = compile(
      input({
        zones: [zone('parent', { apex: 'example.com' }), zone('geo')],
        endpoints: [endpoint('team', 'www')],
      }),
    );
    expect(out.zones.map((z) => z.zone)).toEqual(['example.com', 'geo.example.com']);
    expect(doc(out).routed.map((r) => r.name)).toEqual(['www.geo.example.com']);
    expect(cond(out, 'GeoZone', 'parent', 'Accepted').status).toBe('True');
  });

  it('sorts custom networks, normalises their CIDR and reports bad ones', () => {
    const out = compile(
      input({
        zones: [
          zone('geo', {
            networks: [
              { cidr: 'fd00:1::/48', location: { region: 'dc-b' } },
              { cidr: '10.20.3.4/16', location: { region: 'dc-a' } },
              { cidr: '10.0.0.0/8', location: { country: 'DE' } },
              { cidr: '10.20.0.0/16', location: { region: 'dup' } },
              { cidr: '300.0.0.0/8', location: {} },
            ],
          }),
        ],
      }),
    );
    expect(doc(out).networks).toEqual([
      { cidr: '10.0.0.0/8', location: { country: 'DE' } },
      { cidr: '10.20.0.0/16', location: { region: 'dc-a' } },
      { cidr: 'fd00:1::/48', location: { region: 'dc-b' } },
    ]);
    const message = cond(out, 'GeoZone', 'geo', 'Accepted').message;
    expect(message).toContain('networks[3] (10.20.0.0/16): the same network as networks[1]');
    expect(message).toContain('networks[4] (300.0.0.0/8): not an IPv4 or IPv6 network');
  });

  it('builds SOA fields and Gateway-style conditions with generation and compile time', () => {
    const out = compile(input({ zones: [zone('geo', {}, { generation: 7 })] }));
    const d = doc(out);
    expect(d.format).toBe('geodns.io/compiled-zone/v1');
    expect(d.soa).toEqual({
      mname: 'ns1.example.net',
      rname: 'hostmaster.example.com',
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 3600,
    });
    expect(cond(out, 'GeoZone', 'geo', 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: `serial ${d.serial}: 0 static rrset(s), 0 GeoEndpoint(s) served`,
      observedGeneration: 7,
      lastTransitionTime: '2026-11-23T10:00:00.000Z',
    });
    expect(out.results.find((r) => r.kind === 'GeoZone')?.summary).toEqual({
      serial: d.serial,
      contentHash: d.contentHash,
      endpoints: 0,
    });
  });
});
