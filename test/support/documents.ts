import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';

export function zoneDoc(zone: string, serial: number, extra: Partial<CompiledZone> = {}): CompiledZone {
  return {
    format: 'geodns.io/compiled-zone/v1',
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

export function healthDoc(targets: HealthTable['targets']): HealthTable {
  return { format: 'geodns.io/health/v1', targets };
}

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'geodns-config-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** Writes like the operator does: a temporary file renamed over the target, so readers never see half a file. */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}
