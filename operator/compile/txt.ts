// TXT presentation format. A value holding a double quote is read like a zone file: quoted strings (with \" \\
// and \DDD escapes) and bare words separated by blanks, each one a character-string. A value without any quote is
// one text, as people mean it ('v=spf1 -all'). Either way, a string longer than 255 bytes is split into
// 255-byte character-strings (RFC 1035 §3.3.14; RFC 7208 §3.3 joins them back), never inside a UTF-8 character.

const MAX_CHARACTER_STRING = 255;

export type TxtResult = { ok: true; strings: string[] } | { ok: false; error: string };

export function parseTxt(value: string): TxtResult {
  const tokens = value.includes('"') ? tokenizeZoneFileText(value) : { ok: true as const, tokens: [value] };
  if (!tokens.ok) return tokens;
  const strings = tokens.tokens.flatMap(splitCharacterStrings);
  return strings.length > 0 ? { ok: true, strings } : { ok: false, error: 'TXT value holds no text' };
}

function tokenizeZoneFileText(value: string): { ok: true; tokens: string[] } | { ok: false; error: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < value.length) {
    const char = value[i] as string;
    if (char === ' ' || char === '\t') {
      i++;
      continue;
    }
    const quoted = char === '"';
    if (quoted) i++;
    let token = '';
    let closed = !quoted;
    while (i < value.length) {
      const c = value[i] as string;
      if (quoted && c === '"') {
        closed = true;
        i++;
        break;
      }
      if (!quoted && (c === ' ' || c === '\t')) break;
      if (!quoted && c === '"') return { ok: false, error: `unexpected quote at position ${i + 1} inside a word` };
      if (c === '\\') {
        const escaped = readEscape(value, i + 1);
        if (!escaped.ok) return escaped;
        token += escaped.char;
        i = escaped.next;
        continue;
      }
      token += c;
      i++;
    }
    if (!closed) return { ok: false, error: 'unterminated quoted string' };
    tokens.push(token);
  }
  return { ok: true, tokens };
}

function readEscape(
  value: string,
  at: number,
): { ok: true; char: string; next: number } | { ok: false; error: string } {
  const digits = value.slice(at, at + 3);
  if (/^[0-9]{3}$/.test(digits)) {
    const code = Number(digits);
    if (code > 127) {
      return { ok: false, error: `escape \\${digits} is not ASCII; write the UTF-8 character itself` };
    }
    return { ok: true, char: String.fromCharCode(code), next: at + 3 };
  }
  const next = value[at];
  if (next === undefined) return { ok: false, error: 'value ends with a lone backslash' };
  return { ok: true, char: next, next: at + 1 };
}

/** Splits text into pieces of at most 255 UTF-8 bytes without cutting a character in two. */
export function splitCharacterStrings(text: string): string[] {
  if (Buffer.byteLength(text) <= MAX_CHARACTER_STRING) return [text];
  const pieces: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const char of text) {
    const bytes = Buffer.byteLength(char);
    if (currentBytes + bytes > MAX_CHARACTER_STRING) {
      pieces.push(current);
      current = '';
      currentBytes = 0;
    }
    current += char;
    currentBytes += bytes;
  }
  pieces.push(current);
  return pieces;
}
