// Discovery: /version, /api, /apis and the group-version resource lists kubectl and client-go map kinds with.
// Legacy (unaggregated) discovery only: clients that ask for the aggregated form fall back to it.
import { apiVersionOf, type ResourceType } from './kinds.ts';
import type { JsonObject } from './types.ts';

export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

export function version(): JsonObject {
  return {
    ...SERVER_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(address: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function groupEntry(name: string, versions: string[]): JsonObject {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

function groups(types: ResourceType[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const type of types) {
    if (!type.group) continue;
    const versions = out.get(type.group) ?? [];
    if (!versions.includes(type.version)) versions.push(type.version);
    out.set(type.group, versions);
  }
  return out;
}

export function groupList(types: ResourceType[]): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups(types)].map(([name, versions]) => groupEntry(name, versions)),
  };
}

export function group(types: ResourceType[], name: string): JsonObject | undefined {
  const versions = groups(types).get(name);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(name, versions) } : undefined;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function resourceList(types: ResourceType[], groupVersion: string): JsonObject | undefined {
  const served = types.filter((t) => apiVersionOf(t) === groupVersion);
  if (served.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const t of served) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length > 0 ? { categories: t.categories } : {}),
    });
    if (t.status) {
      resources.push({
        name: `${t.plural}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
