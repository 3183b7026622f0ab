// The operator's writes through @kubernetes/client-node: ConfigMaps, status merge patches and Events. Errors come
// out as ApiError with the HTTP status (0 when the API server could not be reached), counted by verb.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../api/meta.ts';
import { KINDS } from '../../api/kinds.ts';
import { loadKubeConfig } from '../../lib/kube/kubeconfig.ts';
import { MANAGER } from '../../api/configmaps.ts';
import {
  ApiError,
  type ClusterWriter,
  type ConfigMapObject,
  type EventRecord,
  type ObjectRef,
} from '../publish/writer.ts';

/** The client configuration, and the Lease API, for code outside operator/kube/ that only passes them on. */
export { CoordinationV1Api, type KubeConfig };

/** Loads --kubeconfig FILE, else $KUBECONFIG / ~/.kube/config / the in-cluster service account. */
export { loadKubeConfig };

function toApiError(error: unknown, what: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ApiException) {
    const body = error.body as { message?: string } | string | undefined;
    const message = typeof body === 'object' && body?.message ? body.message : error.message;
    return new ApiError(error.code, `${what}: ${message}`);
  }
  return new ApiError(0, `${what}: ${error instanceof Error ? error.message : String(error)}`);
}

function plural(kind: ObjectRef['kind']): string {
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) throw new Error(`unknown kind ${kind}`);
  return info.plural;
}

function fromConfigMap(cm: V1ConfigMap): ConfigMapObject {
  return {
    metadata: {
      name: cm.metadata?.name ?? '',
      namespace: cm.metadata?.namespace ?? '',
      ...(cm.metadata?.labels ? { labels: cm.metadata.labels } : {}),
      ...(cm.metadata?.annotations ? { annotations: cm.metadata.annotations } : {}),
      ...(cm.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}),
      ...(cm.metadata?.ownerReferences ? { ownerReferences: cm.metadata.ownerReferences } : {}),
    },
    ...(cm.data ? { data: cm.data } : {}),
    ...(cm.binaryData ? { binaryData: cm.binaryData } : {}),
  };
}

/**
 * An Event's name as client-go's recorders make it: the regarded object's name, a dot, the time in hex. A
 * generateName of `name.` is refused (a generated name's prefix may end in '-' but not in '.'); the nanoseconds of
 * the high-resolution clock keep two Events of one object in the same millisecond apart.
 */
function eventName(regarding: string): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return `${regarding}.${nanos.toString(16)}`;
}

export class KubeApi implements ClusterWriter {
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #events: EventsV1Api;
  readonly #onError: ((verb: string) => void) | undefined;

  constructor(config: KubeConfig, options: { onError?: (verb: string) => void } = {}) {
    this.#core = config.makeApiClient(CoreV1Api);
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#events = config.makeApiClient(EventsV1Api);
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

  async createConfigMap(cm: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = cm.metadata;
    return fromConfigMap(
      await this.#call('create', `creating ConfigMap ${namespace}/${name}`, () =>
        this.#core.createNamespacedConfigMap({ namespace, body: cm, fieldManager: MANAGER }),
      ),
    );
  }

  async replaceConfigMap(cm: ConfigMapObject): Promise<ConfigMapObject> {
    const { namespace, name } = cm.metadata;
    return fromConfigMap(
      await this.#call('update', `replacing ConfigMap ${namespace}/${name}`, () =>
        this.#core.replaceNamespacedConfigMap({ namespace, name, body: cm, fieldManager: MANAGER }),
      ),
    );
  }

  async readConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined> {
    try {
      return fromConfigMap(
        await this.#call('get', `reading ConfigMap ${namespace}/${name}`, () =>
          this.#core.readNamespacedConfigMap({ namespace, name }),
        ),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await this.#call('delete', `deleting ConfigMap ${namespace}/${name}`, () =>
      this.#core.deleteNamespacedConfigMap({ namespace, name }),
    );
  }

  async patchStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<void> {
    const what = `patching the status of ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const common = { group: GROUP, version: VERSION, plural: plural(ref.kind), name: ref.name, body: { status } };
    await this.#call('patch', what, () =>
      ref.namespace
        ? this.#custom.patchNamespacedCustomObjectStatus(
            { ...common, namespace: ref.namespace, fieldManager: MANAGER },
            options,
          )
        : this.#custom.patchClusterCustomObjectStatus({ ...common, fieldManager: MANAGER }, options),
    );
  }

  async createEvent(namespace: string, event: EventRecord): Promise<void> {
    // A plain Date reaches the wire with milliseconds, which the API server's MicroTime refuses (400): see
    // lease-record.ts.
    const now = new V1MicroTime();
    const { regarding } = event;
    await this.#call('create', `recording an Event for ${regarding.kind} ${regarding.name}`, () =>
      this.#events.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: eventName(regarding.name), namespace },
          eventTime: now,
          reportingController: `geodns.io/operator`,
          reportingInstance: MANAGER,
          action: 'Reconcile',
          reason: event.reason,
          note: event.note,
          type: event.type,
          regarding: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: regarding.kind,
            name: regarding.name,
            ...(regarding.namespace ? { namespace: regarding.namespace } : {}),
            ...(regarding.uid ? { uid: regarding.uid } : {}),
          },
        },
      }),
    );
  }
}
