// Objects as the informer caches hold them → what compile() takes, what is left out as invalid, and which Service
// targets are down for want of ready endpoints.
import { describe, expect, it } from 'vitest';
import {
  clusterSnapshot,
  gatewayAddresses,
  loadBalancerInfo,
  publishedHostnameAddresses,
  readyServices,
  referenceGrantInfo,
  serviceInfo,
  type ClusterObjects,
} from '../../../../operator/inputs/cluster-snapshot.ts';

const NOW = new Date('2026-12-04T00:00:00Z');

const zone = {
  apiVersion: 'geodns.io/v1alpha1',
  kind: 'GeoZone',
  metadata: { name: 'geo', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    apex: 'geo.example.com',
    soa: { hostmaster: 'hostmaster.example.com' },
    nameServers: [{ name: 'ns1.example.net' }],
  },
  status: { serial: 7 },
};

function endpoint(name: string, targets: unknown[], generation = 1) {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoEndpoint',
    metadata: { name, namespace: 'web', generation },
    spec: {
      zoneRef: { name: 'geo' },
      hostname: `${name}.geo.example.com`,
      targets: targets.map((t) => ({ location: { continent: 'EU' }, ...(t as object) })),
    },
  };
}

function objects(fields: Partial<ClusterObjects> = {}): ClusterObjects {
  return {
    geoZones: [zone],
    geoEndpoints: [],
    healthProbes: [],
    namespaces: [{ metadata: { name: 'web', labels: { team: 'web' } } }],
    services: [],
    endpointSlices: [],
    ...fields,
  };
}

describe('clusterSnapshot', () => {
  it('validates each cached object once, and a changed object (a new one from the informer) again', () => {
    const valid = endpoint('www', [{ name: 'eu', addresses: ['192.0.2.1'] }]);
    const first = clusterSnapshot(objects({ geoEndpoints: [valid] }), NOW);
    const again = clusterSnapshot(objects({ geoEndpoints: [valid] }), NOW);
    expect(again.snapshot.endpoints).toEqual(first.snapshot.endpoints);
    // The informer replaces an object when it changes: the new version gets its own verdict.
    const changed = { ...valid, spec: { ...valid.spec, hostname: 'Not A Hostname!' } };
    const after = clusterSnapshot(objects({ geoEndpoints: [changed] }), NOW);
    expect(after.snapshot.endpoints).toEqual([]);
    expect(after.invalid.map((r) => r.conditions[0]?.reason)).toEqual(['InvalidSpec']);
    expect(clusterSnapshot(objects({ geoEndpoints: [valid] }), NOW).snapshot.endpoints).toHaveLength(1);
  });

  it('takes valid resources with their defaults, and never changes the cached objects', () => {
    const cached = endpoint('www', [{ name: 'eu', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    const before = structuredClone(cached);
    const { snapshot, invalid } = clusterSnapshot(objects({ geoEndpoints: [cached] }), NOW);
    expect(invalid).toEqual([]);
    expect(snapshot.endpoints[0]?.spec.policy).toBe('geo');
    expect(snapshot.endpoints[0]?.spec.targets[0]?.weight).toBe(1);
    expect(snapshot.zones[0]?.spec.defaultTTL).toBe(300);
    expect(snapshot.namespaces).toEqual([{ name: 'web', labels: { team: 'web' } }]);
    expect(cached).toEqual(before);
  });

  it('leaves out a resource that slipped past admission, with a condition that names the field', () => {
    const bad = endpoint('bad', [{ name: 'eu', addresses: ['192.0.2.300'] }], 4);
    const good = endpoint('www', [{ name: 'eu', addresses: ['192.0.2.1'] }]);
    const { snapshot, invalid } = clusterSnapshot(objects({ geoEndpoints: [bad, good] }), NOW);
    expect(snapshot.endpoints.map((e) => e.metadata.name)).toEqual(['www']);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ kind: 'GeoEndpoint', namespace: 'web', name: 'bad' });
    expect(invalid[0]?.conditions[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'InvalidSpec',
      observedGeneration: 4,
      lastTransitionTime: NOW.toISOString(),
    });
    expect(invalid[0]?.conditions[0]?.message).toMatch(
      /^spec\.targets\[0\]\.addresses\[0\]: must be an IPv4 or IPv6 address.*; left out, everything else keeps being served$/,
    );
  });

  it('skips objects that are being deleted', () => {
    const leaving = { ...endpoint('www', [{ name: 'eu', addresses: ['192.0.2.1'] }]) };
    leaving.metadata = { ...leaving.metadata, deletionTimestamp: '2026-12-04T00:00:00Z' } as typeof leaving.metadata;
    expect(clusterSnapshot(objects({ geoEndpoints: [leaving] }), NOW).snapshot.endpoints).toEqual([]);
  });

  it('marks Service targets down while their Service has no ready endpoint, and only those', () => {
    const ge = endpoint('www', [
      { name: 'up', service: { name: 'a' } },
      { name: 'down', service: { name: 'b' } },
      { name: 'gone', service: { name: 'missing' } },
      { name: 'literal', addresses: ['192.0.2.1'] },
    ]);
    const service = (name: string) => ({
      metadata: { name, namespace: 'web' },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } },
    });
    const slice = (service: string, ready: (boolean | null | undefined)[]) => ({
      metadata: { namespace: 'web', labels: { 'kubernetes.io/service-name': service } },
      endpoints: ready.map((r) => ({ conditions: r === undefined ? {} : { ready: r } })),
    });
    const { down } = clusterSnapshot(
      objects({
        geoEndpoints: [ge],
        services: [service('a'), service('b')],
        endpointSlices: [slice('a', [false, undefined]), slice('b', [false, false])],
      }),
      NOW,
    );
    // 'gone' is not down here: its missing Service is a ResolvedRefs problem that compile() reports.
    expect([...down]).toEqual([['web/www/down', 'Service web/b has no ready endpoints']]);
  });
});

