// The token buckets of response rate limiting, in a table of fixed size allocated once (like Knot's table-size):
// a flood from any number of sources cannot grow it. A bucket is found by its key among a few neighbouring slots;
// a new key takes a free slot there, or else the one used least recently, so busy buckets (a network being
// limited) stay while one-off sources replace each other. No clock of its own: the caller passes the time.

/** Neighbouring slots a key may live in. */
const PROBES = 4;

export interface BucketSettings {
  /** Slots in the table. */
  size: number;
  /** Tokens a second, and the most a bucket holds (a burst of one second's worth). */
  rate: number;
  /** How deep in debt a bucket may go, in seconds of rate: how long it stays limited once a flood stops. */
  windowSeconds: number;
}

export class BucketTable {
  readonly size: number;
  readonly #rate: number;
  readonly #perMs: number;
  readonly #floor: number;
  /** 0: a free slot; else the key, forced odd so that no key is 0. */
  readonly #keys: Int32Array;
  readonly #stamps: Float64Array;
  readonly #balances: Float64Array;
  /** Responses over the limit since the last slip. */
  readonly #sinceSlip: Uint8Array;
  /** 1 while the bucket is in a limiting episode (from its first limited response until it is full again). */
  readonly #limiting: Uint8Array;
  #used = 0;

  constructor(settings: BucketSettings) {
    this.size = settings.size;
    this.#rate = settings.rate;
    this.#perMs = settings.rate / 1000;
    this.#floor = -settings.windowSeconds * settings.rate;
    this.#keys = new Int32Array(this.size);
    this.#stamps = new Float64Array(this.size);
    this.#balances = new Float64Array(this.size);
    this.#sinceSlip = new Uint8Array(this.size);
    this.#limiting = new Uint8Array(this.size);
  }

  /** Buckets in use (at most `size`). */
  get used(): number {
    return this.#used;
  }

  /**
   * Spends one token of the bucket of `key` (a 32-bit hash) at `now` (ms). Returns -1 within the limit, else the
   * bucket's slot, for slip() and startsEpisode().
   */
  spend(key: number, now: number): number {
    const stored = key | 1;
    const slot = this.#slotFor(stored, now);
    let balance = (this.#balances[slot] as number) + (now - (this.#stamps[slot] as number)) * this.#perMs;
    if (balance > this.#rate) balance = this.#rate;
    this.#stamps[slot] = now;
    balance -= 1;
    if (balance < this.#floor) balance = this.#floor;
    this.#balances[slot] = balance;
    if (balance >= 0) {
      // Full again before this response: the episode is over.
      if (balance >= this.#rate - 1) this.#limiting[slot] = 0;
      return -1;
    }
    return slot;
  }

  /** Whether this limited response is the one in `every` to send truncated (slip); `every` 1 to 255. */
  slip(slot: number, every: number): boolean {
    const count = (this.#sinceSlip[slot] as number) + 1;
    if (count >= every) {
      this.#sinceSlip[slot] = 0;
      return true;
    }
    this.#sinceSlip[slot] = count;
    return false;
  }

  /** True for the first limited response of an episode (what is worth a log line). */
  startsEpisode(slot: number): boolean {
    if (this.#limiting[slot] === 1) return false;
    this.#limiting[slot] = 1;
    return true;
  }

  #slotFor(stored: number, now: number): number {
    const start = (stored >>> 0) % this.size;
    let victim = start;
    for (let i = 0; i < PROBES; i++) {
      const next = start + i;
      const slot = next < this.size ? next : next - this.size;
      const key = this.#keys[slot] as number;
      if (key === stored) return slot;
      if (key === 0) {
        this.#used++;
        return this.#claim(slot, stored, now);
      }
      if ((this.#stamps[slot] as number) < (this.#stamps[victim] as number)) victim = slot;
    }
    return this.#claim(victim, stored, now);
  }

  /** A fresh bucket: full, not limiting. */
  #claim(slot: number, stored: number, now: number): number {
    this.#keys[slot] = stored;
    this.#stamps[slot] = now;
    this.#balances[slot] = this.#rate;
    this.#sinceSlip[slot] = 0;
    this.#limiting[slot] = 0;
    return slot;
  }
}
