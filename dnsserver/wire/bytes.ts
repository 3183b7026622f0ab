// Byte writes for building responses.
// Responses are a few dozen bytes: plain byte writes and loops cost less here than Buffer's checked writers and
// copy(), whose argument checks and native calls are a measurable share of each answer.
export function put16(out: Uint8Array, pos: number, value: number): void {
  out[pos] = value >>> 8;
  out[pos + 1] = value & 0xff;
}

const SMALL_COPY = 64;

/** Copies src[start..end) into out at pos; returns the bytes copied. */
export function copyBytes(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  const length = end - start;
  if (length > SMALL_COPY) out.set(src.subarray(start, end), pos);
  else for (let i = 0; i < length; i++) out[pos + i] = src[start + i] as number;
  return length;
}
