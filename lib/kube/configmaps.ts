// ConfigMaps read and written as plain objects (the operator's zone and health documents): client-node's typed
// calls, with the fields the callers use copied out of its models.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';
import { metaFromModel, type ObjectMeta } from './object-meta.ts';

export type { OwnerReference } from './object-meta.ts';

export interface ConfigMap {
  metadata: ObjectMeta;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

function fromModel(cm: V1ConfigMap): ConfigMap {
  return {
    metadata: metaFromModel(cm.metadata),
    ...(cm.data ? { data: cm.data } : {}),
    ...(cm.binaryData ? { binaryData: cm.binaryData } : {}),
  };
}

/** Errors are client-node's: statusOf() reads their HTTP status (404 for a ConfigMap that is not there). */
export class ConfigMaps {
  readonly #core: CoreV1Api;
  readonly #fieldManager: string;

  constructor(kubeConfig: KubeConfig, fieldManager: string) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#fieldManager = fieldManager;
  }

  async create(cm: ConfigMap): Promise<ConfigMap> {
    const { namespace } = cm.metadata;
    return fromModel(
      await this.#core.createNamespacedConfigMap({ namespace, body: cm, fieldManager: this.#fieldManager }),
    );
  }

  /** Replaces the ConfigMap; a stale metadata.resourceVersion fails with 409. */
  async replace(cm: ConfigMap): Promise<ConfigMap> {
    const { namespace, name } = cm.metadata;
    return fromModel(
      await this.#core.replaceNamespacedConfigMap({ namespace, name, body: cm, fieldManager: this.#fieldManager }),
    );
  }

  async read(namespace: string, name: string): Promise<ConfigMap> {
    return fromModel(await this.#core.readNamespacedConfigMap({ namespace, name }));
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.#core.deleteNamespacedConfigMap({ namespace, name });
  }
}
