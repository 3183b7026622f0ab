import { describe, expect, it } from 'vitest';
import {
  importedDown,
  importedServices,
  isImportedSlice,
  MCS_SERVICE_NAME_LABEL,
  MCS_SOURCE_CLUSTER_LABEL,
  type ImportedSliceObject,
  type ServiceImportObject,
} from '../../../../operator/inputs/service-imports.ts';
import { endpoint, target } from '../../../support/resources.ts';

const serviceImport = (name: string, clusters: string[] = [], ips?: string[]): ServiceImportObject => ({
  metadata: { name, namespace: 'web' },
  spec: { type: ips ? 'ClusterSetIP' : 'Headless', ...(ips ? { ips } : {}) },
  status: { clusters: clusters.map((cluster) => ({ cluster })) },
});

const slice = (
  name: string,
  service: string,
  cluster: string,
  endpoints: { addresses: string[]; ready?: boolean | null }[],
  addressType = 'IPv4',
): ImportedSliceObject => ({
  metadata: {
    name,
    namespace: 'web',
    labels: { [MCS_SERVICE_NAME_LABEL]: service, [MCS_SOURCE_CLUSTER_LABEL]: cluster },
  },
  addressType,
  endpoints: endpoints.map((e) => ({
    addresses: e.addresses,
    ...(e.ready !== undefined ? { conditions: { ready: e.ready } } : {}),
  })),
});

describe('MCS imports', () => {
  it('serves the ready endpoints of every imported slice, both families, with the exporting clusters', () => {
    const [www] = importedServices(
      [serviceImport('www', ['eu'], ['198.18.0.10'])],
      [
        slice('www-eu-4', 'www', 'eu', [{ addresses: ['192.0.2.2'] }, { addresses: ['192.0.2.1'], ready: null }]),
        slice('www-eu-6', 'www', 'eu', [{ addresses: ['2001:db8::1'], ready: true }], 'IPv6'),
        slice('www-us-4', 'www', 'us', [{ addresses: ['192.0.2.9'], ready: false }]),
        slice('www-fqdn', 'www', 'us', [{ addresses: ['www.example.net'] }], 'FQDN'),
        slice('other', 'other', 'eu', [{ addresses: ['192.0.2.50'] }]),
        { metadata: { name: 'local', namespace: 'web', labels: { 'kubernetes.io/service-name': 'www' } } },
      ],
    );
    expect(www).toEqual({
      namespace: 'web',
      name: 'www',
      clusters: ['eu', 'us'],
      addresses: ['192.0.2.1', '192.0.2.2', '2001:db8::1'],
      clusterIPs: ['198.18.0.10'],
      ready: true,
    });
  });

  it('keeps every address while none is ready, down; an import without slices has none', () => {
    const imported = importedServices(
      [serviceImport('www', ['eu']), serviceImport('api')],
      [slice('www-eu', 'www', 'eu', [{ addresses: ['192.0.2.2'], ready: false }])],
    );
    expect(imported.map((i) => [i.name, i.addresses, i.ready])).toEqual([
      ['api', [], false],
      ['www', ['192.0.2.2'], false],
    ]);
    const down = importedDown(
      [
        endpoint('web', 'www', {
          targets: [
            target('eu', { service: { name: 'www' } }),
            target('api', { service: { name: 'api' } }),
            target('local', { service: { name: 'api' } }),
            target('dc', { addresses: ['203.0.113.7'] }),
          ],
        }),
        endpoint('web', 'other', { targets: [target('api', { service: { name: 'api' } })] }),
      ],
      new Set(['web/nothing']),
      imported,
    );
    expect(Object.fromEntries(down)).toEqual({
      'web/www/eu': 'ServiceImport web/www (clusters: eu) has no ready endpoints',
      'web/www/api': 'ServiceImport web/api has no ready endpoints',
      'web/www/local': 'ServiceImport web/api has no ready endpoints',
      'web/other/api': 'ServiceImport web/api has no ready endpoints',
    });
    // A local Service of the same name wins: its own readiness counts, not the import's.
    expect(
      importedDown(
        [endpoint('web', 'www', { targets: [target('eu', { service: { name: 'www' } })] })],
        new Set(['web/www']),
        imported,
      ).size,
    ).toBe(0);
  });

  it('leaves out deleting objects and tells imported slices from local ones', () => {
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    const gone = slice('www-eu', 'www', 'eu', [{ addresses: ['192.0.2.2'] }]);
    gone.metadata = { ...gone.metadata, ...deleting };
    expect(importedServices([serviceImport('www')], [gone])[0]?.addresses).toEqual([]);
    const leaving = serviceImport('www');
    leaving.metadata = { ...leaving.metadata, ...deleting };
    expect(importedServices([leaving], [])).toEqual([]);
    expect(isImportedSlice(gone)).toBe(true);
    expect(isImportedSlice({ metadata: { labels: { 'kubernetes.io/service-name': 'www' } } })).toBe(false);
  });
});
