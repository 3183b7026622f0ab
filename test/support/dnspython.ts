// dnspython (an independent DNSSEC implementation) for cross-checks: the first interpreter that has it. Debian's
// python3-dnspython (in .ci/run's package list) provides it for /usr/bin/python3.
import { execFileSync, spawnSync } from 'node:child_process';

let found: string | null | undefined;

export function dnspython(): string {
  if (found === undefined) {
    found = null;
    for (const candidate of ['/usr/bin/python3', 'python3']) {
      const probe = spawnSync(candidate, ['-c', 'import dns.dnssec, cryptography'], { stdio: 'ignore' });
      if (probe.status === 0) {
        found = candidate;
        break;
      }
    }
  }
  if (found === null) throw new Error('no python3 with dnspython and cryptography (apt-get install python3-dnspython)');
  return found;
}

/** Runs a Python script with `input` as JSON on stdin; returns its stdout. */
export function runPython(script: string, input: unknown): string {
  return execFileSync(dnspython(), ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
}
