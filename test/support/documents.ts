// Compiled documents as the operator publishes them and the DNS server reads them: zones (a small failover zone,
// the same with two targets, the rich example zone the answer and handler tests ask) and health tables; and writing
// them as the operator does.
import { rename, writeFile } from 'node:fs/promises';
import { COMPILED_FORMAT, type CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';

export function zoneDoc(zone: string, serial: number, extra: Partial<CompiledZone> = {}): CompiledZone {
  return {
    format: COMPILED_FORMAT,
    zone,
    source: zone.split('.')[0] ?? zone,
    serial,
    contentHash: `hash-${serial}`,
    soa: {
      mname: `ns1.${zone}`,
      rname: `hostmaster.${zone}`,
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 3600,
    },
    ns: { ttl: 3600, names: [`ns1.${zone}`] },
    records: [{ name: `ns1.${zone}`, type: 'A', ttl: 3600, data: ['192.0.2.53'] }],
    routed: [
      {
        name: `www.${zone}`,
        source: 'apps/www',
        ttl: 30,
        policy: 'failover',
        maxAnswers: 8,
        targets: [
          {
            id: 'apps/www/eu',
            name: 'eu',
            addresses: ['192.0.2.10'],
            location: { continent: 'EU' },
            weight: 1,
            priority: 0,
            healthy: true,
          },
        ],
      },
    ],
    networks: [{ cidr: '10.0.0.0/8', location: { region: 'office' } }],
    ...extra,
  };
}

export const EU = '192.0.2.10';
export const US = '198.51.100.10';

/** A zone with www failing over from eu (priority 0) to us (priority 1), and `extra` records. */
export function failoverZone(apex: string, serial: number, eu = EU, extra: CompiledZone['records'] = []): CompiledZone {
  const base = zoneDoc(apex, serial);
  const target = base.routed[0]?.targets[0];
  if (!target) throw new Error('fixture zone without a target');
  return {
    ...base,
    records: [...base.records, ...extra],
    routed: [
      {
        ...(base.routed[0] as CompiledZone['routed'][number]),
        targets: [
          { ...target, id: 'apps/www/eu', name: 'eu', addresses: [eu], priority: 0 },
          { ...target, id: 'apps/www/us', name: 'us', addresses: [US], location: { continent: 'NA' }, priority: 1 },
        ],
      },
    ],
  };
}

/** The zone the zone, answer and handler tests ask: static records, CNAME chains and loops, a delegation,
 * wildcards, a geo name and a weighted one. */
export function exampleZone(overrides: Partial<CompiledZone> = {}): CompiledZone {
  return {
    format: COMPILED_FORMAT,
    zone: 'geo.example',
    source: 'geo-example',
    serial: 42,
    contentHash: 'test',
    soa: {
      mname: 'ns1.geo.example',
      rname: 'hostmaster.geo.example',
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 300,
    },
    ns: { ttl: 3600, names: ['ns1.geo.example', 'ns.elsewhere.example'] },
    records: [
      { name: 'ns1.geo.example', type: 'A', ttl: 3600, data: ['192.0.2.53'] },
      { name: 'ns1.geo.example', type: 'AAAA', ttl: 3600, data: ['2001:db8::53'] },
      { name: 'static.geo.example', type: 'A', ttl: 120, data: ['192.0.2.10', '192.0.2.11'] },
      { name: 'static.geo.example', type: 'TXT', ttl: 120, data: [['hello', 'world']] },
      { name: 'geo.example', type: 'MX', ttl: 300, data: [{ preference: 10, exchange: 'mail.geo.example' }] },
      { name: 'mail.geo.example', type: 'A', ttl: 300, data: ['192.0.2.25'] },
      { name: 'deep.ent.geo.example', type: 'A', ttl: 60, data: ['192.0.2.30'] },
      { name: 'alias.geo.example', type: 'CNAME', ttl: 60, data: ['alias2.geo.example'] },
      { name: 'alias2.geo.example', type: 'CNAME', ttl: 60, data: ['static.geo.example'] },
      { name: 'to-www.geo.example', type: 'CNAME', ttl: 60, data: ['www.geo.example'] },
      { name: 'outside.geo.example', type: 'CNAME', ttl: 60, data: ['www.example.org'] },
      { name: 'dangling.geo.example', type: 'CNAME', ttl: 60, data: ['missing.geo.example'] },
      { name: 'loop1.geo.example', type: 'CNAME', ttl: 60, data: ['loop2.geo.example'] },
      { name: 'loop2.geo.example', type: 'CNAME', ttl: 60, data: ['loop1.geo.example'] },
      { name: 'sub.geo.example', type: 'NS', ttl: 3600, data: ['ns.sub.geo.example', 'ns.other.example'] },
      { name: 'ns.sub.geo.example', type: 'A', ttl: 3600, data: ['192.0.2.99'] },
      { name: 'to-sub.geo.example', type: 'CNAME', ttl: 60, data: ['host.sub.geo.example'] },
      { name: '*.wild.geo.example', type: 'A', ttl: 90, data: ['192.0.2.88'] },
      { name: '*.wild.geo.example', type: 'TXT', ttl: 90, data: [['wildcard']] },
      { name: 'exists.wild.geo.example', type: 'AAAA', ttl: 90, data: ['2001:db8::88'] },
      { name: '*.wcname.geo.example', type: 'CNAME', ttl: 90, data: ['static.geo.example'] },
    ],
    routed: [
      {
        name: 'www.geo.example',
        source: 'web/www',
        ttl: 30,
        policy: 'geo',
        maxAnswers: 4,
        targets: [
          {
            id: 'web/www/eu',
            name: 'eu',
            addresses: ['198.51.100.1', '2001:db8:e::1'],
            location: { continent: 'EU', latitude: 50.1, longitude: 8.7 },
            weight: 1,
            priority: 0,
            healthy: true,
          },
          {
            id: 'web/www/us',
            name: 'us',
            addresses: ['203.0.113.1'],
            location: { continent: 'NA', latitude: 39, longitude: -77 },
            weight: 1,
            priority: 0,
            healthy: true,
          },
        ],
      },
      {
        name: 'lb.geo.example',
        source: 'web/lb',
        ttl: 20,
        policy: 'weighted',
        maxAnswers: 2,
        targets: [
          {
            id: 'web/lb/a',
            name: 'a',
            addresses: ['192.0.2.101'],
            location: {},
            weight: 1,
            priority: 0,
            healthy: true,
          },
          {
            id: 'web/lb/b',
            name: 'b',
            addresses: ['192.0.2.102'],
            location: {},
            weight: 0,
            priority: 0,
            healthy: true,
          },
        ],
      },
    ],
    networks: [{ cidr: '10.0.0.0/8', location: { continent: 'NA', region: 'corp' } }],
    ...overrides,
  };
}

export function healthDoc(targets: HealthTable['targets']): HealthTable {
  return { format: 'geodns.io/health/v1', targets };
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** Writes like the operator does: a temporary file renamed over the target, so readers never see half a file. */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}
