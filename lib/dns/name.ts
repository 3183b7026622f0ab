// Domain names between wire form and the one text form used everywhere in the DNS server (and by the DNSSEC key
// code both sides share): lower case ASCII, no trailing dot, labels joined by '.', and any byte that could be
// misread escaped like dig does ('\.' for a dot inside a label, '\\' for a backslash, '\DDD' for non-printable
// bytes), so two different wire names never share a text. Pure functions, shared by dnsserver/wire and lib/dnssec.

const BACKSLASH = 0x5c;
const DOT = 0x2e;

export const MAX_LABEL_LENGTH = 63;
export const MAX_NAME_LENGTH = 255;

/**
 * Writes the text form of one label (bytes src[start..end)) into out at pos, lower-casing A-Z. Returns the new
 * position. out must have room for 4 bytes per label byte.
 */
export function writeLabelText(src: Uint8Array, start: number, end: number, out: Uint8Array, pos: number): number {
  for (let i = start; i < end; i++) {
    const b = src[i] as number;
    if (b >= 0x41 && b <= 0x5a) {
      out[pos++] = b | 0x20;
    } else if (b > 0x20 && b < 0x7f && b !== DOT && b !== BACKSLASH) {
      out[pos++] = b;
    } else if (b === DOT || b === BACKSLASH) {
      out[pos++] = BACKSLASH;
      out[pos++] = b;
    } else {
      out[pos++] = BACKSLASH;
      out[pos++] = 0x30 + Math.floor(b / 100);
      out[pos++] = 0x30 + (Math.floor(b / 10) % 10);
      out[pos++] = 0x30 + (b % 10);
    }
  }
  return pos;
}

/**
 * Splits a name in text form ('www.Example.com.', escapes allowed) into its wire labels (case kept). Throws with
 * the reason when the text is not a valid name (empty label, label > 63 bytes, name > 255 bytes, bad escape).
 */
export function nameToLabels(name: string): Buffer[] {
  const text = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  if (text === '' || text === '.') return [];
  const labels: Buffer[] = [];
  let current: number[] = [];
  let wireLength = 1;
  const finishLabel = (): void => {
    if (current.length === 0) throw new Error(`name '${name}': empty label`);
    if (current.length > MAX_LABEL_LENGTH) throw new Error(`name '${name}': label longer than 63 bytes`);
    wireLength += current.length + 1;
    labels.push(Buffer.from(current));
    current = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
          throw new Error(`name '${name}': bad escape '\\${digits}' at character ${i}`);
        }
        current.push(Number(digits));
        i += 3;
      } else if (Number.isNaN(next)) {
        throw new Error(`name '${name}': dangling backslash at the end`);
      } else {
        current.push(next);
        i += 1;
      }
    } else if (c === DOT) {
      finishLabel();
    } else if (c > 0x7f) {
      throw new Error(`name '${name}': non-ASCII character at ${i} (use punycode)`);
    } else {
      current.push(c);
    }
  }
  finishLabel();
  if (wireLength > MAX_NAME_LENGTH) throw new Error(`name '${name}': longer than 255 bytes in wire form`);
  return labels;
}

/** Canonical text form (lower case, escaped, no trailing dot) of labels[from..]. */
export function labelsToText(labels: readonly Buffer[], from = 0): string {
  const parts: string[] = [];
  for (let i = from; i < labels.length; i++) {
    const label = labels[i] as Buffer;
    const out = Buffer.allocUnsafe(label.length * 4);
    parts.push(out.toString('latin1', 0, writeLabelText(label, 0, label.length, out, 0)));
  }
  return parts.join('.');
}

/** Wire length of a name in text form (labels plus the root byte). */
export function nameWireLength(name: string): number {
  let length = 1;
  for (const label of nameToLabels(name)) length += label.length + 1;
  return length;
}

/** A name in canonical wire form: labels lower-cased (ASCII A-Z only), uncompressed, ending in the root. */
export function canonicalName(name: string): Buffer {
  const labels = nameToLabels(name);
  const out = Buffer.allocUnsafe(labels.reduce((n, l) => n + l.length + 1, 1));
  let pos = 0;
  for (const label of labels) {
    out[pos++] = label.length;
    for (let i = 0; i < label.length; i++) {
      const b = label[i] as number;
      out[pos++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
    }
  }
  out[pos] = 0;
  return out;
}
