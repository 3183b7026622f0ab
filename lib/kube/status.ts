// The status subresource of custom objects, written as JSON merge patches.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';

export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  /** Absent for a cluster-scoped object. */
  namespace?: string | undefined;
  name: string;
}

export class CustomObjectStatus {
  readonly #custom: CustomObjectsApi;
  readonly #fieldManager: string;

  constructor(kubeConfig: KubeConfig, fieldManager: string) {
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#fieldManager = fieldManager;
  }

  /** Merges `status` into the object's status; errors are client-node's (statusOf() reads their status). */
  async patch(ref: CustomObjectRef, status: Record<string, unknown>): Promise<void> {
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const { group, version, plural, name, namespace } = ref;
    const common = { group, version, plural, name, body: { status }, fieldManager: this.#fieldManager };
    if (namespace) await this.#custom.patchNamespacedCustomObjectStatus({ ...common, namespace }, options);
    else await this.#custom.patchClusterCustomObjectStatus(common, options);
  }
}
