// The order compile reads resources in, so that the same input gives the same output: by name, and by age where
// two resources claim the same apex or the same name.
import type { ObjectMeta } from '../../api/meta.ts';
import { compareStrings } from './names.ts';

function creationTime(meta: ObjectMeta): number {
  const time = meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Number.NaN;
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** Older first; a resource without a creationTimestamp counts as newest; ties by the given keys. */
export function compareAge(a: ObjectMeta, b: ObjectMeta, keyA: string, keyB: string): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(keyA, keyB);
}

export function sortByName<T extends { metadata: ObjectMeta }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
}

export function sortByNamespacedName<T extends { metadata: ObjectMeta }>(items: readonly T[]): T[] {
  const key = (item: T) => `${item.metadata.namespace ?? 'default'}/${item.metadata.name}`;
  return [...items].sort((a, b) => compareStrings(key(a), key(b)));
}
