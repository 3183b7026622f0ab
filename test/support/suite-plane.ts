// The one start-up of a real control plane for a test file, as geodns is installed into a cluster: the system
// namespace (and any others the suite names), our CRDs when the suite needs them, deploy/rbac/ applied with
// kubectl; then the suite adds its own parts. If any step fails, the plane is stopped. operator-cluster.ts and
// dns-cluster.ts are the two suites built on it.
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/control-plane.ts';

/** Where the operator runs and publishes, and where the DNS pods read (deploy/rbac/). */
export const SYSTEM_NAMESPACE = 'geodns-system';
export const OPERATOR_ACCOUNT = 'geodns-operator';
export const DNS_ACCOUNT = 'geodns-dns';
/** The user the API server sees for the DNS pods' ServiceAccount token. */
export const DNS_USER = `system:serviceaccount:${SYSTEM_NAMESPACE}:${DNS_ACCOUNT}`;

export interface SuitePlaneOptions {
  /** The control plane's name (its temporary folder's prefix). */
  name: string;
  audit?: boolean;
  apiServerArgs?: string[];
  /** Applies crds/ and waits until they are established. */
  crds?: boolean;
  /** Namespaces to create besides the system namespace. */
  namespaces?: string[];
}

/** Starts the plane, sets it up, and returns what `suite` makes of it; stops the plane if anything fails. */
export async function startSuitePlane<T>(
  options: SuitePlaneOptions,
  suite: (plane: ControlPlane) => Promise<T>,
): Promise<T> {
  const plane = await startControlPlane({
    name: options.name,
    audit: options.audit,
    ...(options.apiServerArgs ? { apiServerArgs: options.apiServerArgs } : {}),
  });
  try {
    if (options.crds) {
      await plane.kubectl(['apply', '-f', 'crds/']);
      await plane.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
    }
    for (const namespace of [SYSTEM_NAMESPACE, ...(options.namespaces ?? [])]) {
      await plane.kubectl(['create', 'namespace', namespace]);
    }
    await plane.kubectl(['apply', '-f', 'deploy/rbac/']);
    return await suite(plane);
  } catch (error) {
    await plane.stop();
    throw error;
  }
}

/** A client configuration from a kubeconfig file. */
export function kubeConfigFrom(file: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
}
