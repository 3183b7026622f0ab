// FNV-1a, cut to 30 bits so that it stays a small integer (a cheap map key). Used where a hash of a few bytes
// replaces building a string key per query: interned question names, remembered ECS subnets.

export const FNV_OFFSET = 0x811c9dc5;

/** One step: the hash so far with one more byte (or small number) mixed in. */
export function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

/** The finished hash: 30 bits. */
export function fnvFinish(hash: number): number {
  return hash & 0x3fffffff;
}
