// A list-and-watch cache of one resource that keeps itself running. client-node's ListWatch relists by itself
// after 410 Gone, but stops for good on any other error (a failed list, a broken watch connection, a 5xx):
// this wrapper restarts it with capped exponential backoff (with jitter), keeps a throwing handler from
// breaking the stream, and tells when the cache first holds a complete list.
import { Backoff } from '../../lib/backoff.ts';
import { ListWatch, Watch, type KubeConfig, type KubernetesObject, type ListPromise } from '@kubernetes/client-node';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** The collection path, e.g. /apis/geodns.io/v1alpha1/geoendpoints or /api/v1/namespaces/web/services. */
  path: string;
  /** Lists the collection (returning its items and list resourceVersion). */
  list: ListPromise<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** First delay after an error; doubled after each further error in a row (default 500 ms). */
  initialBackoffMs?: number;
  /** Longest delay between restarts (default 5 s). */
  maxBackoffMs?: number;
  /** Told of every error that stopped the underlying informer, and of errors thrown by handlers. */
  onError?: (error: unknown, source: 'informer' | 'handler') => void;
}

export class Informer<T extends KubernetesObject> {
  private readonly listWatch: ListWatch<T>;
  private readonly options: InformerOptions<T>;
  private readonly handlers: Record<InformerEvent, ((object: T) => void)[]> = { add: [], update: [], delete: [] };
  private running = false;
  private errors = 0;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private resolveSynced: () => void = () => {};
  private isSynced = false;
  /** Resolves once the cache has held a complete list. */
  readonly synced: Promise<void>;
  /** How many times the informer was restarted after an error. */
  restarts = 0;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.backoff = new Backoff({ initialMs: options.initialBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 5_000 });
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.listWatch = new ListWatch<T>(
      options.path,
      new Watch(options.kubeConfig),
      options.list,
      false,
      options.labelSelector,
      options.fieldSelector,
    );
    for (const event of ['add', 'update', 'delete'] as const) {
      this.listWatch.on(event, (object) => this.dispatch(event, object));
    }
    this.listWatch.on('error', (error: unknown) => this.failed(error));
  }

  get hasSynced(): boolean {
    return this.isSynced;
  }

  on(event: InformerEvent, handler: (object: T) => void): void {
    this.handlers[event].push(handler);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.listWatch.stop();
  }

  private dispatch(event: InformerEvent, object: T): void {
    for (const handler of this.handlers[event]) {
      try {
        handler(object);
      } catch (error) {
        this.options.onError?.(error, 'handler');
      }
    }
  }

  private async run(): Promise<void> {
    const errorsBefore = this.errors;
    await this.listWatch.start();
    // start() resolves once the list is in the cache and the watch is open, or after an error stopped it.
    if (this.running && this.errors === errorsBefore) {
      this.backoff.reset();
      if (!this.isSynced) {
        this.isSynced = true;
        this.resolveSynced();
      }
    }
  }

  private failed(error: unknown): void {
    this.errors += 1;
    this.options.onError?.(error, 'informer');
    if (!this.running || this.timer) return;
    const delay = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      this.restarts += 1;
      void this.run();
    }, delay);
  }
}
