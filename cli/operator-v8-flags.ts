// V8 settings the operator runs with, set by `geodns operator` itself at start (so that they hold wherever it
// runs, whatever starts it), each unless node was started with its own setting of it (docs/operator.md, "Memory").
//
// - How far the heap may grow between full collections. The live heap is small (about 65 MB with 1,000
//   GeoEndpoints, most of it the code of @kubernetes/client-node) and every reconcile leaves short-lived garbage.
//   V8 lets the old generation grow to a multiple of what the last full collection kept, and that multiple depends
//   on the heap limit, which Node derives from the host's memory (or the container's limit): up to 4× on a host
//   with gigabytes free (315 MiB RSS in bench/operator/scale.ts), 1.3× under a small limit. Fixed at 1.3×; the
//   heap is not capped.
// - No Maglev (V8's mid-tier compiler; the interpreter, Sparkplug and TurboFan remain). A start over 1,000
//   GeoEndpoints has it compile many functions at once on background threads, whose memory stays resident: without
//   it the operator's peak in bench/operator/scale.ts fell from 191–216 to 180–187 MiB (seeded), with no more CPU.
//   The DNS server keeps it: its answer path is measured with it.
import { setFlagsFromString } from 'node:v8';

interface OperatorV8Flag {
  flag: string;
  /** An argument of node's own that already decides this setting. */
  own: RegExp;
}

export const OPERATOR_V8_FLAGS: readonly OperatorV8Flag[] = [
  { flag: '--heap-growing-percent=30', own: /^--heap[-_]growing[-_]percent\b/ },
  { flag: '--no-maglev', own: /^--(no[-_])?maglev$/ },
];

/** The flags to set: those that node was not started with a setting of (node --heap-growing-percent=N, --maglev). */
export function operatorV8Flags(execArgv: readonly string[]): string[] {
  return OPERATOR_V8_FLAGS.filter(({ own }) => !execArgv.some((arg) => own.test(arg))).map(({ flag }) => flag);
}

/** Sets them at run time: V8 reads both as it goes (the growth at each full collection, Maglev at each tier-up). */
export function setOperatorV8Flags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of operatorV8Flags(execArgv)) setFlagsFromString(flag);
}
