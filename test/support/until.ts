// Waiting in tests, the one way: probe until the value is the one waited for. A probe that throws is tried again
// until the deadline (a server not up yet, a resource not made yet); the timeout's error names what was awaited,
// the last value seen and the last error.
//
// A fixed pause that waits for nothing in particular is node:timers/promises' setTimeout, not this.

export interface UntilOptions<T> {
  /** Whether a value is the one waited for; default: anything but undefined and false. */
  accept?: (value: T) => boolean;
  /** How long to keep trying (a bound, never an assertion about time); default 10 s. */
  timeoutMs?: number;
  /** The pause between tries; default 20 ms. */
  intervalMs?: number;
}

const shown = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
};

/** Probes until the value is anything but undefined/false, and returns it; throws after `timeoutMs`. */
export function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  options?: UntilOptions<T> & { accept?: undefined },
): Promise<Exclude<T, undefined | false>>;
/** Probes until `accept(value)` holds, and returns that value; throws after `timeoutMs`. */
export function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: UntilOptions<T> & { accept: (value: T) => boolean },
): Promise<T>;
export async function until<T>(what: string, probe: () => T | Promise<T>, options: UntilOptions<T> = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 20 } = options;
  const accept = options.accept ?? ((value: T) => value !== undefined && value !== false);
  const deadline = Date.now() + timeoutMs;
  let tried = false;
  let last: T | undefined;
  let lastError: unknown;
  let failed = false;
  for (;;) {
    try {
      const value = await probe();
      tried = true;
      last = value;
      if (accept(value)) return value;
    } catch (error) {
      failed = true;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = tried ? shown(last) : 'none';
      const error = failed ? String(lastError instanceof Error ? lastError.message : lastError) : 'none';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${seen}; last error: ${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