describe('serviceInfo', () => {
  it('serves external and load-balancer IPs, keeps cluster IPs apart and drops "None"', () => {
    expect(
      serviceInfo({
        metadata: { name: 'lb', namespace: 'web' },
        spec: { clusterIPs: ['10.96.0.1', 'fd00::1'], externalIPs: ['192.0.2.7'] },
        status: {
          loadBalancer: { ingress: [{ ip: '203.0.113.1' }, { hostname: 'lb.example.net' }, { ip: '192.0.2.7' }] },
        },
      }),
    ).toEqual({
      namespace: 'web',
      name: 'lb',
      addresses: ['192.0.2.7', '203.0.113.1'],
      hostnames: [{ hostname: 'lb.example.net', resolver: 'no resolver', addresses: [], pending: true }],
      clusterIPs: ['10.96.0.1', 'fd00::1'],
      ready: true,
    });
    expect(serviceInfo({ metadata: { name: 'h', namespace: 'web' }, spec: { clusterIP: 'None' } })?.clusterIPs).toEqual(
      [],
    );
  });
});

describe('load-balancer hostnames', () => {
  const lb = (name: string, ingress: { ip?: string; hostname?: string }[]) => ({
    metadata: { name, namespace: 'web' },
    spec: { clusterIP: '10.96.0.9' },
    status: { loadBalancer: { ingress } },
  });

  it('asks for the hostnames of the Services targets serve, and serves what they resolved to', () => {
    const resolved = (hostname: string) => ({ hostname, resolver: '127.0.0.1:5353', addresses: ['127.0.0.2', '::1'] });
    const { snapshot, hostnames } = clusterSnapshot(
      objects({
        geoEndpoints: [
          endpoint('www', [
            { name: 'eu', service: { name: 'eks' } },
            { name: 'in', service: { name: 'inner', useClusterIP: true } },
          ]),
        ],
        services: [
          lb('eks', [
            { hostname: 'b.elb.example.com' },
            { hostname: 'a.elb.example.com' },
            { hostname: 'a.elb.example.com' },
          ]),
          // An entry with an IP is served by its IP; a Service no target serves, or serves by ClusterIP, is not asked.
          lb('both', [{ ip: '127.0.1.1', hostname: 'both.example.com' }]),
          lb('unused', [{ hostname: 'unused.example.com' }]),
          lb('inner', [{ hostname: 'inner.example.com' }]),
        ],
      }),
      NOW,
      resolved,
    );
    expect(hostnames).toEqual(['a.elb.example.com', 'b.elb.example.com']);
    const eks = snapshot.services.find((s) => s.name === 'eks');
    expect(eks?.addresses).toEqual(['127.0.0.2', '::1']);
    expect(eks?.hostnames?.map((h) => h.hostname)).toEqual(['b.elb.example.com', 'a.elb.example.com']);
    expect(snapshot.services.find((s) => s.name === 'both')?.addresses).toEqual(['127.0.1.1']);
  });
});

