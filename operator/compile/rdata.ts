// Presentation-format record data (one `values` entry) → the rdata shapes dns-packet encodes, as documented in
// api/compiled.ts. Names in rdata follow zone-file rules: '@' is the apex, a trailing '.' makes a name absolute,
// anything else is relative to the apex.
import type { RRData } from '../../api/compiled.ts';
import type { StaticRecordType } from '../../api/geozone.ts';
import { parseAddress } from './addresses.ts';
import { nameProblem, resolveZoneName } from './names.ts';
import { parseTxt } from './txt.ts';

export type RdataResult = { ok: true; data: RRData } | { ok: false; error: string };

const fail = (error: string): RdataResult => ({ ok: false, error });

export function parseRdata(type: StaticRecordType, value: string, apex: string): RdataResult {
  switch (type) {
    case 'A':
    case 'AAAA':
      return parseAddressRdata(type, value);
    case 'CNAME':
    case 'NS':
    case 'PTR': {
      const words = splitWords(value);
      if (words.length !== 1) return fail(`${type} value "${value}" must be exactly one domain name`);
      return parseTargetName(words[0] as string, apex);
    }
    case 'MX':
      return parseMx(value, apex);
    case 'SRV':
      return parseSrv(value, apex);
    case 'CAA':
      return parseCaa(value);
    case 'TXT': {
      const txt = parseTxt(value);
      return txt.ok ? { ok: true, data: txt.strings } : fail(`TXT value: ${txt.error}`);
    }
    default:
      return fail(`record type ${String(type)} is not supported`);
  }
}

function parseAddressRdata(type: 'A' | 'AAAA', value: string): RdataResult {
  const parsed = parseAddress(value);
  const wanted = type === 'A' ? 'ipv4' : 'ipv6';
  if (!parsed || parsed.family !== wanted) {
    return fail(`${type} value "${value}" is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`);
  }
  return { ok: true, data: parsed.text };
}

/** A domain name in rdata; the root ('.') becomes the empty string. */
function parseTargetName(written: string, apex: string): RdataResult {
  if (written === '.') return { ok: true, data: '' };
  const name = resolveZoneName(written, apex);
  const problem = nameProblem(name);
  return problem ? fail(`"${written}": ${problem}`) : { ok: true, data: name };
}

function parseUint16(text: string | undefined, what: string): number | string {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    return `${what} "${text ?? ''}" must be an integer from 0 to 65535`;
  }
  return Number(text);
}

function splitWords(value: string): string[] {
  return value
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
}

function parseMx(value: string, apex: string): RdataResult {
  const words = splitWords(value);
  if (words.length !== 2) return fail(`MX value "${value}" must be "preference exchange"`);
  const preference = parseUint16(words[0], 'MX preference');
  if (typeof preference === 'string') return fail(preference);
  const exchange = parseTargetName(words[1] as string, apex);
  if (!exchange.ok) return fail(`MX exchange ${exchange.error}`);
  return { ok: true, data: { preference, exchange: exchange.data as string } };
}

function parseSrv(value: string, apex: string): RdataResult {
  const words = splitWords(value);
  if (words.length !== 4) return fail(`SRV value "${value}" must be "priority weight port target"`);
  const numbers: number[] = [];
  for (const [index, what] of ['SRV priority', 'SRV weight', 'SRV port'].entries()) {
    const parsed = parseUint16(words[index], what);
    if (typeof parsed === 'string') return fail(parsed);
    numbers.push(parsed);
  }
  const target = parseTargetName(words[3] as string, apex);
  if (!target.ok) return fail(`SRV target ${target.error}`);
  const [priority, weight, port] = numbers as [number, number, number];
  return { ok: true, data: { priority, weight, port, target: target.data as string } };
}

function parseCaa(value: string): RdataResult {
  const match = /^\s*([0-9]{1,3})\s+([A-Za-z0-9]+)\s+(.*?)\s*$/.exec(value);
  if (!match) return fail(`CAA value "${value}" must be 'flags tag "value"'`);
  const flags = Number(match[1]);
  if (flags > 255) return fail(`CAA flags ${flags} must be from 0 to 255`);
  const tag = (match[2] as string).toLowerCase();
  let text = match[3] as string;
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) return fail(`CAA value ${text} has an unterminated quote`);
    text = text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  } else if (/\s/.test(text)) {
    return fail(`CAA value "${text}" holds blanks; quote it`);
  }
  return { ok: true, data: { flags, tag, value: text } };
}
