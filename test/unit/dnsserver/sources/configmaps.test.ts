// Zone and health ConfigMaps as the in-cluster source reads them: last good per ConfigMap, revisions that only grow.
import { describe, expect, it } from 'vitest';
import { encodeZoneDocument, HEALTH_KEY, REVISION_ANNOTATION, zoneKey } from '../../../../api/configmaps.ts';
import { HealthConfigMap, parseRevision } from '../../../../dnsserver/sources/health-configmap.ts';
import { ZoneConfigMaps, type ConfigMapObject } from '../../../../dnsserver/sources/zone-configmaps.ts';
import { healthDoc, zoneDoc } from '../../../support/documents.ts';

let version = 0;
function zoneConfigMap(name: string, content: Pick<ConfigMapObject, 'data' | 'binaryData'>): ConfigMapObject {
  return { metadata: { namespace: 'geodns', name, resourceVersion: String(++version) }, ...content };
}
const plain = (apex: string, serial: number, extra = {}) =>
  ({ data: { [zoneKey(apex, false)]: JSON.stringify(zoneDoc(apex, serial, extra)) } }) as const;
const served = (state: ZoneConfigMaps) => state.zones().zones.map((z) => `${z.zone}@${z.serial}`);

describe('ZoneConfigMaps', () => {
  it('serves the zone of each ConfigMap, plain or gzip-compressed in binaryData', () => {
    const state = new ZoneConfigMaps();
    const big = encodeZoneDocument('big.example.com', JSON.stringify(zoneDoc('big.example.com', 3)).padEnd(300_000));
    expect(big.binaryData).toBeDefined();
    const errors = state.replace([
      zoneConfigMap('geodns-zone-b', big),
      zoneConfigMap('geodns-zone-a', plain('a.example.com', 1)),
    ]);
    expect(errors).toEqual([]);
    expect(served(state)).toEqual(['a.example.com@1', 'big.example.com@3']);
  });

  it('keeps the last good version of a ConfigMap whose new version is refused, and names it and its key', () => {
    const state = new ZoneConfigMaps();
    state.apply(zoneConfigMap('geodns-zone-a', plain('a.example.com', 1)));
    const before = state.fingerprint();
    const badTtl = zoneDoc('a.example.com', 2);
    (badTtl.routed[0] as unknown as Record<string, unknown>).ttl = 'thirty';
    const errors = state.apply(
      zoneConfigMap('geodns-zone-a', { data: { 'a.example.com.json': JSON.stringify(badTtl) } }),
    );
    expect(errors).toEqual([
      'ConfigMap geodns/geodns-zone-a a.example.com.json: routed[0].ttl: must be integer',
      'ConfigMap geodns/geodns-zone-a: refused; still serving its last good version (zone "a.example.com" serial 1)',
    ]);
    expect(served(state)).toEqual(['a.example.com@1']);
    expect(state.fingerprint()).toBe(before);
  });

  it('refuses bad JSON, bad gzip, no document, two documents and a health table, serving nothing new', () => {
    const state = new ZoneConfigMaps();
    const cases: [Pick<ConfigMapObject, 'data' | 'binaryData'>, RegExp][] = [
      [
        { data: { 'x.example.com.json': '{ "format": ' } },
        /^ConfigMap geodns\/x x\.example\.com\.json: invalid JSON: /,
      ],
      [
        { binaryData: { 'x.example.com.json.gz': Buffer.from('plain').toString('base64') } },
        /^ConfigMap geodns\/x x\.example\.com\.json\.gz: not gzip-compressed JSON: /,
      ],
      [{ data: { 'README.txt': 'hello' } }, /^ConfigMap geodns\/x: no <apex>\.json or <apex>\.json\.gz key$/],
      [
        { data: { ...plain('x.example.com', 1).data, ...plain('y.example.com', 1).data } },
        /^ConfigMap geodns\/x: holds 2 documents \(x\.example\.com\.json, y\.example\.com\.json\); a zone holds one$/,
      ],
      [{ data: { 'health.json': JSON.stringify(healthDoc({})) } }, /^ConfigMap geodns\/x health\.json: a health table/],
    ];
    for (const [content, message] of cases) {
      const errors = state.apply(zoneConfigMap('x', content));
      expect(errors[0]).toMatch(message);
      expect(errors.at(-1)).toBe('ConfigMap geodns/x: refused; nothing served from it');
    }
    expect(served(state)).toEqual([]);
  });

  it('reads (and reports) each resourceVersion once', () => {
    const state = new ZoneConfigMaps();
    const bad = zoneConfigMap('x', { data: { 'x.example.com.json': 'nope' } });
    expect(state.apply(bad)).toHaveLength(2);
    expect(state.replace([bad])).toEqual([]);
  });

  it('stops serving a zone whose ConfigMap is deleted or missing from a fresh list', () => {
    const state = new ZoneConfigMaps();
    const a = zoneConfigMap('geodns-zone-a', plain('a.example.com', 1));
    const b = zoneConfigMap('geodns-zone-b', plain('b.example.com', 1));
    state.replace([a, b]);
    state.delete(a);
    expect(served(state)).toEqual(['b.example.com@1']);
    state.replace([]);
    expect(served(state)).toEqual([]);
    expect(state.fingerprint()).toBe('');
  });

  it('serves an apex claimed by two ConfigMaps from the first by name, and reports the other', () => {
    const state = new ZoneConfigMaps();
    state.replace([
      zoneConfigMap('geodns-zone-b', plain('a.example.com', 2)),
      zoneConfigMap('geodns-zone-a', plain('a.example.com', 1)),
    ]);
    expect(state.zones()).toMatchObject({
      zones: [{ zone: 'a.example.com', serial: 1 }],
      errors: [
        'ConfigMap geodns/geodns-zone-b: zone "a.example.com" is already served from ConfigMap geodns/geodns-zone-a',
      ],
    });
  });

  it('changes its fingerprint only when what is served changes', () => {
    const state = new ZoneConfigMaps();
    state.apply(zoneConfigMap('geodns-zone-a', plain('a.example.com', 1)));
    const first = state.fingerprint();
    state.apply(zoneConfigMap('geodns-zone-a', plain('a.example.com', 1)));
    expect(state.fingerprint()).toBe(first);
    state.apply(zoneConfigMap('geodns-zone-a', plain('a.example.com', 2)));
    expect(state.fingerprint()).not.toBe(first);
  });
});

