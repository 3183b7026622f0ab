// Turns loaded resource files into compile input for the standalone mode (no cluster): Services from the files
// are taken as ready, namespaces are those the files name or declare.
import type { LoadResult } from '../../api/load.ts';
import type { GeoEndpoint, GeoZone, HealthProbe } from '../../api/resources.ts';
import type { CompileInput } from './compile.ts';

export function standaloneInput(loaded: LoadResult, previous: CompileInput['previous'], now: Date): CompileInput {
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
    health: {},
    previous,
    now,
  };
}
