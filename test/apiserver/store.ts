// Objects by type, namespace and name, one global resourceVersion counter (etcd's revision), and the history of
// changes that watches replay. The history keeps the last `historySize` events; a watch from an older
// resourceVersion, or from one before the last compaction, is answered 410 Gone.
import { clone, type KubeObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** group/plural */
  typeKey: string;
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED): watches with selectors need it. */
  previous?: KubeObject;
  revision: number;
}

export type Listener = (event: StoreEvent) => void;

export class TooOldError extends Error {}

function objectKey(typeKey: string, namespace: string | undefined, name: string): string {
  return `${typeKey}\n${namespace ?? ''}\n${name}`;
}

export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private revision = 1;
  /** Events at or below this revision are gone. */
  private compacted = 0;
  historySize: number;

  constructor(historySize = 10_000) {
    this.historySize = historySize;
  }

  get currentRevision(): number {
    return this.revision;
  }

  get(typeKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(objectKey(typeKey, namespace, name));
    return found && clone(found);
  }

  /** Every object of a type (in one namespace, or all), sorted by namespace and name as etcd's keys are. */
  list(typeKey: string, namespace?: string): KubeObject[] {
    const prefix = namespace === undefined ? `${typeKey}\n` : `${typeKey}\n${namespace}\n`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => clone(object));
  }

  /** Every stored object, for garbage collection. */
  all(): { typeKey: string; object: KubeObject }[] {
    return [...this.objects.entries()].map(([key, object]) => ({ typeKey: key.split('\n')[0] ?? '', object }));
  }

  /** Writes an object (added or modified), stamping the next resourceVersion. Returns the stored copy. */
  put(typeKey: string, object: KubeObject): KubeObject {
    const name = object.metadata.name ?? '';
    const key = objectKey(typeKey, object.metadata.namespace, name);
    const previous = this.objects.get(key);
    this.revision += 1;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(this.revision);
    this.objects.set(key, stored);
    this.record({
      type: previous ? 'MODIFIED' : 'ADDED',
      typeKey,
      object: stored,
      previous,
      revision: this.revision,
    });
    return clone(stored);
  }

  /** Removes an object; the DELETED event carries it with a new resourceVersion, as the API server's does. */
  remove(typeKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(typeKey, namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.objects.delete(key);
    this.revision += 1;
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(this.revision);
    this.record({ type: 'DELETED', typeKey, object: gone, previous, revision: this.revision });
    return clone(gone);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.compacted = Math.max(this.compacted, dropped.at(-1)?.revision ?? 0);
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Forgets all history: every watch from a resourceVersion before now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.compacted = this.revision;
  }

  /** The events of one type after `revision`, in order. Throws TooOldError when some are gone. */
  since(typeKey: string, revision: number): StoreEvent[] {
    if (revision < this.compacted) {
      throw new TooOldError(`too old resource version: ${revision} (${this.compacted + 1})`);
    }
    return this.history.filter((e) => e.revision > revision && e.typeKey === typeKey);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
