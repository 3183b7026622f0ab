// The labels of one Pod, written as a JSON merge patch (the operator's leader marks its own Pod). No get, list or
// watch: whoever uses this is allowed to patch Pods of one namespace, nothing more.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';

export class PodLabels {
  readonly #core: CoreV1Api;
  readonly #fieldManager: string;

  constructor(kubeConfig: KubeConfig, fieldManager: string) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#fieldManager = fieldManager;
  }

  /** Sets each label given a string and removes each given null (removing an absent one is no error); errors are
   *  client-node's (statusOf() reads their HTTP status: 404 for a Pod that is not there, 403 without the right). */
  async patch(namespace: string, name: string, labels: Record<string, string | null>): Promise<void> {
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await this.#core.patchNamespacedPod(
      { namespace, name, body: { metadata: { labels } }, fieldManager: this.#fieldManager },
      options,
    );
  }
}
