// The cluster input with load-balancer hostnames: a read waits for the first resolution of a hostname it has not
// seen (so the compile it feeds serves it), tells the resolver which hostnames are wanted on every read, and a
// resolver's change is a change of the input.
import { describe, expect, it } from 'vitest';
import type { ServiceHostname } from '../../../../operator/compile/index.ts';
import type { ClusterObjects } from '../../../../operator/inputs/cluster-snapshot.ts';
import { ClusterInput, type ClusterCaches, type ClusterHostnames } from '../../../../operator/inputs/cluster.ts';

const HOST = 'lb-1.elb.example.com';

function objects(ingress: { ip?: string; hostname?: string }[]): ClusterObjects {
  return {
    geoZones: [],
    geoEndpoints: [
      {
        apiVersion: 'geodns.io/v1alpha1',
        kind: 'GeoEndpoint',
        metadata: { name: 'www', namespace: 'web', generation: 1 },
        spec: {
          zoneRef: { name: 'geo' },
          hostname: 'www.geo.example.com',
          targets: [{ name: 'eks', service: { name: 'lb' }, location: { continent: 'NA' } }],
        },
      },
    ],
    healthProbes: [],
    namespaces: [{ metadata: { name: 'web' } }],
    services: [{ metadata: { name: 'lb', namespace: 'web' }, status: { loadBalancer: { ingress } } }],
    endpointSlices: [],
  };
}

function caches(current: () => ClusterObjects): ClusterCaches & { fire(): void } {
  const listeners = new Set<() => void>();
  return {
    synced: () => Promise.resolve(),
    objects: current,
    published: () => ({}),
    publishedHealth: () => undefined,
    endpointSliceObjects: () => [],
    onChange: (callback) => (listeners.add(callback), () => listeners.delete(callback)),
    onEndpointsChange: () => () => undefined,
    fire: () => listeners.forEach((l) => l()),
  };
}

class FakeHostnames implements ClusterHostnames {
  readonly resolved = new Map<string, string[]>();
  readonly wanted: string[][] = [];
  readonly seeds = new Map<string, readonly string[]>();
  readonly listeners = new Set<() => void>();

  seed(hostname: string, addresses: readonly string[]): void {
    this.seeds.set(hostname, addresses);
  }

  async want(hostnames: readonly string[]): Promise<void> {
    this.wanted.push([...hostnames]);
    await Promise.resolve();
    for (const hostname of hostnames) if (!this.resolved.has(hostname)) this.resolved.set(hostname, ['127.0.0.2']);
  }

  report(hostname: string): ServiceHostname {
    const addresses = this.resolved.get(hostname);
    return addresses
      ? { hostname, resolver: 'test', addresses }
      : { hostname, resolver: 'test', addresses: [], pending: true };
  }

  onChange(callback: () => void): () => void {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }
}

describe('ClusterInput with load-balancer hostnames', () => {
  it('waits for a new hostname’s first resolution and serves it in the same read', async () => {
    const hostnames = new FakeHostnames();
    const input = new ClusterInput(
      caches(() => objects([{ hostname: HOST }])),
      { hostnames },
    );
    const read = await input.read();
    expect(read.snapshot.services[0]?.addresses).toEqual(['127.0.0.2']);
    expect(read.snapshot.services[0]?.hostnames?.[0]?.pending).toBeUndefined();
    expect(hostnames.wanted).toEqual([[HOST]]);
  });

  it('before a first resolution, hands the resolver what the published zone serves for the hostname', async () => {
    const hostnames = new FakeHostnames();
    const input = new ClusterInput(
      caches(() => objects([{ hostname: HOST }, { ip: '127.0.1.1' }])),
      {
        hostnames,
        publishedTargets: () => new Map([['web/www/eks', ['127.0.1.1', '127.0.0.9', '::9']]]),
      },
    );
    await input.read();
    // The Service's own IP is its own; the rest came from the hostname.
    expect(Object.fromEntries(hostnames.seeds)).toEqual({ [HOST]: ['127.0.0.9', '::9'] });
  });

  it('tells the resolver on every read which hostnames are wanted (none once the Service has an IP)', async () => {
    const hostnames = new FakeHostnames();
    let ingress: { ip?: string; hostname?: string }[] = [{ hostname: HOST }];
    const input = new ClusterInput(
      caches(() => objects(ingress)),
      { hostnames },
    );
    await input.read();
    ingress = [{ ip: '127.0.1.1' }];
    const read = await input.read();
    expect(hostnames.wanted.at(-1)).toEqual([]);
    expect(read.snapshot.services[0]?.addresses).toEqual(['127.0.1.1']);
  });

  it('a change the resolver reports is a change of the input, until the watch is closed', () => {
    const hostnames = new FakeHostnames();
    const input = new ClusterInput(
      caches(() => objects([])),
      { hostnames },
    );
    let changes = 0;
    const watch = input.watch(() => changes++);
    hostnames.listeners.forEach((l) => l());
    expect(changes).toBe(1);
    watch.close();
    expect(hostnames.listeners.size).toBe(0);
  });
});

describe('ClusterInput with a Service that has no EndpointSlice yet', () => {
  it('is pending for the grace after its creation, then down for want of endpoints; a slice ends the wait', async () => {
    const created = Date.parse('2026-12-06T10:00:00Z');
    let now = created + 200;
    let slices: ClusterObjects['endpointSlices'] = [];
    const world = (): ClusterObjects => {
      const base = objects([{ ip: '192.0.2.7' }]);
      return {
        ...base,
        services: [
          {
            ...base.services[0],
            metadata: { name: 'lb', namespace: 'web', creationTimestamp: '2026-12-06T10:00:00Z' },
          },
        ],
        endpointSlices: slices,
      };
    };
    const input = new ClusterInput(
      { ...caches(world), endpointSliceObjects: () => slices },
      { now: () => new Date(now), sliceGraceMs: 1000 },
    );
    const read = await input.read();
    expect(read.down?.get('web/www/eks')).toBe('Service web/lb: no EndpointSlice seen yet');
    expect(input.downRecheckInMs()).toBe(800);
    now = created + 1000;
    expect(input.readDown()?.get('web/www/eks')).toBe('Service web/lb has no ready endpoints');
    expect(input.downRecheckInMs()).toBeUndefined();
    now = created + 300;
    slices = [
      {
        metadata: { name: 'lb-1', namespace: 'web', labels: { 'kubernetes.io/service-name': 'lb' } },
        endpoints: [{ conditions: { ready: true } }],
      },
    ];
    expect(input.readDown()?.size).toBe(0);
    expect(input.downRecheckInMs()).toBeUndefined();
  });
});
