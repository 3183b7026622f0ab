// A de-duplicating, rate-limited work queue of string keys with client-go's workqueue semantics:
// - a key added while it waits is not added twice (the dirty set);
// - a key added while a worker holds it waits until that worker calls done(), then is handed out once more
//   (the processing set), so two workers never hold the same key;
// - addAfter() waits before adding (the earliest of several waits wins), addRateLimited() waits as long as the
//   rate limiter says (per-key backoff, overall bucket) and forget() resets the key's backoff; add() of a key
//   that waits drops the wait (it would only hand the key out once more);
// - addCoalesced() waits like addAfter, but for a window that gathers a burst into one run: at least until the
//   current turn has ended (the events a watch delivers together make one run), and idle() counts that key as
//   work already due, where it does not count a throttle's, a retry's or a resync's wait;
// - shutDown() hands out nothing more and resolves once the keys being worked on are done.
import { defaultRateLimiter, type RateLimiter } from './rate-limiters.ts';

export interface WorkQueueMetrics {
  /** The number of keys waiting to be handed out, after each change. */
  depth?(depth: number): void;
  /** A key was added that was not already waiting. */
  added?(key: string): void;
  /** How long a key waited between being added and being handed out. */
  queued?(key: string, ms: number): void;
  /** How long a worker held a key (get to done). */
  worked?(key: string, ms: number): void;
  /** A key was put back by addRateLimited (a retry). */
  retried?(key: string): void;
}

export interface WorkQueueOptions {
  /** Default: defaultRateLimiter() (backoff 5 ms … 30 s per key, 10/s burst 100 overall). */
  rateLimiter?: RateLimiter;
  /** Milliseconds on a monotonic clock, for the metrics and addAfter. Default performance.now. */
  now?: () => number;
  metrics?: WorkQueueMetrics;
}

/** What a handler run by run() may ask for beyond success. */
export interface HandlerResult {
  /** Process the key again after this long (a resync), its backoff forgotten all the same. */
  requeueAfterMs?: number;
}

export interface RunOptions {
  /** Workers running at once; each holds one key at a time. Default 1. */
  concurrency?: number;
  /** After this many retries of a key in a row, a failure forgets it instead of retrying. Default: retry forever. */
  maxRetries?: number;
  /** Told of every failure; `retries` counts the ones before it. */
  onError?(key: string, error: unknown, retries: number): void;
}

