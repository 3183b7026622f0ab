// Signing off the query path, in each DNS thread: the refresh of cached signatures falling due (on a timer), and
// signing in advance after a change (answer/ahead.ts). Jobs are generators whose every step is a small piece of work
// (one signature, or one answer's few); they run in slices of about `sliceMs` with setImmediate between slices, so
// queries waiting on the sockets are held up no longer than that. Nothing here takes from the signing budget.
import type { ZoneSigner } from './signer.ts';

export interface BackgroundSigningOptions {
  /** The signers of now (they are replaced whole when keys change). */
  signers: () => ReadonlyMap<string, ZoneSigner>;
  /** Seconds since 1970 (default: Date.now() / 1000). */
  clock?: () => number;
  /** Milliseconds between two refresh sweeps (default 60 000); each re-signs what falls due before the one after next. */
  intervalMs?: number;
  /** Milliseconds of work between two yields to the event loop (default 1). */
  sliceMs?: number;
  /** A job that threw (it is dropped; the others go on). */
  onError?: (error: unknown) => void;
}

/** Each step a signature or one answer's few; what it returns is its caller's. */
export type SigningJob = Generator<void, unknown, void>;

export class BackgroundSigning {
  readonly intervalMs: number;
  readonly #signers: () => ReadonlyMap<string, ZoneSigner>;
  readonly #clock: () => number;
  readonly #sliceMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #jobs: SigningJob[] = [];
  #running: Promise<void> | undefined;
  #refreshQueued = false;
  #closed = false;

  constructor(options: BackgroundSigningOptions) {
    this.#signers = options.signers;
    this.#clock = options.clock ?? (() => Date.now() / 1000);
    this.intervalMs = options.intervalMs ?? 60_000;
    this.#sliceMs = options.sliceMs ?? 1;
    this.#onError = options.onError ?? (() => {});
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.#timer.unref();
  }

  /**
   * Re-signs every cached signature that falls due before the sweep after next (one sweep may be late), unless the
   * last sweep is still going. Resolves when nothing is left to do.
   */
  refresh(): Promise<void> {
    if (this.#closed || this.#refreshQueued) return this.idle();
    const until = this.#clock() + (2 * this.intervalMs) / 1000;
    const jobs = [...this.#signers().values()].map((signer) => signer.refreshing(until, this.#clock));
    this.#refreshQueued = true;
    this.#jobs.push(this.#sweep(jobs));
    return this.#run();
  }

  *#sweep(jobs: readonly SigningJob[]): Generator<void, void, void> {
    try {
      for (const job of jobs) yield* job;
    } finally {
      this.#refreshQueued = false;
    }
  }

  /** Queues a job; resolves when nothing is left to do. */
  add(job: SigningJob): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#jobs.push(job);
    return this.#run();
  }

  /** Resolves when nothing is left to do. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#jobs = [];
  }

  #run(): Promise<void> {
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    while (this.#jobs.length > 0) {
      const end = performance.now() + this.#sliceMs;
      do {
        const job = this.#jobs[0] as SigningJob;
        try {
          if (job.next().done) this.#jobs.shift();
        } catch (error) {
          this.#jobs.shift();
          this.#onError(error);
        }
      } while (this.#jobs.length > 0 && performance.now() < end);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
