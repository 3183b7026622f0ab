// How many new signatures a DNS thread may make a second for UDP queries. Answers whose signatures are cached cost
// nothing; a flood of made-up names with the DO bit needs one new NSEC signature per name, and beyond the budget
// those queries get TC=1 (the client retries over TCP, whose handshake proves its address; TCP is not budgeted).
// A token bucket with the clock passed in (seconds).

export const DEFAULT_SIGNATURES_PER_SECOND = 1000;

export class SigningBudget {
  readonly rate: number;
  #tokens: number;
  #last: number | undefined;

  /** `rate` new signatures a second, at most `rate` at once (a second's worth). */
  constructor(rate: number) {
    if (!(rate > 0)) throw new Error(`signing budget: expected a positive rate, got ${rate}`);
    this.rate = rate;
    this.#tokens = rate;
  }

  /** Takes one signature's worth at `now` (seconds); false when the budget is spent. */
  take(now: number): boolean {
    if (this.#last !== undefined && now > this.#last) {
      this.#tokens = Math.min(this.rate, this.#tokens + (now - this.#last) * this.rate);
    }
    if (this.#last === undefined || now > this.#last) this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Thrown by ZoneSigner.sign when a signature would have to be made beyond the budget: one instance, made once, since
 * a flood throws it for every query beyond the budget and capturing a stack trace each time was a measurable share
 * of the cost of refusing one (bench/dnssec.ts flood).
 */
export class SigningBudgetExceeded extends Error {
  static readonly instance = new SigningBudgetExceeded();

  constructor() {
    super('DNSSEC signing budget exceeded');
    this.name = 'SigningBudgetExceeded';
  }
}
