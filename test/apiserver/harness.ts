// Test helpers: a server with our CRDs registered and namespace `web`, and waiting for a condition.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiServer, type ApiServerOptions } from './server.ts';
import type { KubeObject } from './types.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export function yamlObjects(...paths: string[]): KubeObject[] {
  const files = paths.flatMap((p) =>
    p.endsWith('.yaml')
      ? [join(ROOT, p)]
      : readdirSync(join(ROOT, p))
          .filter((f) => f.endsWith('.yaml'))
          .sort()
          .map((f) => join(ROOT, p, f)),
  );
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null),
  );
}

/** A server with crds/ registered and the namespace `web`. */
export async function startWithCrds(options: ApiServerOptions = {}): Promise<ApiServer> {
  const server = await ApiServer.start(options);
  for (const crd of yamlObjects('crds')) server.seed(crd);
  server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } });
  return server;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
