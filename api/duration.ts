// Durations as the resources write them ('10s', '500ms', '1m30s', '2h'): the Go/Kubernetes subset with units
// h, m, s and ms. Pure; shared by the prober, the compiler and the CEL rules.

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** The schemas' pattern for a duration field, Gateway API's Duration: 1 to 4 groups of a number with h, m, s or ms
 * (parseDuration reads what it admits). */
export const DURATION_PATTERN = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';
const WHOLE = /^(?:[0-9]+(?:ms|h|m|s))+$/;
const PART = /([0-9]+)(ms|h|m|s)/g;

/** Parses a duration into milliseconds; throws an Error naming the text when it is not a valid duration. */
export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) {
    throw new Error(`invalid duration "${text}": expected e.g. 10s, 500ms, 1m30s (units h, m, s, ms)`);
  }
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const amount = Number(match[1]);
    const unit = UNIT_MS[match[2] ?? ''] ?? 0;
    total += amount * unit;
  }
  return total;
}
