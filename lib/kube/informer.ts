// A cache of one collection kept current by the reflector, with add/update/delete handlers: what the operator's
// caches are made of. A fresh list (the first, or one after 410 Gone) is reconciled with what the cache held, as
// client-go's and client-node's informers do: objects gone from it are deleted, new ones added, and ones whose
// resourceVersion moved updated, each with its handlers. A throwing handler is reported and breaks nothing.
import type { BackoffOptions } from '../backoff.ts';
import { collectionClient, type Collection } from './collection.ts';
import type { KubeConfig } from './kubeconfig.ts';
import { optionalKind, type OptionalKind } from './optional.ts';
import { Reflector, type ChangeType, type ListWatchClient } from './reflector.ts';

/** An object's metadata: the cache reads its name, namespace and resourceVersion. */
export interface ObjectMeta {
  name?: string | undefined;
  namespace?: string | undefined;
  resourceVersion?: string | undefined;
  uid?: string | undefined;
  [field: string]: unknown;
}

export interface KubeObject {
  metadata?: ObjectMeta | undefined;
}

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions {
  backoff?: BackoffOptions;
  /** Told of every error that broke the list or the watch, and of errors thrown by handlers. */
  onError?: (error: unknown, source: 'informer' | 'handler') => void;
}

const keyOf = (object: KubeObject): string => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export class Informer<T extends KubeObject> {
  readonly #reflector: Reflector<T>;
  readonly #onError: InformerOptions['onError'];
  readonly #handlers: Record<InformerEvent, ((object: T) => void)[]> = { add: [], update: [], delete: [] };
  /** By namespace ('' for cluster-scoped objects), then by name. */
  readonly #objects = new Map<string, Map<string, T>>();
  #synced = false;
  #resolveSynced: () => void = () => undefined;
  #restarts = 0;
  /** Resolves once the cache has held a complete list. */
  readonly synced: Promise<void> = new Promise((resolve) => (this.#resolveSynced = resolve));

  constructor(client: ListWatchClient<T>, options: InformerOptions = {}) {
    this.#onError = options.onError;
    this.#reflector = new Reflector<T>(
      client,
      {
        listed: (items) => this.#listed(items),
        changed: (type, object) => this.#changed(type, object),
        confirmed: () => undefined,
        connection: (state) => {
          if (state.connected) return;
          this.#restarts += 1;
          this.#onError?.(state.error, 'informer');
        },
      },
      options.backoff ? { backoff: options.backoff } : {},
    );
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** How many times the list or watch was retried after an error (410 Gone, which lists again, is no error). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether the list or the watch is established. */
  get connected(): boolean {
    return this.#reflector.connected;
  }

  on(event: InformerEvent, handler: (object: T) => void): void {
    this.#handlers[event].push(handler);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#objects.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): readonly T[] {
    if (namespace !== undefined) return [...(this.#objects.get(namespace)?.values() ?? [])];
    return [...this.#objects.values()].flatMap((objects) => [...objects.values()]);
  }

  start(): void {
    this.#reflector.start();
  }

  /** Ends the list or watch in flight; resolves once it has. */
  stop(): Promise<void> {
    return this.#reflector.stop();
  }

  #listed(items: readonly T[]): void {
    const fresh = new Set(items.map(keyOf));
    for (const objects of [...this.#objects.values()]) {
      for (const object of [...objects.values()]) if (!fresh.has(keyOf(object))) this.#delete(object);
    }
    for (const item of items) this.#put(item);
    if (this.#synced) return;
    this.#synced = true;
    this.#resolveSynced();
  }

  #changed(type: ChangeType, object: T): void {
    if (type === 'DELETED') this.#delete(object);
    else this.#put(object);
  }

  #put(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    let objects = this.#objects.get(namespace);
    if (!objects) this.#objects.set(namespace, (objects = new Map()));
    const held = objects.get(name);
    const version = object.metadata?.resourceVersion;
    if (held && version !== undefined && held.metadata?.resourceVersion === version) return;
    objects.set(name, object);
    this.#dispatch(held ? 'update' : 'add', object);
  }

  #delete(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const objects = this.#objects.get(namespace);
    const held = objects?.get(object.metadata?.name ?? '');
    if (!objects || !held) return;
    objects.delete(object.metadata?.name ?? '');
    if (objects.size === 0) this.#objects.delete(namespace);
    this.#dispatch('delete', object);
  }

  #dispatch(event: InformerEvent, object: T): void {
    for (const handler of this.#handlers[event]) {
      try {
        handler(object);
      } catch (error) {
        this.#onError?.(error, 'handler');
      }
    }
  }
}

/** An informer of `collection` through client-node; `optional`: its kind may not be served (lib/kube/optional.ts). */
export function informer<T extends KubeObject>(
  kubeConfig: KubeConfig,
  collection: Collection,
  options: InformerOptions & { optional?: OptionalKind } = {},
): Informer<T> {
  const client = collectionClient<T>(kubeConfig, collection);
  return new Informer<T>(options.optional ? optionalKind(client, options.optional) : client, options);
}