function healthConfigMap(revision: string | undefined, data: Record<string, string>): ConfigMapObject {
  return {
    metadata: {
      namespace: 'geodns',
      name: 'geodns-health',
      resourceVersion: String(++version),
      ...(revision !== undefined ? { annotations: { [REVISION_ANNOTATION]: revision } } : {}),
    },
    data,
  };
}
const since = '2026-01-01T00:00:00Z';
const table = (up: boolean) => ({ [HEALTH_KEY]: JSON.stringify(healthDoc({ 'apps/www/eu': { up, since } })) });

describe('HealthConfigMap', () => {
  it('applies only revisions greater than the one applied, compared as integers', () => {
    const health = new HealthConfigMap();
    expect(health.offer(healthConfigMap('9', table(true)))).toMatchObject({ kind: 'apply', revision: 9n });
    expect(health.offer(healthConfigMap('10', table(false)))).toMatchObject({
      kind: 'apply',
      revision: 10n,
      table: { targets: { 'apps/www/eu': { up: false } } },
    });
    expect(health.offer(healthConfigMap('9', table(true)))).toEqual({
      kind: 'stale',
      message: 'ConfigMap geodns/geodns-health: revision 9 is not newer than revision 10, applied; ignored',
    });
    expect(health.offer(healthConfigMap('10', table(true))).kind).toBe('stale');
    expect(health.offer(healthConfigMap('10', table(false)))).toEqual({ kind: 'seen' }); // a relabel, say
    expect(health.revision).toBe(10n);
  });

  it('accepts any revision first, and again after the ConfigMap is gone', () => {
    const health = new HealthConfigMap();
    expect(health.offer(healthConfigMap('500', table(true))).kind).toBe('apply');
    health.clear();
    expect(health.offer(healthConfigMap('1', table(true))).kind).toBe('apply');
  });

  it('does not read the same resourceVersion twice', () => {
    const health = new HealthConfigMap();
    const configMap = healthConfigMap('1', table(true));
    expect(health.offer(configMap).kind).toBe('apply');
    expect(health.offer(configMap)).toEqual({ kind: 'seen' });
  });

  it('refuses a missing or malformed revision, a missing key and a bad table, keeping the applied one', () => {
    const health = new HealthConfigMap();
    expect(health.offer(healthConfigMap(undefined, table(true)))).toEqual({
      kind: 'invalid',
      errors: [
        'ConfigMap geodns/geodns-health: annotation geodns.io/revision: expected a decimal integer, got none',
        'ConfigMap geodns/geodns-health: refused; no health table from it is applied',
      ],
    });
    health.offer(healthConfigMap('3', table(true)));
    const refusals = [
      healthConfigMap('-4', table(true)),
      healthConfigMap('4', {}),
      healthConfigMap('4', { [HEALTH_KEY]: '{' }),
      healthConfigMap('4', {
        [HEALTH_KEY]: JSON.stringify({ format: 'geodns.io/health/v1', targets: { x: { up: 1 } } }),
      }),
    ];
    const first = refusals.map((c) => {
      const offer = health.offer(c);
      return offer.kind === 'invalid' ? offer.errors[0] : offer.kind;
    });
    expect(first).toEqual([
      'ConfigMap geodns/geodns-health: annotation geodns.io/revision: expected a decimal integer, got "-4"',
      'ConfigMap geodns/geodns-health: no health.json key',
      expect.stringMatching(/^ConfigMap geodns\/geodns-health health\.json: invalid JSON: /),
      'ConfigMap geodns/geodns-health health.json: targets.x.since: required field missing',
    ]);
    expect(health.revision).toBe(3n);
  });

  it('parses revisions as exact decimal integers', () => {
    expect(parseRevision('18446744073709551617')).toBe(18446744073709551617n);
    expect(parseRevision('1e3')).toBeUndefined();
    expect(parseRevision('')).toBeUndefined();
    expect(parseRevision(' 1')).toBeUndefined();
  });
});
