// Kubernetes objects for tests: the YAML files of the repository as objects, and GeoZone and GeoEndpoint builders.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './serve.ts';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

/** The objects of YAML files, or of every .yaml file of a folder (sorted), relative to the repository root. */
export function yamlObjects(...paths: string[]): KubeObject[] {
  const files = paths.flatMap((p) =>
    p.endsWith('.yaml')
      ? [join(REPO_ROOT, p)]
      : readdirSync(join(REPO_ROOT, p))
          .filter((f) => f.endsWith('.yaml'))
          .sort()
          .map((f) => join(REPO_ROOT, p, f)),
  );
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null),
  );
}

/** The GeoZone geo-example (apex geo.example.com, one in-zone name server), with `spec` over it. */
export function geoZone(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoZone',
    metadata: { name: 'geo-example' },
    spec: {
      apex: 'geo.example.com',
      soa: { hostmaster: 'hostmaster.example.com' },
      nameServers: [{ name: 'ns1.geo.example.com', addresses: ['192.0.2.53'] }],
      ...spec,
    },
  };
}

/** A GeoEndpoint `name` in namespace web of zone geo-example, with `spec` over a one-target geo default. */
export function geoEndpoint(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'GeoEndpoint',
    metadata: { name, namespace: 'web' },
    spec: {
      zoneRef: { name: 'geo-example' },
      hostname: `${name}.geo.example.com`,
      policy: 'geo',
      targets: [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }],
      ...spec,
    },
  };
}
