// What the in-cluster source publishes from what its list+watch loops see.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CompiledZone } from '../../../../api/compiled.ts';
import { HEALTH_CONFIGMAP, HEALTH_KEY, REVISION_ANNOTATION } from '../../../../api/configmaps.ts';
import type { HealthTable } from '../../../../api/health.ts';
import { ClusterView } from '../../../../dnsserver/sources/cluster-view.ts';
import { MeteredSink } from '../../../../dnsserver/sources/metered-sink.ts';
import type { ConfigMapObject } from '../../../../dnsserver/sources/zone-configmaps.ts';
import { healthDoc, zoneDoc } from '../../../support/documents.ts';

let version = 0;
const meta = (name: string, annotations?: Record<string, string>) => ({
  namespace: 'geodns',
  name,
  resourceVersion: String(++version),
  ...(annotations ? { annotations } : {}),
});
const zoneMap = (apex: string, serial: number): ConfigMapObject => ({
  metadata: meta(`geodns-zone-${apex}`),
  data: { [`${apex}.json`]: JSON.stringify(zoneDoc(apex, serial)) },
});
const healthMap = (revision: number, up: boolean): ConfigMapObject => ({
  metadata: meta(HEALTH_CONFIGMAP, { [REVISION_ANNOTATION]: String(revision) }),
  data: { [HEALTH_KEY]: JSON.stringify(healthDoc({ 'apps/www/eu': { up, since: '2026-01-01T00:00:00Z' } })) },
});

function view() {
  const published: string[] = [];
  const sink = new MeteredSink('cluster', {
    setZones: (zones: CompiledZone[]) => published.push(`zones ${zones.map((z) => `${z.zone}@${z.serial}`).join(',')}`),
    setHealth: (table: HealthTable) =>
      published.push(
        `health ${Object.values(table.targets)
          .map((t) => (t.up ? 'up' : 'down'))
          .join(',')}`,
      ),
  });
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line).msg as string) });
  return { view: new ClusterView({ sink, log, namespace: 'geodns' }), published, logs };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ClusterView', () => {
  it('publishes nothing until zones and health were both listed, then health first and zones', async () => {
    const { view: v, published } = view();
    let served = false;
    void v.served.then(() => (served = true));
    v.zonesListed([zoneMap('a.test', 1)]);
    await tick();
    expect(published).toEqual([]);
    v.healthListed([healthMap(1, false)]);
    await tick();
    expect(published).toEqual(['health down', 'zones a.test@1']);
    expect(served).toBe(true);
    expect(v.isServed).toBe(true);
  });

  it('publishes an empty set and no health when the namespace holds nothing yet', async () => {
    const { view: v, published } = view();
    v.zonesListed([]);
    v.healthListed([]);
    await tick();
    expect(published).toEqual(['health ', 'zones ']);
  });

  it('publishes a burst of changes once, and only what changed', async () => {
    const { view: v, published } = view();
    v.zonesListed([zoneMap('a.test', 1)]);
    v.healthListed([healthMap(1, true)]);
    await tick();
    published.length = 0;
    v.zoneChanged('ADDED', zoneMap('b.test', 1));
    v.zoneChanged('MODIFIED', zoneMap('a.test', 2));
    await tick();
    v.healthChanged('MODIFIED', healthMap(2, false));
    await tick();
    v.zonesListed([zoneMap('a.test', 2), zoneMap('b.test', 1)]); // a relist after 410: same content
    await tick();
    expect(published).toEqual(['zones a.test@2,b.test@1', 'health down']);
  });

  it('takes a deleted zone away, and drops the health overrides when the health ConfigMap goes', async () => {
    const { view: v, published, logs } = view();
    const a = zoneMap('a.test', 1);
    v.zonesListed([a, zoneMap('b.test', 1)]);
    v.healthListed([healthMap(1, false)]);
    await tick();
    published.length = 0;
    v.zoneChanged('DELETED', a);
    v.healthChanged('DELETED', healthMap(1, false));
    await tick();
    expect(published).toEqual(['health ', 'zones b.test@1']);
    expect(logs).toContain('zone ConfigMap deleted');
    expect(logs).toContain('health ConfigMap gone; answers use the health recorded in the zones');
  });

  it('logs each refusal and keeps the last good zone', async () => {
    const { view: v, published, logs } = view();
    v.zonesListed([zoneMap('a.test', 1)]);
    v.healthListed([]);
    await tick();
    published.length = 0;
    v.zoneChanged('MODIFIED', { metadata: meta('geodns-zone-a.test'), data: { 'a.test.json': 'nope' } });
    await tick();
    expect(published).toEqual([]);
    expect(logs).toContain(
      'ConfigMap geodns/geodns-zone-a.test: refused; still serving its last good version (zone "a.test" serial 1)',
    );
  });
});
