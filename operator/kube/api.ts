// The operator's writes, through the typed clients of lib/kube/: ConfigMaps, Secrets (by name), status merge
// patches and Events. Errors
// come out as ApiError with the HTTP status (0 when the API server could not be reached), counted by verb.
import { GROUP, VERSION } from '../../api/meta.ts';
import { KINDS } from '../../api/kinds.ts';
import { MANAGER } from '../../api/configmaps.ts';
import { ConfigMaps } from '../../lib/kube/configmaps.ts';
import { apiMessage, statusOf } from '../../lib/kube/errors.ts';
import { Events } from '../../lib/kube/events.ts';
import { Secrets } from '../../lib/kube/secrets.ts';
import type { KubeConfig } from '../../lib/kube/kubeconfig.ts';
import { CoordinationV1Api, leaseWatch } from '../../lib/kube/leases.ts';
import { CustomObjectStatus } from '../../lib/kube/status.ts';
import {
  ApiError,
  type ClusterWriter,
  type ConfigMapObject,
  type EventRecord,
  type ObjectRef,
  type SecretObject,
  type SecretWriter,
} from '../cluster-writer.ts';

/** The client configuration, and the Lease API and watch, for code outside operator/kube/ that only passes them on. */
export { CoordinationV1Api, leaseWatch, type KubeConfig };

function toApiError(error: unknown, what: string): ApiError {
  if (error instanceof ApiError) return error;
  const status = statusOf(error);
  const message = apiMessage(error) ?? (error instanceof Error ? error.message : String(error));
  return new ApiError(status ?? 0, `${what}: ${message}`);
}

function plural(kind: ObjectRef['kind']): string {
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) throw new Error(`unknown kind ${kind}`);
  return info.plural;
}

export class KubeApi implements ClusterWriter, SecretWriter {
  readonly #configMaps: ConfigMaps;
  readonly #secrets: Secrets;
  readonly #status: CustomObjectStatus;
  readonly #events: Events;
  readonly #onError: ((verb: string) => void) | undefined;

  constructor(config: KubeConfig, options: { onError?: (verb: string) => void } = {}) {
    this.#configMaps = new ConfigMaps(config, MANAGER);
    this.#secrets = new Secrets(config, MANAGER);
    this.#status = new CustomObjectStatus(config, MANAGER);
    this.#events = new Events(config, { controller: 'geodns.io/operator', instance: MANAGER });
    this.#onError = options.onError;
  }

  async #call<T>(verb: string, what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.#onError?.(verb);
      throw toApiError(error, what);
    }
  }

  createConfigMap(cm: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = cm.metadata;
    return this.#call('create', `creating ConfigMap ${namespace}/${name}`, () => this.#configMaps.create(cm));
  }

  replaceConfigMap(cm: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = cm.metadata;
    return this.#call('update', `replacing ConfigMap ${namespace}/${name}`, () => this.#configMaps.replace(cm));
  }

  async readConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    try {
      return await this.#call('get', `reading ConfigMap ${namespace}/${name}`, () =>
        this.#configMaps.read(namespace, name),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await this.#call('delete', `deleting ConfigMap ${namespace}/${name}`, () =>
      this.#configMaps.delete(namespace, name),
    );
  }

  async readSecret(namespace: string, name: string): Promise<SecretObject | undefined> {
    try {
      return await this.#call('get', `reading Secret ${namespace}/${name}`, () => this.#secrets.read(namespace, name));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  createSecret(secret: SecretObject): Promise<SecretObject> {
    const { namespace, name } = secret.metadata;
    return this.#call('create', `creating Secret ${namespace}/${name}`, () => this.#secrets.create(secret));
  }

  replaceSecret(secret: SecretObject): Promise<SecretObject> {
    const { namespace, name } = secret.metadata;
    return this.#call('update', `replacing Secret ${namespace}/${name}`, () => this.#secrets.replace(secret));
  }

  async patchStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<void> {
    const what = `patching the status of ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    const target = {
      group: GROUP,
      version: VERSION,
      plural: plural(ref.kind),
      namespace: ref.namespace,
      name: ref.name,
    };
    await this.#call('patch', what, () => this.#status.patch(target, status));
  }

  async createEvent(namespace: string, event: EventRecord): Promise<void> {
    const { regarding } = event;
    await this.#call('create', `recording an Event for ${regarding.kind} ${regarding.name}`, () =>
      this.#events.create(namespace, {
        regarding: { apiVersion: `${GROUP}/${VERSION}`, ...regarding },
        type: event.type,
        action: 'Reconcile',
        reason: event.reason,
        note: event.note,
      }),
    );
  }
}
