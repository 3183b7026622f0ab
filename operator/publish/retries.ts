// Runs a keyed job until it succeeds: a key added again while it waits runs once, a key added while it runs runs
// once more after, and a failing key is retried with capped exponential backoff without holding up other keys.
export interface KeyedRetriesOptions {
  onError?: (key: string, error: unknown) => void;
  baseMs?: number;
  maxMs?: number;
}

export class KeyedRetries {
  readonly #job: (key: string) => Promise<void>;
  readonly #options: KeyedRetriesOptions;
  readonly #pending = new Set<string>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(job: (key: string) => Promise<void>, options: KeyedRetriesOptions = {}) {
    this.#job = job;
    this.#options = options;
  }

  add(key: string): void {
    if (this.#closed) return;
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    this.#pending.add(key);
    if (!this.#running.has(key)) queueMicrotask(() => this.#start(key));
  }

  /** Resolves once nothing runs or waits to run now (backoff timers aside). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#pending.size > 0) {
      await Promise.all([...this.#running.values(), new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#pending.clear();
  }

  #start(key: string): void {
    if (this.#closed || this.#running.has(key) || !this.#pending.delete(key)) return;
    const run = this.#job(key).then(
      () => {
        this.#failures.delete(key);
      },
      (error: unknown) => {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        this.#options.onError?.(key, error);
        const delay = Math.min(this.#options.maxMs ?? 30_000, (this.#options.baseMs ?? 100) * 2 ** (failures - 1));
        if (!this.#closed && !this.#pending.has(key)) {
          this.#timers.set(
            key,
            setTimeout(() => {
              this.#timers.delete(key);
              this.add(key);
            }, delay).unref(),
          );
        }
      },
    );
    this.#running.set(
      key,
      run.finally(() => {
        this.#running.delete(key);
        if (this.#pending.has(key)) this.#start(key);
      }),
    );
  }
}
