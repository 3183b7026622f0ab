// Secrets read and written as plain objects, one by name (the operator's DNSSEC key Secret and the Secrets users
// name): client-node's typed calls, with the fields the callers use copied out of its models. No list or watch:
// whoever uses this is allowed to get named Secrets of one namespace, nothing more.
import { CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';
import { metaFromModel, type ObjectMeta } from './object-meta.ts';

export interface Secret {
  metadata: ObjectMeta;
  type?: string;
  /** Values base64-encoded, as the API has them. */
  data?: Record<string, string>;
}

function fromModel(secret: V1Secret): Secret {
  return {
    metadata: metaFromModel(secret.metadata),
    ...(secret.type ? { type: secret.type } : {}),
    ...(secret.data ? { data: secret.data } : {}),
  };
}

/** Errors are client-node's: statusOf() reads their HTTP status (404 for a Secret that is not there). */
export class Secrets {
  readonly #core: CoreV1Api;
  readonly #fieldManager: string;

  constructor(kubeConfig: KubeConfig, fieldManager: string) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#fieldManager = fieldManager;
  }

  async read(namespace: string, name: string): Promise<Secret> {
    return fromModel(await this.#core.readNamespacedSecret({ namespace, name }));
  }

  async create(secret: Secret): Promise<Secret> {
    const { namespace } = secret.metadata;
    return fromModel(
      await this.#core.createNamespacedSecret({ namespace, body: secret, fieldManager: this.#fieldManager }),
    );
  }

  /** Replaces the Secret; a stale metadata.resourceVersion fails with 409. */
  async replace(secret: Secret): Promise<Secret> {
    const { namespace, name } = secret.metadata;
    return fromModel(
      await this.#core.replaceNamespacedSecret({ namespace, name, body: secret, fieldManager: this.#fieldManager }),
    );
  }
}
