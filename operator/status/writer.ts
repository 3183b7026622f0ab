// Writes the status of every resource with a merge patch of /status, only when it changed, at most once per
// object per interval, and records an Event when a condition changes (at most one per object and transition, type +
// status + reason, per minute). Changes that follow the live health alone (a GeoEndpoint's target counts, its Ready
// between health reasons) and HealthProbes (their addresses move with every probe) wait longer: a target flapping
// every second writes its GeoEndpoint's status once per health interval, while the first change after a quiet
// spell and every change of spec or references go out at once. Over all objects, health-only writes share a token
// bucket, so that a thousand flapping targets cannot turn into hundreds of writes a second.
import type { Logger } from 'pino';
import type { Condition } from '../../api/meta.ts';
import { canonicalJson } from '../compile/index.ts';
import { statusOf, type ClusterWriter, type ObjectRef } from '../publish/writer.ts';
import { TokenBucket } from '../queue/rate-limiters.ts';
import { followsHealthOnly, statusPatch, type StatusBody } from './desired.ts';

export interface CurrentObject {
  uid?: string;
  generation?: number;
  status?: StatusBody;
}

export interface StatusWriterOptions {
  writer: ClusterWriter;
  log: Logger;
  /** The object as the informer holds it (undefined: gone). */
  current: (ref: ObjectRef) => CurrentObject | undefined;
  /** Where Events about cluster-scoped objects go (the operator's namespace). */
  eventNamespace: string;
  /** Least time between two status writes of one object (default 1 s). */
  intervalMs?: number;
  /** Least time before a status that follows the live health alone (default 5 s; see followsHealthOnly). */
  healthIntervalMs?: number;
  /** Least time between two status writes of one HealthProbe (default 5 s). */
  probeIntervalMs?: number;
  /** Health-only and HealthProbe writes over all objects: per second (default 50) and at once after a quiet
   *  spell (default 100). */
  healthRatePerSecond?: number;
  healthBurst?: number;
  eventIntervalMs?: number;
  /** Status writes in flight at once, over all objects (default 16); the others wait their turn. */
  maxInFlight?: number;
  now?: () => number;
  onWrite?: (kind: 'status' | 'event') => void;
}

interface Pending {
  ref: ObjectRef;
  desired: StatusBody;
}

const keyOf = (ref: ObjectRef): string => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;

