// Writes the status of every resource with a merge patch of /status, only when it changed, at most once per
// object per interval, and records an Event when a condition changes (at most one per object and transition, type +
// status + reason, per minute). Changes that follow the live health alone (a GeoEndpoint's target counts, its Ready
// between health reasons) and HealthProbes (their addresses move with every probe) wait longer: a target flapping
// every second writes its GeoEndpoint's status once per health interval, while the first change after a quiet
// spell and every change of spec or references go out at once. Over all objects, health-only writes share a token
// bucket, so that a thousand flapping targets cannot turn into hundreds of writes a second. Each object is a key of
// the `status` lane: set() adds it for when it is due, and the handler writes it or puts it back for later.
import type { Logger } from 'pino';
import type { Condition } from '../../api/meta.ts';
import { canonicalJson } from '../compile/index.ts';
import { statusOf, type ClusterWriter, type ObjectRef } from '../cluster-writer.ts';
import type { Lanes } from '../queue/lanes.ts';
import { TokenBucket } from '../queue/rate-limiters.ts';
import type { HandlerResult, WorkQueue } from '../queue/work-queue.ts';
import { statusPatch, type StatusBody } from './desired.ts';
import { dueAt, healthOnly, type ThrottleIntervals } from './throttle.ts';

export interface CurrentObject {
  uid?: string;
  generation?: number;
  status?: StatusBody;
}

export interface StatusWriterOptions {
  writer: ClusterWriter;
  log: Logger;
  /** Where the writes are scheduled: the writer runs the `status` lane on it. */
  lanes: Lanes;
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

interface Prepared {
  patch: StatusBody;
  body: string;
  current: CurrentObject;
}

const keyOf = (ref: ObjectRef): string => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;

export class StatusWriter {
  readonly #options: StatusWriterOptions;
  readonly #now: () => number;
  readonly #intervals: ThrottleIntervals;
  readonly #lane: WorkQueue;
  readonly #pending = new Map<string, Pending>();
  readonly #lastWrite = new Map<string, { at: number; body: string }>();
  readonly #lastEvent = new Map<string, number>();
  /** Not a retry limiter (the lane's): it spaces the health-only writes over all objects. */
  readonly #healthBucket: TokenBucket;
  /** Keys holding a token of the health bucket for a write due at the given time. */
  readonly #reserved = new Map<string, number>();

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#intervals = {
      intervalMs: options.intervalMs ?? 1000,
      healthIntervalMs: options.healthIntervalMs ?? 5000,
      probeIntervalMs: options.probeIntervalMs ?? 5000,
    };
    this.#healthBucket = new TokenBucket({
      ratePerSecond: options.healthRatePerSecond ?? 50,
      burst: options.healthBurst ?? 100,
      now: this.#now,
    });
    // A burst (a thousand new objects) goes out a few at a time instead of all at once.
    this.#lane = options.lanes.lane('status', (key) => this.#flush(key), { concurrency: options.maxInFlight ?? 16 });
  }

  /** The status `ref` should have; written now, or when the object's interval has passed. A status that may go
   *  out sooner than the one waiting (a spec change after a health change) brings its time forward. */
  set(ref: ObjectRef, desired: StatusBody): void {
    if (this.#lane.shuttingDown) return;
    const key = keyOf(ref);
    const pending = { ref, desired };
    this.#pending.set(key, pending);
    this.#lane.addAfter(key, this.#due(key, pending, this.#options.current(ref)) - this.#now());
  }

  #due(key: string, { ref, desired }: Pending, current: CurrentObject | undefined): number {
    return dueAt(
      {
        now: this.#now(),
        lastWriteAt: this.#lastWrite.get(key)?.at,
        healthOnly: healthOnly(ref, desired, current?.status),
        kind: ref.kind,
        reservedAt: this.#reserved.get(key),
      },
      this.#intervals,
    );
  }

  /** The lane's handler: writes the latest status of `key` if it is due, else asks to be run when it is. A key
   *  added while its write is in flight runs again after it, and then waits for the interval after that write. */
  async #flush(key: string): Promise<HandlerResult | void> {
    const pending = this.#pending.get(key);
    if (!pending) return;
    const prepared = this.#patch(key, pending);
    if (!prepared) {
      // Nothing to write (the object already shows it, or is gone): no token taken, none kept.
      this.#pending.delete(key);
      this.#reserved.delete(key);
      return;
    }
    const now = this.#now();
    const due = this.#due(key, pending, prepared.current);
    if (due > now) return { requeueAfterMs: due - now };
    // A health-only write takes a token of the bucket over all objects; without one at hand it waits, holding the
    // token it reserved (the latest status then goes out at that time).
    if (!this.#reserved.has(key) && healthOnly(pending.ref, pending.desired, prepared.current.status)) {
      const wait = this.#healthBucket.when();
      if (wait > 0) {
        this.#reserved.set(key, now + wait);
        return { requeueAfterMs: wait };
      }
    }
    this.#reserved.delete(key);
    this.#pending.delete(key);
    if (await this.#write(key, pending, prepared)) return;
    // Retried after the interval, unless a newer status is already waiting (which then goes out instead).
    if (!this.#pending.has(key)) this.#pending.set(key, pending);
    const retry = this.#pending.get(key) as Pending;
    return { requeueAfterMs: this.#due(key, retry, this.#options.current(retry.ref)) - this.#now() };
  }

  /** What writing `pending` would patch, if anything. */
  #patch(key: string, { ref, desired }: Pending): Prepared | undefined {
    const current = this.#options.current(ref);
    if (!current) return undefined; // deleted meanwhile
    const patch = statusPatch(desired, current.status);
    if (!patch) return undefined;
    const body = canonicalJson(patch);
    // The informer shows our own last write a moment later: do not write the same status twice meanwhile.
    if (this.#lastWrite.get(key)?.body === body) return undefined;
    return { patch, body, current };
  }

  /** Patches the status, then records the Events of its transitions; false when the patch failed. */
  async #write(key: string, { ref }: Pending, { patch, body, current }: Prepared): Promise<boolean> {
    try {
      await this.#options.writer.patchStatus(ref, patch);
      this.#lastWrite.set(key, { at: this.#now(), body });
      this.#options.onWrite?.('status');
    } catch (error) {
      if (statusOf(error) === 404) return true;
      this.#options.log.error({ resource: key, err: error }, 'writing status failed; retrying');
      this.#lastWrite.set(key, { at: this.#now(), body: '' });
      return false;
    }
    await this.#events(key, ref, current, patch.conditions ?? []);
    return true;
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
