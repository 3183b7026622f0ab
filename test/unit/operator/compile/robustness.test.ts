import { describe, expect, it } from 'vitest';
import type { GeoEndpoint } from '../../../../api/geoendpoint.ts';
import type { GeoZone } from '../../../../api/geozone.ts';
import { compile } from '../../../../operator/compile/index.ts';
import { input } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

describe('missing optional fields', () => {
  it('compiles resources that carry only their required fields, without defaults applied', () => {
    const bareZone = {
      apiVersion: 'geodns.io/v1alpha1',
      kind: 'GeoZone',
      metadata: { name: 'geo' },
      spec: { apex: 'geo.example.com', nameServers: [{ name: 'ns1.example.net' }] },
    } as unknown as GeoZone;
    const bareEndpoint = {
      apiVersion: 'geodns.io/v1alpha1',
      kind: 'GeoEndpoint',
      metadata: { name: 'www', namespace: 'team' },
      spec: {
        zoneRef: { name: 'geo' },
        hostname: 'www.geo.example.com',
        targets: [{ name: 'a', addresses: ['192.0.2.1'] }],
      },
    } as unknown as GeoEndpoint;
    const out = compile(input({ zones: [bareZone], endpoints: [bareEndpoint] }));
    const d = doc(out);
    expect(d.soa).toMatchObject({ rname: 'hostmaster.geo.example.com', refresh: 3600, minimum: 60 });
    expect(d.ns.ttl).toBe(300);
    expect(d.routed[0]).toMatchObject({ ttl: 60, policy: 'geo', maxAnswers: 8 });
    expect(d.routed[0]?.targets[0]).toMatchObject({ weight: 1, priority: 0, location: {} });
    expect(cond(out, 'GeoZone', 'geo', 'Ready').observedGeneration).toBeUndefined();
  });

  it('refuses a zone without usable name servers or apex instead of crashing', () => {
    const noServers = {
      apiVersion: 'geodns.io/v1alpha1',
      kind: 'GeoZone',
      metadata: { name: 'a' },
      spec: { apex: 'a.example.com' },
    } as unknown as GeoZone;
    const badApex = {
      apiVersion: 'geodns.io/v1alpha1',
      kind: 'GeoZone',
      metadata: { name: 'b' },
      spec: { apex: 'bad..name', nameServers: [{ name: 'ns1.example.net' }] },
    } as unknown as GeoZone;
    const out = compile(input({ zones: [noServers, badApex] }));
    expect(out.zones).toEqual([]);
    expect(cond(out, 'GeoZone', 'a', 'Accepted')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(cond(out, 'GeoZone', 'b', 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.apex: name "bad..name" has an empty label',
    });
  });
});