export class StatusWriter {
  readonly #options: StatusWriterOptions;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  readonly #timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  readonly #lastWrite = new Map<string, { at: number; body: string }>();
  readonly #lastEvent = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Keys with a write in flight. */
  readonly #writing = new Set<string>();
  /** Keys due while the writes in flight were at their limit, in order. */
  readonly #queued = new Set<string>();
  readonly #healthBucket: TokenBucket;
  /** Keys holding a token of the health bucket for a write due at the given time. */
  readonly #reserved = new Map<string, number>();
  #closed = false;

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#healthBucket = new TokenBucket({
      ratePerSecond: options.healthRatePerSecond ?? 50,
      burst: options.healthBurst ?? 100,
      now: this.#now,
    });
  }

  /** The status `ref` should have; written now, or when the object's interval has passed. */
  set(ref: ObjectRef, desired: StatusBody): void {
    if (this.#closed) return;
    const key = keyOf(ref);
    this.#pending.set(key, { ref, desired });
    this.#arm(key, ref);
  }

  /** Flushes the key now or once its interval has passed; never while a write of the same object is in flight
   *  (the latest status then waits for it to end, and for the interval after it). A status that may go out sooner
   *  than the one waiting (a spec change after a health change) brings the timer forward. */
  #arm(key: string, ref: ObjectRef): void {
    if (this.#writing.has(key)) return;
    const last = this.#lastWrite.get(key)?.at;
    const now = this.#now();
    const { interval, healthOnly } = this.#interval(key, ref);
    let due = last === undefined ? now : last + interval;
    // A health-only write waits for the time its token is for; a spec change does not wait for the bucket.
    const reserved = this.#reserved.get(key);
    if (healthOnly && reserved !== undefined) due = Math.max(due, reserved);
    const armed = this.#timers.get(key);
    if (armed) {
      if (armed.due <= due) return;
      clearTimeout(armed.timer);
      this.#timers.delete(key);
    }
    if (due <= now) this.#flush(key);
    else this.#timers.set(key, { timer: setTimeout(() => this.#flush(key), due - now).unref(), due });
  }

  #interval(key: string, ref: ObjectRef): { interval: number; healthOnly: boolean } {
    if (ref.kind === 'HealthProbe') return { interval: this.#options.probeIntervalMs ?? 5000, healthOnly: true };
    const desired = this.#pending.get(key)?.desired;
    return desired && this.#healthOnly(ref, desired)
      ? { interval: this.#options.healthIntervalMs ?? 5000, healthOnly: true }
      : { interval: this.#options.intervalMs ?? 1000, healthOnly: false };
  }

  #healthOnly(ref: ObjectRef, desired: StatusBody, current = this.#options.current(ref)): boolean {
    return ref.kind === 'HealthProbe' || followsHealthOnly(ref.kind, desired, current?.status);
  }

  /** Resolves once nothing is due now (throttled writes may still wait). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#queued.size > 0) await Promise.all([...this.#inFlight]);
  }

  close(): void {
    this.#closed = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#pending.clear();
    this.#queued.clear();
    this.#reserved.clear();
  }

  #flush(key: string): void {
    this.#timers.delete(key);
    if (this.#writing.size >= (this.#options.maxInFlight ?? 16)) {
      // A burst (a thousand new objects) goes out a few at a time instead of all at once.
      this.#queued.add(key);
      return;
    }
    const pending = this.#pending.get(key);
    if (!pending || this.#closed) return;
    const prepared = this.#patch(key, pending);
    if (!prepared) {
      // Nothing to write (the object already shows it, or is gone): no token taken, none kept.
      this.#pending.delete(key);
      this.#reserved.delete(key);
      return;
    }
    // A health-only write takes a token of the bucket over all objects; without one at hand it waits, holding the
    // token it reserved (the latest status then goes out at that time).
    if (!this.#reserved.has(key) && this.#healthOnly(pending.ref, pending.desired, prepared.current)) {
      const wait = this.#healthBucket.when();
      if (wait > 0) {
        const due = this.#now() + wait;
        this.#reserved.set(key, due);
        this.#timers.set(key, { timer: setTimeout(() => this.#flush(key), wait).unref(), due });
        return;
      }
    }
    this.#reserved.delete(key);
    this.#pending.delete(key);
    this.#writing.add(key);
    const write = this.#write(key, pending, prepared).finally(() => {
      this.#inFlight.delete(write);
      this.#writing.delete(key);
      const next = this.#pending.get(key);
      if (next && !this.#closed) this.#arm(key, next.ref);
      this.#drainQueue();
    });
    this.#inFlight.add(write);
  }

  /** Starts the waiting keys while there is room (a key whose status is no longer pending starts nothing). */
  #drainQueue(): void {
    for (const key of this.#queued) {
      if (this.#closed || this.#writing.size >= (this.#options.maxInFlight ?? 16)) return;
      this.#queued.delete(key);
      this.#flush(key);
    }
  }

  /** What writing `pending` would patch, if anything. */
  #patch(
    key: string,
    { ref, desired }: Pending,
  ): { patch: StatusBody; body: string; current: CurrentObject } | undefined {
    const current = this.#options.current(ref);
    if (!current) return undefined; // deleted meanwhile
    const patch = statusPatch(desired, current.status);
    if (!patch) return undefined;
    const body = canonicalJson(patch);
    // The informer shows our own last write a moment later: do not write the same status twice meanwhile.
    if (this.#lastWrite.get(key)?.body === body) return undefined;
    return { patch, body, current };
  }

  async #write(
    key: string,
    { ref, desired }: Pending,
    { patch, body, current }: { patch: StatusBody; body: string; current: CurrentObject },
  ): Promise<void> {
    try {
      await this.#options.writer.patchStatus(ref, patch);
      this.#lastWrite.set(key, { at: this.#now(), body });
      this.#options.onWrite?.('status');
    } catch (error) {
      if (statusOf(error) === 404) return;
      this.#options.log.error({ resource: key, err: error }, 'writing status failed; retrying');
      this.#lastWrite.set(key, { at: this.#now(), body: '' });
      // Retried after the interval, unless a newer status is already waiting.
      if (!this.#pending.has(key)) this.#pending.set(key, { ref, desired });
      return;
    }
    await this.#events(key, ref, current, patch.conditions ?? []);
  }

  async #events(key: string, ref: ObjectRef, current: CurrentObject, conditions: readonly Condition[]): Promise<void> {
    const interval = this.#options.eventIntervalMs ?? 60_000;
    // An object's first status is not a transition: no Event for each condition of every new object.
    if (!current.status?.conditions?.length) return;
    for (const condition of conditions) {
      const before = current.status?.conditions?.find((c) => c.type === condition.type);
      if (before?.status === condition.status && before.reason === condition.reason) continue;
      // Per transition (a flapping condition is throttled, a different one is not).
      const eventKey = `${key}/${condition.type}/${condition.status}/${condition.reason}`;
      const last = this.#lastEvent.get(eventKey);
      if (last !== undefined && this.#now() - last < interval) continue;
      this.#lastEvent.set(eventKey, this.#now());
      const namespace = ref.namespace ?? this.#options.eventNamespace;
      try {
        await this.#options.writer.createEvent(namespace, {
          regarding: { ...ref, ...(current.uid ? { uid: current.uid } : {}) },
          type: condition.status === 'False' ? 'Warning' : 'Normal',
          reason: condition.reason,
          note: `${condition.type}=${condition.status}: ${condition.message}`.slice(0, 1024),
        });
        this.#options.onWrite?.('event');
      } catch (error) {
        this.#options.log.warn({ resource: key, err: error }, 'recording an Event failed');
      }
    }
  }
}
