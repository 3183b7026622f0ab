// Canonical JSON for compiled documents: object keys sorted, no insignificant white space, a newline at the end
// (the same idea as RFC 8785). Arrays keep their order — the compiler sorts them. Same document, same bytes.
import { createHash } from 'node:crypto';
import type { CompiledZone } from '../../api/compiled.ts';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted[key] = sortKeys(entry);
    }
    return sorted;
  }
  return value;
}

export function serializeCompiledZone(doc: CompiledZone): string {
  return `${canonicalJson(doc)}\n`;
}

/** sha256 (hex) of the document's canonical JSON without `serial` and `contentHash`. */
export function contentHashOf(doc: Omit<CompiledZone, 'serial' | 'contentHash'>): string {
  const { serial: _serial, contentHash: _hash, ...content } = doc as CompiledZone;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
