// The coordination.k8s.io/v1 Lease API, as leader election uses it (operator/kube/leader.ts): client-node's own
// client and types, named here so that the election code imports the Kubernetes client from nowhere else.
import type { CoordinationV1Api } from '@kubernetes/client-node';

export { CoordinationV1Api, V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';

/** The calls an elector makes: read, create, and replace guarded by the resourceVersion. */
export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;
