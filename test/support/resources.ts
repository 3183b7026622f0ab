// Small in-memory resources for compiler tests, already "defaulted" the way the validator leaves them.
import type { GeoEndpoint, Target } from '../../api/geoendpoint.ts';
import type { GeoZone } from '../../api/geozone.ts';
import type { HealthProbe } from '../../api/healthprobe.ts';
import type { CompileInput } from '../../operator/compile/index.ts';

type DeepPartialSpec<T> = { [K in keyof T]?: T[K] };

export const NOW = new Date('2026-11-23T10:00:00Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

export function zone(
  name: string,
  spec: DeepPartialSpec<GeoZone['spec']> = {},
  meta: { creationTimestamp?: string; generation?: number } = {},
): GeoZone {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoZone',
    metadata: {
      name,
      generation: meta.generation ?? 1,
      creationTimestamp: meta.creationTimestamp ?? '2026-01-01T00:00:00Z',
    },
    spec: {
      apex: 'geo.example.com',
      soa: { hostmaster: 'hostmaster.example.com', refresh: 3600, retry: 600, expire: 604800, minimum: 60, ttl: 3600 },
      nameServers: [{ name: 'ns1.example.net' }],
      defaultTTL: 300,
      routedTTL: 60,
      failoverBudget: '2m',
      peerTimeout: '30s',
      ...spec,
    },
  };
}

export function target(name: string, fields: Partial<Target> = {}): Target {
  return {
    name,
    location: { continent: 'EU' },
    weight: 1,
    priority: 0,
    ...(fields.service || fields.ingress || fields.gateway ? {} : { addresses: ['192.0.2.1'] }),
    ...fields,
  };
}

export function endpoint(
  namespace: string,
  name: string,
  spec: DeepPartialSpec<GeoEndpoint['spec']> = {},
  meta: { creationTimestamp?: string; generation?: number } = {},
): GeoEndpoint {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoEndpoint',
    metadata: {
      namespace,
      name,
      generation: meta.generation ?? 1,
      creationTimestamp: meta.creationTimestamp ?? '2026-02-01T00:00:00Z',
    },
    spec: {
      zoneRef: { name: 'geo' },
      hostname: `${name}.geo.example.com`,
      policy: 'geo',
      maxAnswers: 8,
      targets: [target('eu-1')],
      ...spec,
    },
  };
}

export function probe(namespace: string, name: string): HealthProbe {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'HealthProbe',
    metadata: { namespace, name, generation: 1 },
    spec: {
      type: 'HTTP',
      port: 80,
      path: '/',
      expectedStatus: [{ min: 200, max: 399 }],
      insecureSkipVerify: false,
      interval: '10s',
      timeout: '2s',
      failureThreshold: 3,
      successThreshold: 1,
    },
  };
}

export function input(fields: Partial<CompileInput> = {}): CompileInput {
  return {
    zones: [zone('geo')],
    endpoints: [],
    probes: [],
    namespaces: [],
    services: [],
    health: {},
    previous: {},
    now: NOW,
    ...fields,
  };
}
