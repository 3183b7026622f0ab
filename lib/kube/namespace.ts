// Which namespace a process works in: the one asked for, else its pod's (the service account's namespace file),
// else the kubeconfig context's.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

/** Where a pod's service account token says which namespace it runs in. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The pod's own namespace, or undefined outside a pod. */
export function podNamespace(file = SERVICE_ACCOUNT_NAMESPACE_FILE): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The option, else the pod's own namespace, else the kubeconfig context's, else 'default'. */
export function resolveNamespace(
  explicit: string | undefined,
  kubeConfig: KubeConfig,
  file = SERVICE_ACCOUNT_NAMESPACE_FILE,
): string {
  if (explicit) return explicit;
  return podNamespace(file) ?? (kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || 'default');
}
