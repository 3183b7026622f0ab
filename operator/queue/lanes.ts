// The operator's one clock for its own work: every timed thing it does (a pipeline run, an object's status write,
// the health write, the serving check, deriving status again) is a key of a WorkQueue run here, as
// controller-runtime's reconcileHandler runs its queue: an event adds the key (now, after a window, after the
// backoff), a worker takes it, the handler decides and writes, and asks to be run again if it must wait.
//
// One queue type, one queue per lane rather than one queue for every key, because the lanes need their own
// concurrency and their own retry bucket: a health write must never wait behind 16 slow status patches (the
// readiness path's latency), zone writes go two at a time, and a thousand failing status patches must not spend
// the tokens the health write retries on. Each lane is still the same WorkQueue with the same semantics; idle()
// and shutDown() speak for all of them.
import type { RateLimiter } from './rate-limiters.ts';
import { WorkQueue, type HandlerResult, type RunOptions, type WorkQueueMetrics } from './work-queue.ts';

export type Handler = (key: string) => Promise<HandlerResult | void> | HandlerResult | void;

export interface LaneOptions extends RunOptions {
  /** Retries after a failure (default: WorkQueue's, backoff 5 ms … 30 s per key, 10/s burst 100 over the lane). */
  rateLimiter?: RateLimiter;
}

export interface LanesOptions {
  /** Milliseconds on a monotonic clock for every lane (default performance.now). */
  now?: () => number;
  /** The metrics hooks of a lane (workqueue_* named after it). */
  metrics?: (lane: string) => WorkQueueMetrics;
}

export class Lanes {
  readonly #options: LanesOptions;
  readonly #queues = new Map<string, WorkQueue>();
  readonly #running: Promise<void>[] = [];

  constructor(options: LanesOptions = {}) {
    this.#options = options;
  }

  /** A new lane: `handler` runs on its keys with the lane's workers until shutDown(). */
  lane(name: string, handler: Handler, options: LaneOptions = {}): WorkQueue {
    if (this.#queues.has(name)) throw new Error(`lane ${name} exists already`);
    const { rateLimiter, ...run } = options;
    const metrics = this.#options.metrics?.(name);
    const queue = new WorkQueue({
      ...(this.#options.now ? { now: this.#options.now } : {}),
      ...(rateLimiter ? { rateLimiter } : {}),
      ...(metrics ? { metrics } : {}),
    });
    this.#queues.set(name, queue);
    this.#running.push(queue.run(handler, run));
    return queue;
  }

  /** Every lane idle at once: nothing queued, held or in a coalescing window (throttles, retries and resyncs wait
   *  on). */
  get isIdle(): boolean {
    for (const queue of this.#queues.values()) if (!queue.isIdle) return false;
    return true;
  }

  /** Resolves once every lane is idle at the same time (a handler in one lane may add to another). */
  async idle(): Promise<void> {
    while (!this.isIdle) await Promise.all([...this.#queues.values()].map((queue) => queue.idle()));
  }

  /** Hands out nothing more on any lane; resolves once every handler in flight has finished (the drain). */
  async shutDown(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.shutDown()));
    await Promise.all(this.#running);
  }
}
