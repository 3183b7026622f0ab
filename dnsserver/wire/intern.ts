// Question names seen lately, by a hash of their text. Resolvers ask the same names over and over: handing out the
// same string for the same name spares making a new string per query, and that string's hash (which every map
// lookup by name needs) is computed once instead of per query.
import { FNV_OFFSET, fnvFinish, fnvStep } from './hash.ts';

const INTERN_LIMIT = 16_384;
const interned = new Map<number, string>();

/** FNV-1a of text[0..length). */
export function textHash(text: Uint8Array, length: number): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < length; i++) hash = fnvStep(hash, text[i] as number);
  return fnvFinish(hash);
}

/** The latin1 string of text[0..length): the one handed out before for the same bytes, when still remembered. */
export function internName(text: Buffer, length: number): string {
  const hash = textHash(text, length);
  const known = interned.get(hash);
  if (known !== undefined && known.length === length && sameText(known, text)) return known;
  const name = text.toString('latin1', 0, length);
  if (interned.size >= INTERN_LIMIT) interned.clear();
  interned.set(hash, name);
  return name;
}

function sameText(known: string, text: Uint8Array): boolean {
  for (let i = 0; i < known.length; i++) if (known.charCodeAt(i) !== text[i]) return false;
  return true;
}
