// Remote Services from the Kubernetes Multi-Cluster Services API (KEP-1645), where the cluster set runs it: a
// ServiceImport (multicluster.x-k8s.io/v1alpha1) names a Service exported by other clusters, and the MCS
// implementation writes that Service's endpoints here as EndpointSlices labelled
// multicluster.kubernetes.io/service-name (and multicluster.kubernetes.io/source-cluster). A target whose Service this
// cluster lacks serves the ready imported endpoints' addresses, and is down while none is ready. Pure: the caches'
// objects are read, never changed.
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import { describeImport, referringTargets, type ImportedServiceInfo } from '../compile/index.ts';
import type { ObjectMeta } from './cluster-snapshot.ts';

export const MCS_SERVICE_NAME_LABEL = 'multicluster.kubernetes.io/service-name';
export const MCS_SOURCE_CLUSTER_LABEL = 'multicluster.kubernetes.io/source-cluster';

/** A ServiceImport (multicluster.x-k8s.io/v1alpha1), the parts read here. */
export interface ServiceImportObject {
  metadata?: ObjectMeta;
  spec?: { type?: string; ips?: string[] };
  status?: { clusters?: { cluster?: string }[] };
}

/** An EndpointSlice as read for its endpoints' addresses. */
export interface ImportedSliceObject {
  metadata?: ObjectMeta;
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] | null;
}

/** An imported Service, with whether any of its endpoints is ready (which travels in the health table). */
export interface ImportedService extends ImportedServiceInfo {
  ready: boolean;
}

const isDeleting = (meta: ObjectMeta | undefined): boolean =>
  meta?.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Whether a slice is one an MCS implementation imported (it carries the service-name label). */
export function isImportedSlice(slice: { metadata?: ObjectMeta }): boolean {
  return slice.metadata?.labels?.[MCS_SERVICE_NAME_LABEL] !== undefined;
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** Every ServiceImport with what its imported slices hold: addresses (IPv4 and IPv6 slices), clusters, readiness. */
export function importedServices(
  imports: readonly ServiceImportObject[],
  slices: readonly ImportedSliceObject[],
): ImportedService[] {
  const bySlice = new Map<string, ImportedSliceObject[]>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[MCS_SERVICE_NAME_LABEL];
    if (!service || isDeleting(slice.metadata)) continue;
    const key = keyOf(slice.metadata?.namespace ?? 'default', service);
    bySlice.set(key, [...(bySlice.get(key) ?? []), slice]);
  }
  const out: ImportedService[] = [];
  for (const object of imports) {
    const { name, namespace = 'default' } = object.metadata ?? {};
    if (!name || isDeleting(object.metadata)) continue;
    const own = (bySlice.get(keyOf(namespace, name)) ?? []).filter(
      (s) => s.addressType === 'IPv4' || s.addressType === 'IPv6',
    );
    const ready: string[] = [];
    const all: string[] = [];
    for (const slice of own) {
      for (const endpoint of slice.endpoints ?? []) {
        const addresses = endpoint.addresses ?? [];
        all.push(...addresses);
        // `ready` unset counts as ready, as Kubernetes reads it.
        if (endpoint.conditions?.ready !== false) ready.push(...addresses);
      }
    }
    const clusters = [
      ...(object.status?.clusters ?? []).flatMap((c) => (c.cluster ? [c.cluster] : [])),
      ...own.flatMap((s) => s.metadata?.labels?.[MCS_SOURCE_CLUSTER_LABEL] ?? []),
    ];
    out.push({
      namespace,
      name,
      clusters: sorted(clusters),
      addresses: sorted(ready.length > 0 ? ready : all),
      clusterIPs: sorted(object.spec?.ips ?? []),
      ready: ready.length > 0,
    });
  }
  return out.sort((a, b) => (keyOf(a.namespace, a.name) < keyOf(b.namespace, b.name) ? -1 : 1));
}

/**
 * Target id → why it is down, for the Service targets of `endpoints` whose Service is not in this cluster (not
 * among `local`, "namespace/name") and is imported with no ready endpoint.
 */
export function importedDown(
  endpoints: readonly GeoEndpoint[],
  local: ReadonlySet<string>,
  imported: readonly ImportedService[],
): Map<string, string> {
  const byKey = new Map(imported.map((i) => [keyOf(i.namespace, i.name), i]));
  const down = new Map<string, string>();
  for (const { ref, id } of referringTargets(endpoints)) {
    if (ref.kind !== 'Service') continue;
    const key = keyOf(ref.namespace, ref.name);
    const found = byKey.get(key);
    if (local.has(key) || !found || found.ready) continue;
    down.set(id, `${describeImport(found)} has no ready endpoints`);
  }
  return down;
}
