// How far the operator's V8 heap may grow between full collections. Its live heap is small (about 70 MB with 1,000
// GeoEndpoints, most of it the code of @kubernetes/client-node) and every reconcile leaves a lot of short-lived
// garbage. V8 lets the old generation grow to a multiple of what the last full collection kept, and that multiple
// depends on the heap limit, which Node derives from the host's memory (or the container's limit): up to 4× on a
// host with gigabytes free (315 MiB RSS in bench/operator/scale.ts), 1.3× under a small limit. Fixing it at 1.3×
// makes the operator's memory the same wherever it runs, without capping the heap (docs/operator.md, "Memory").
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

/** The V8 flag to set, or undefined when the process was started with its own (node --heap-growing-percent=N). */
export function heapGrowingFlag(execArgv: readonly string[]): string | undefined {
  const own = execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
  return own ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets the growth at run time: V8 reads it at each full collection, so it needs no flag where node is started. */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  const flag = heapGrowingFlag(execArgv);
  if (flag) setFlagsFromString(flag);
}
