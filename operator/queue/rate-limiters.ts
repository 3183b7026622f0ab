// How long a key put back after a failure waits before it is handed out again: client-go's workqueue rate
// limiters (a per-key exponential backoff and an overall token bucket, the queue waiting for the larger of the two).
// Pure: time comes from the injected clock, nothing here arms a timer.

export interface RateLimiter {
  /** The delay before `key` may run again; each call counts as one more retry of it. */
  when(key: string): number;
  /** Stops counting retries of `key` (it succeeded, or was given up on). */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  retries(key: string): number;
}

export interface ExponentialBackoffOptions {
  /** The first retry's delay; each further retry doubles it. Default 5 ms. */
  baseMs?: number;
  /** The longest delay. Default 30 s. */
  maxMs?: number;
}

/** base × 2^(retries so far), capped at max, per key. */
export class ExponentialBackoff implements RateLimiter {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: ExponentialBackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 5;
    this.#maxMs = options.maxMs ?? 30_000;
    if (!(this.#baseMs > 0)) throw new RangeError(`backoff baseMs must be > 0, got ${this.#baseMs}`);
    if (!(this.#maxMs >= this.#baseMs))
      throw new RangeError(`backoff maxMs (${this.#maxMs}) must be >= baseMs (${this.#baseMs})`);
  }

  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2 ** 1100 is Infinity, which Math.min caps like any other large value.
    return Math.min(this.#maxMs, this.#baseMs * 2 ** failures);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. Default 10. */
  ratePerSecond?: number;
  /** The bucket's size: how many retries may go at once after a quiet spell. Default 100. */
  burst?: number;
  /** Milliseconds on a monotonic clock. Default performance.now. */
  now?: () => number;
}

/**
 * An overall limit shared by every key. Like golang.org/x/time/rate's Reserve, a call always takes a token, the
 * bucket going into debt when empty, and the delay is how long the debt takes to be paid back: so N retries in a
 * burst beyond the bucket's size come out evenly spaced at the rate.
 */
export class TokenBucket implements RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions = {}) {
    this.#rate = options.ratePerSecond ?? 10;
    this.#burst = options.burst ?? 100;
    this.#now = options.now ?? (() => performance.now());
    if (!(this.#rate > 0)) throw new RangeError(`token bucket ratePerSecond must be > 0, got ${this.#rate}`);
    if (!(this.#burst >= 1)) throw new RangeError(`token bucket burst must be >= 1, got ${this.#burst}`);
    this.#tokens = this.#burst;
    this.#last = this.#now();
  }

  when(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#rate;
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for (every limiter is asked, so each counts the retry). */
export class MaxOf implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    let delay = 0;
    for (const limiter of this.#limiters) delay = Math.max(delay, limiter.when(key));
    return delay;
  }

  forget(key: string): void {
    for (const limiter of this.#limiters) limiter.forget(key);
  }

  retries(key: string): number {
    let retries = 0;
    for (const limiter of this.#limiters) retries = Math.max(retries, limiter.retries(key));
    return retries;
  }
}

export interface DefaultRateLimiterOptions {
  backoff?: ExponentialBackoffOptions;
  bucket?: TokenBucketOptions;
}

/** client-go's DefaultControllerRateLimiter with a shorter cap: backoff 5 ms … 30 s per key, 10/s burst 100 overall. */
export function defaultRateLimiter(options: DefaultRateLimiterOptions = {}): RateLimiter {
  return new MaxOf(new ExponentialBackoff(options.backoff), new TokenBucket(options.bucket));
}
