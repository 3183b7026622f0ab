// The object metadata the typed clients (configmaps.ts, secrets.ts) hand their callers, copied out of
// client-node's models.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  ownerReferences?: OwnerReference[];
}

/** The fields of ObjectMeta that a model carries (absent ones stay absent, not undefined). */
export function metaFromModel(meta: V1ObjectMeta | undefined): ObjectMeta {
  return {
    name: meta?.name ?? '',
    namespace: meta?.namespace ?? '',
    ...(meta?.labels ? { labels: meta.labels } : {}),
    ...(meta?.annotations ? { annotations: meta.annotations } : {}),
    ...(meta?.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    ...(meta?.ownerReferences ? { ownerReferences: meta.ownerReferences } : {}),
  };
}
