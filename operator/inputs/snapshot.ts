// What an input hands the pipeline: the resources and the cluster facts compile() needs, before the pipeline adds
// what it keeps itself (serials published before, compile-time health, the time).
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { GeoZone } from '../../api/geozone.ts';
import type { HealthProbe } from '../../api/healthprobe.ts';
import type { CompileInput } from '../compile/index.ts';
import type { LoadResult } from './resource-files.ts';

export type ResourceSnapshot = Pick<
  CompileInput,
  | 'zones'
  | 'endpoints'
  | 'probes'
  | 'namespaces'
  | 'services'
  | 'ingresses'
  | 'gateways'
  | 'referenceGrants'
  | 'serviceImports'
  | 'missingKinds'
  | 'forbiddenKinds'
  | 'peerTargets'
>;

/**
 * Resource files as a snapshot (standalone mode has no cluster): Services from the files are taken as ready, and
 * the namespaces are those the files declare or name.
 */
export function snapshotFromFiles(loaded: LoadResult): ResourceSnapshot {
  const zones = loaded.resources.filter((r): r is GeoZone => r.kind === 'GeoZone');
  const endpoints = loaded.resources.filter((r): r is GeoEndpoint => r.kind === 'GeoEndpoint');
  const probes = loaded.resources.filter((r): r is HealthProbe => r.kind === 'HealthProbe');
  const labels = new Map(loaded.namespaces.map((n) => [n.name, n.labels]));
  const names = new Set<string>([...labels.keys()]);
  for (const r of [...endpoints, ...probes]) names.add(r.metadata.namespace ?? 'default');
  for (const s of loaded.services) names.add(s.namespace);
  return {
    zones,
    endpoints,
    probes,
    namespaces: [...names].sort().map((name) => ({ name, labels: labels.get(name) ?? {} })),
    services: loaded.services.map((s) => ({ ...s, ready: true })),
    ingresses: loaded.ingresses,
    gateways: loaded.gateways,
    referenceGrants: loaded.referenceGrants,
  };
}

/** The compile input for a snapshot. */
export function compileInputOf(
  snapshot: ResourceSnapshot,
  previous: CompileInput['previous'],
  now: Date,
  health: CompileInput['health'] = {},
): CompileInput {
  return { ...snapshot, health, previous, now };
}
