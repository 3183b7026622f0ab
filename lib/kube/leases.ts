// The coordination.k8s.io/v1 Lease API, as leader election uses it (operator/kube/leader.ts): client-node's own
// client and types, named here so that the election code imports the Kubernetes client from nowhere else, and a
// watch of one Lease so that a standby sees each renewal when the API server writes it.
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import { informer, type KubeObject } from './informer.ts';
import type { KubeConfig } from './kubeconfig.ts';

export { CoordinationV1Api, V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';

/** The calls an elector makes: read, create, and replace guarded by the resourceVersion. */
export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

export interface LeaseWatchHandlers {
  /** The Lease as the API server wrote it (its times as strings), each time it changes; undefined once deleted. */
  lease(lease: V1Lease | undefined): void;
  /** The list or the watch broke; it is retried with backoff. */
  error(error: unknown): void;
}

/** Watches the Lease `namespace`/`name` until stop() (which resolves once the watch in flight has ended). */
export type WatchLease = (namespace: string, name: string, handlers: LeaseWatchHandlers) => { stop(): Promise<void> };

/** A list-watch of one Lease (a field selector on its name), on the informer both sides build on. */
export function leaseWatch(kubeConfig: KubeConfig): WatchLease {
  return (namespace, name, handlers) => {
    const cache = informer<KubeObject>(
      kubeConfig,
      {
        path: `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`,
        fieldSelector: `metadata.name=${name}`,
      },
      // A standby that cannot watch still reads the Lease every retry period; a broken watch is retried soon.
      { backoff: { initialMs: 200, maxMs: 2_000 }, onError: (error) => handlers.error(error) },
    );
    // The objects are the API server's JSON for a Lease.
    const seen = (object: KubeObject): void => handlers.lease(object as V1Lease);
    cache.on('add', seen);
    cache.on('update', seen);
    cache.on('delete', () => handlers.lease(undefined));
    cache.start();
    return { stop: () => cache.stop() };
  };
}
