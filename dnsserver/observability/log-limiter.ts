// At most a set number of log lines a second, for messages a client can trigger at will. Lines held back are
// counted, and the next line that goes out says how many, so the log still tells the size of what happened.
export class LogLimiter {
  readonly #perSecond: number;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #used = 0;
  #held = 0;

  /** `now`: milliseconds on any monotonic clock. */
  constructor(perSecond: number, now: () => number) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  /** -1 when the line must not be written now; else the number of lines held back since the last one written. */
  admit(): number {
    const now = this.#now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#used = 0;
    }
    if (this.#used >= this.#perSecond) {
      this.#held++;
      return -1;
    }
    this.#used++;
    const held = this.#held;
    this.#held = 0;
    return held;
  }
}
