// Capped exponential backoff with jitter: how long to wait before the next attempt after a run of failures.
// Generic on purpose (the DNS server's list+watch loop and the operator's informers use it); no clocks or timers
// here, only the numbers, so callers decide how to wait.

export interface BackoffOptions {
  /** The delay after the first failure, before jitter (default 250 ms). */
  initialMs?: number;
  /** The cap on the delay (default 5 s: after an API outage, answers should catch up within seconds). */
  maxMs?: number;
  /** Each failure multiplies the delay by this (default 2). */
  factor?: number;
  /** The fraction of the delay taken away at random, 0 to 1 (default 0.5: a delay d becomes 0.5·d to d). */
  jitter?: number;
  /** [0, 1) random numbers (default Math.random); tests pass a fixed one. */
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 250;
    this.#maxMs = options.maxMs ?? 5_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0.5;
    this.#random = options.random ?? Math.random;
    if (!(this.#initialMs > 0) || !(this.#maxMs >= this.#initialMs)) {
      throw new RangeError('backoff: expected 0 < initialMs <= maxMs');
    }
    if (!(this.#factor >= 1)) throw new RangeError('backoff: expected factor >= 1');
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) throw new RangeError('backoff: expected jitter from 0 to 1');
  }

  /** Failures counted since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts one more failure and returns how long to wait before the next attempt, in ms. */
  next(): number {
    // Exponent capped so that the product stays finite however long the failures go on.
    const exponent = Math.min(this.#failures, 64);
    this.#failures += 1;
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** exponent);
    return base * (1 - this.#jitter * this.#random());
  }

  /** After a success: the next failure waits the initial delay again. */
  reset(): void {
    this.#failures = 0;
  }
}
