// IP address bytes to text for the EDNS Client Subnet option (no I/O module, so no node:net here).

/** Text of a (possibly short) address: missing trailing bytes count as zero. IPv6 follows RFC 5952. */
export function addressToText(family: 1 | 2, bytes: Uint8Array, start: number, length: number): string {
  if (family === 1) {
    const b = (i: number): number => (i < length ? (bytes[start + i] as number) : 0);
    return `${b(0)}.${b(1)}.${b(2)}.${b(3)}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    const hi = i < length ? (bytes[start + i] as number) : 0;
    const lo = i + 1 < length ? (bytes[start + i + 1] as number) : 0;
    groups.push((hi << 8) | lo);
  }
  // The longest run of two or more zero groups (first one on a tie) becomes '::'.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
