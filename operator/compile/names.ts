// Domain-name helpers for the compiler. Names in a compiled document are absolute, lower case and carry no
// trailing dot; the root is the empty string.

/** Lower-cases a name and strips one trailing dot: `WWW.Example.COM.` → `www.example.com`. */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True when `name` equals `apex` or lies below it (both canonical). */
export function isInZone(name: string, apex: string): boolean {
  if (apex === '') return true;
  return name === apex || name.endsWith(`.${apex}`);
}

/** True when `name` lies strictly below `ancestor` (both canonical). */
export function isBelow(name: string, ancestor: string): boolean {
  return name !== ancestor && isInZone(name, ancestor);
}

/**
 * Resolves a name written in a zone file: '@' is the apex, a name ending in '.' is absolute, anything else is
 * relative to the apex. Returns the canonical absolute name.
 */
export function resolveZoneName(written: string, apex: string): string {
  const name = written.trim();
  if (name === '@') return apex;
  if (name.endsWith('.')) return canonicalName(name);
  const relative = name.toLowerCase();
  return apex === '' ? relative : `${relative}.${apex}`;
}

/** Why a canonical name is not a valid domain name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return undefined;
  if (name.length > 253) return `name is longer than 253 characters`;
  const labels = name.split('.');
  for (const [index, label] of labels.entries()) {
    if (label === '') return `name "${name}" has an empty label`;
    if (label.length > 63) return `label "${label}" is longer than 63 characters`;
    if (label === '*' && index === 0) continue;
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return `label "${label}" may hold only letters, digits, '-' and '_' (not at either end)`;
    }
  }
  return undefined;
}

/** Canonical DNS ordering is not needed here: plain code-unit order is stable and simple. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
