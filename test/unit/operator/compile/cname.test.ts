import { describe, expect, it } from 'vitest';
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint, input, zone } from '../../../support/resources.ts';
import { cond, doc, rrset } from '../../../support/compile-output.ts';

describe('CNAME stands alone', () => {
  it('refuses a CNAME after other data at the same name, naming the other record', () => {
    const out = compile(
      input({
        zones: [
          zone('geo', {
            records: [
              { name: 'www', type: 'TXT', values: ['hello'] },
              { name: 'www', type: 'CNAME', values: ['elsewhere.example.org.'] },
            ],
          }),
        ],
      }),
    );
    expect(rrset(doc(out), 'www.geo.example.com', 'CNAME')).toBeUndefined();
    expect(rrset(doc(out), 'www.geo.example.com', 'TXT')).toBeDefined();
    expect(cond(out, 'GeoZone', 'geo', 'Accepted').message).toContain(
      'records[1] (www CNAME): CNAMEConflict: www.geo.example.com already holds TXT records (records[0])',
    );
  });

  it('refuses other data after a CNAME', () => {
    const out = compile(
      input({
        zones: [
          zone('geo', {
            records: [
              { name: 'www', type: 'CNAME', values: ['elsewhere.example.org.'] },
              { name: 'www', type: 'A', values: ['192.0.2.1'] },
            ],
          }),
        ],
      }),
    );
    expect(rrset(doc(out), 'www.geo.example.com', 'A')).toBeUndefined();
    expect(cond(out, 'GeoZone', 'geo', 'Accepted').message).toContain('records[1] (www A): CNAMEConflict');
  });

  it('refuses a CNAME at the apex', () => {
    const out = compile(
      input({ zones: [zone('geo', { records: [{ name: '@', type: 'CNAME', values: ['x.example.org.'] }] })] }),
    );
    expect(rrset(doc(out), 'geo.example.com', 'CNAME')).toBeUndefined();
    expect(cond(out, 'GeoZone', 'geo', 'Accepted').message).toContain('a CNAME cannot be at the apex');
  });

  it('refuses a routed name where the zone has a static CNAME, and the zone still serves', () => {
    const out = compile(
      input({
        zones: [zone('geo', { records: [{ name: 'www', type: 'CNAME', values: ['x.example.org.'] }] })],
        endpoints: [endpoint('team', 'www'), endpoint('team', 'api')],
      }),
    );
    const accepted = cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team');
    expect(accepted).toMatchObject({ status: 'False', reason: 'CNAMEConflict' });
    expect(accepted.message).toContain('CNAME at www.geo.example.com (spec.records[0])');
    expect(doc(out).routed.map((r) => r.name)).toEqual(['api.geo.example.com']);
    expect(rrset(doc(out), 'www.geo.example.com', 'CNAME')).toBeDefined();
  });

  it('refuses a routed name where the zone has static addresses', () => {
    const out = compile(
      input({
        zones: [zone('geo', { records: [{ name: 'www', type: 'A', values: ['192.0.2.1'] }] })],
        endpoints: [endpoint('team', 'www')],
      }),
    );
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'team')).toMatchObject({
      status: 'False',
      reason: 'RecordConflict',
    });
  });
});