describe('readyServices', () => {
  it('counts an endpoint with ready unset as ready, as Kubernetes does', () => {
    const ready = readyServices([
      { metadata: { namespace: 'a', labels: { 'kubernetes.io/service-name': 'x' } }, endpoints: [{ conditions: {} }] },
      { metadata: { namespace: 'a', labels: { 'kubernetes.io/service-name': 'y' } }, endpoints: [] },
      { metadata: { namespace: 'a' }, endpoints: [{ conditions: { ready: true } }] },
    ]);
    expect([...ready]).toEqual(['a/x']);
  });
});

describe('Ingresses, Gateways and ReferenceGrants', () => {
  it("reads a Gateway's IPAddress (and untyped) addresses as IPs and its Hostname ones as hostnames, nothing else", () => {
    const gateway = {
      metadata: { name: 'edge', namespace: 'infra' },
      status: {
        addresses: [
          { type: 'IPAddress', value: '192.0.2.51' },
          { value: '2001:db8::51' },
          { type: 'Hostname', value: 'edge.lb.example.net' },
          { type: 'example.com/pool', value: 'blue' },
          { type: 'IPAddress', value: '192.0.2.51' },
        ],
      },
    };
    expect(gatewayAddresses(gateway)).toEqual({
      ips: ['192.0.2.51', '2001:db8::51'],
      hostnames: ['edge.lb.example.net'],
    });
    const resolved = { hostname: 'edge.lb.example.net', resolver: 'r', addresses: ['198.51.100.5'] };
    expect(loadBalancerInfo('Gateway', gateway, (h) => (h === resolved.hostname ? resolved : undefined))).toEqual({
      namespace: 'infra',
      name: 'edge',
      addresses: ['192.0.2.51', '2001:db8::51', '198.51.100.5'],
      hostnames: [resolved],
    });
  });

  it("reads an Ingress's load-balancer entries as a Service's: an IP wins over a hostname in the same entry", () => {
    const ingress = {
      metadata: { name: 'www', namespace: 'web' },
      status: {
        loadBalancer: {
          ingress: [{ ip: '192.0.2.31', hostname: 'ignored.example.com' }, { hostname: 'lb.example.com' }],
        },
      },
    };
    expect(loadBalancerInfo('Ingress', ingress)).toEqual({
      namespace: 'web',
      name: 'www',
      addresses: ['192.0.2.31'],
      hostnames: [{ hostname: 'lb.example.com', resolver: 'no resolver', addresses: [], pending: true }],
    });
    expect(loadBalancerInfo('Ingress', { metadata: {} })).toBeUndefined();
  });

  it('reads a ReferenceGrant, skipping entries without a kind or namespace (they allow nothing)', () => {
    expect(
      referenceGrantInfo({
        metadata: { name: 'g', namespace: 'infra' },
        spec: {
          from: [
            { group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' },
            { group: 'geodns.io', kind: 'GeoEndpoint' },
          ],
          to: [{ group: '', kind: 'Service', name: 'shared' }, { kind: 'Gateway' }, { group: '' }],
        },
      }),
    ).toEqual({
      namespace: 'infra',
      name: 'g',
      from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' }],
      to: [
        { group: '', kind: 'Service', name: 'shared' },
        { group: '', kind: 'Gateway' },
      ],
    });
    expect(referenceGrantInfo({ metadata: { name: 'g' } })).toBeUndefined();
  });

  it("resolves only the hostnames of objects a target may refer to, and judges another namespace's Service's readiness", () => {
    const lb = (name: string, namespace: string, hostname: string) => ({
      metadata: { name, namespace },
      spec: { clusterIP: '10.0.0.9' },
      status: { loadBalancer: { ingress: [{ hostname }] } },
    });
    const read = clusterSnapshot(
      objects({
        geoEndpoints: [
          endpoint('www', [
            { name: 'granted', service: { name: 'shared', namespace: 'infra' } },
            { name: 'refused', service: { name: 'private', namespace: 'infra' } },
            { name: 'ing', ingress: { name: 'www' } },
          ]),
        ],
        services: [lb('shared', 'infra', 'shared.lb.example.com'), lb('private', 'infra', 'private.lb.example.com')],
        ingresses: [
          {
            metadata: { name: 'www', namespace: 'web' },
            status: { loadBalancer: { ingress: [{ hostname: 'ing.lb.example.com' }] } },
          },
        ],
        referenceGrants: [
          {
            metadata: { name: 'g', namespace: 'infra' },
            spec: {
              from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' }],
              to: [{ group: '', kind: 'Service', name: 'shared' }],
            },
          },
        ],
        missingKinds: ['Gateway'],
      }),
      NOW,
    );
    expect(read.hostnames).toEqual(['ing.lb.example.com', 'shared.lb.example.com']);
    expect(read.snapshot.missingKinds).toEqual(['Gateway']);
    expect(read.snapshot.referenceGrants?.map((g) => g.name)).toEqual(['g']);
    // No EndpointSlice has a ready endpoint of infra/shared: the target in web is down for it.
    expect(read.down.get('web/www/granted')).toBe('Service infra/shared has no ready endpoints');
  });
});

describe('publishedHostnameAddresses', () => {
  it("reads back what the published zones serve for a pending hostname of a Service, Ingress or Gateway, less the object's own IPs", () => {
    const pending = (hostname: string) => ({ hostname, resolver: 'r', addresses: [], pending: true });
    const snapshot = clusterSnapshot(
      objects({
        geoEndpoints: [
          endpoint('www', [
            { name: 'svc', service: { name: 'lb' } },
            { name: 'ing', ingress: { name: 'www' } },
            { name: 'gw', gateway: { name: 'edge' } },
            { name: 'two', ingress: { name: 'two' } },
          ]),
        ],
      }),
      NOW,
    ).snapshot;
    snapshot.services = [
      { namespace: 'web', name: 'lb', addresses: [], hostnames: [pending('svc.lb.example.com')], ready: true },
    ];
    snapshot.ingresses = [
      { namespace: 'web', name: 'www', addresses: ['192.0.2.31'], hostnames: [pending('ing.lb.example.com')] },
      { namespace: 'web', name: 'two', addresses: [], hostnames: [pending('a.example.com'), pending('b.example.com')] },
    ];
    snapshot.gateways = [
      {
        namespace: 'web',
        name: 'edge',
        addresses: [],
        hostnames: [{ hostname: 'gw.lb.example.com', resolver: 'r', addresses: ['198.51.100.9'] }],
      },
    ];
    const published = new Map([
      ['web/www/svc', ['198.51.100.1']],
      ['web/www/ing', ['192.0.2.31', '198.51.100.2']],
      ['web/www/gw', ['198.51.100.9']],
      ['web/www/two', ['198.51.100.3']],
    ]);
    // The Gateway's hostname is resolved already, and which of two hostnames gave an address is not known: skipped.
    expect(Object.fromEntries(publishedHostnameAddresses(snapshot, published))).toEqual({
      'svc.lb.example.com': ['198.51.100.1'],
      'ing.lb.example.com': ['198.51.100.2'],
    });
  });
});