export class WorkQueue {
  readonly #limiter: RateLimiter;
  readonly #now: () => number;
  readonly #metrics: WorkQueueMetrics;
  #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, { readyAt: number; cancel: () => void; coalesced: boolean }>();
  readonly #addedAt = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  #drained: (() => void)[] = [];
  #idlers: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#limiter = options.rateLimiter ?? defaultRateLimiter({ bucket: { now: this.#now } });
    this.#metrics = options.metrics ?? {};
  }

  /** Keys waiting to be handed out (not those held by workers nor those waiting on a delay). */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys held by workers. */
  get processing(): number {
    return this.#processing.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** No key waits to be handed out, none is held and none waits on a coalescing window (other waits aside). */
  get isIdle(): boolean {
    if (this.#queue.length > 0 || this.#processing.size > 0) return false;
    for (const waiting of this.#waiting.values()) if (waiting.coalesced) return false;
    return true;
  }

  /** Resolves once isIdle holds (at once if it does now). */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.#idlers.push(resolve));
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    this.#cancelWait(key);
    if (this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#now());
    this.#metrics.added?.(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#metrics.depth?.(this.#queue.length);
    this.#dispatch();
  }

  /** Adds `key` after `ms`; while it waits, a later addAfter with an earlier time moves it forward. */
  addAfter(key: string, ms: number): void {
    this.#wait(key, ms, false);
  }

  /** addAfter for a coalescing window: the changes within `ms`, and at least those of this turn, make one run,
   *  which idle() waits for. */
  addCoalesced(key: string, ms: number): void {
    this.#wait(key, ms, true);
  }

  #wait(key: string, ms: number, coalesced: boolean): void {
    if (this.#shuttingDown) return;
    if (!(ms > 0) && !coalesced) {
      this.add(key);
      return;
    }
    const delay = ms > 0 ? ms : 0;
    const readyAt = this.#now() + delay;
    const waiting = this.#waiting.get(key);
    if (waiting) {
      if (waiting.readyAt <= readyAt) return;
      waiting.cancel();
    }
    const ready = (): void => {
      this.#waiting.delete(key);
      this.add(key);
    };
    let cancel: () => void;
    if (delay > 0) {
      const timer = setTimeout(ready, delay);
      cancel = () => clearTimeout(timer);
    } else {
      // A window of no time ends with the turn: once the I/O callbacks of this loop iteration have run.
      const immediate = setImmediate(ready);
      cancel = () => clearImmediate(immediate);
    }
    this.#waiting.set(key, { readyAt, cancel, coalesced });
    if (waiting?.coalesced && !coalesced) this.#settle();
  }

  #cancelWait(key: string): void {
    const waiting = this.#waiting.get(key);
    if (!waiting) return;
    waiting.cancel();
    this.#waiting.delete(key);
  }

  /** Puts `key` back after the delay the rate limiter gives it (the retry after a failure). */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics.retried?.(key);
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Resets the backoff of `key`: call it when the key was processed successfully. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  retries(key: string): number {
    return this.#limiter.retries(key);
  }

  /**
   * The next key, held by the caller until done(key); undefined once the queue is shutting down. Getters are
   * served in the order they asked.
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#getters.push(resolve);
      this.#dispatch();
    });
  }

  /** The caller has finished with `key`; if it was added meanwhile, it is handed out again. */
  done(key: string): void {
    if (!this.#processing.delete(key)) return;
    const startedAt = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (startedAt !== undefined) this.#metrics.worked?.(key, this.#now() - startedAt);
    if (this.#shuttingDown) {
      if (this.#processing.size === 0) for (const resolve of this.#drained.splice(0)) resolve();
    } else if (this.#dirty.has(key)) {
      this.#queue.push(key);
      this.#metrics.depth?.(this.#queue.length);
      this.#dispatch();
    }
    this.#settle();
  }

  /** Wakes the idle() waiters once the queue is idle. */
  #settle(): void {
    if (this.#idlers.length > 0 && this.isIdle) for (const resolve of this.#idlers.splice(0)) resolve();
  }

  /**
   * Stops handing out keys: waiting getters get undefined, keys still queued or waiting on a delay are dropped
   * (whoever runs the queue next starts from a full resync). Resolves once every key held by a worker is done.
   */
  shutDown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const { cancel } of this.#waiting.values()) cancel();
      this.#waiting.clear();
      this.#queue = [];
      this.#dirty.clear();
      this.#addedAt.clear();
      this.#metrics.depth?.(0);
      for (const resolve of this.#getters.splice(0)) resolve(undefined);
      this.#settle();
    }
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * Runs `handler` on keys with `concurrency` workers until shutDown(), calling done() for it. A handler that
   * resolves has its key forgotten (and re-added after requeueAfterMs if it asks); one that throws has its key
   * retried through the rate limiter. Resolves when every worker has stopped.
   */
  async run(
    handler: (key: string) => Promise<HandlerResult | void> | HandlerResult | void,
    options: RunOptions = {},
  ): Promise<void> {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    const worker = async (): Promise<void> => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          const result = await handler(key);
          this.forget(key);
          if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (error) {
          const retries = this.retries(key);
          options.onError?.(key, error, retries);
          if (options.maxRetries !== undefined && retries >= options.maxRetries) this.forget(key);
          else this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  #dispatch(): void {
    while (this.#getters.length > 0 && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      const resolve = this.#getters.shift() as (key: string | undefined) => void;
      this.#dirty.delete(key);
      this.#processing.add(key);
      const now = this.#now();
      this.#startedAt.set(key, now);
      const addedAt = this.#addedAt.get(key);
      this.#addedAt.delete(key);
      if (addedAt !== undefined) this.#metrics.queued?.(key, now - addedAt);
      this.#metrics.depth?.(this.#queue.length);
      resolve(key);
    }
  }
}
