// dig and kdig against a server on loopback, and the one parser of their text output.
import { execFile } from 'node:child_process';

/** One resource record as dig/kdig print it: `name ttl class type rdata...`. */
export interface DnsRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigResult {
  raw: string;
  status: string | undefined;
  opcode: string | undefined;
  flags: string[];
  question: string[];
  answer: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
  /** `; CLIENT-SUBNET: addr/source/scope` */
  ecs: { address: string; source: number; scope: number } | undefined;
  cookie: string | undefined;
  ednsVersion: number | undefined;
}

/** Parses dig's (and kdig's) default text output. */
export function parseDig(raw: string): DigResult {
  const result: DigResult = {
    raw,
    status: /status: ([A-Z0-9]+)/.exec(raw)?.[1],
    opcode: /opcode: ([A-Z0-9]+)/.exec(raw)?.[1],
    flags: (/;; [Ff]lags: ([a-z ]*);/.exec(raw)?.[1] ?? '').split(' ').filter(Boolean),
    question: [],
    answer: [],
    authority: [],
    additional: [],
    ecs: undefined,
    cookie: /COOKIE: ([0-9a-f]+)/i.exec(raw)?.[1],
    ednsVersion: undefined,
  };
  const edns = /EDNS: version: (\d+)/.exec(raw);
  if (edns?.[1] !== undefined) result.ednsVersion = Number(edns[1]);
  const ecs = /CLIENT-SUBNET: ([0-9a-fA-F.:]+)\/(\d+)\/(\d+)/.exec(raw);
  if (ecs?.[1] !== undefined) result.ecs = { address: ecs[1], source: Number(ecs[2]), scope: Number(ecs[3]) };

  let section: 'answer' | 'authority' | 'additional' | 'question' | undefined;
  for (const line of raw.split('\n')) {
    const header = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header?.[1] !== undefined) {
      section = header[1].toLowerCase() as typeof section;
      continue;
    }
    if (line.trim() === '' || (line.startsWith(';;') && section !== 'question')) {
      section = undefined;
      continue;
    }
    if (section === 'question') {
      result.question.push(line.replace(/^;/, '').trim());
      continue;
    }
    if (section === undefined || line.startsWith(';')) continue;
    const [name, ttl, , type, ...data] = line.trim().split(/\s+/);
    if (name === undefined || ttl === undefined || type === undefined) continue;
    result[section].push({ name, ttl: Number(ttl), type, data: data.join(' ') });
  }
  return result;
}

export interface DigTarget {
  host: string;
  port: number;
}

export interface DigOptions {
  /** dig (default) or kdig. */
  tool?: 'dig' | 'kdig';
  /** Seconds per try (`+time`); one try, no retry. Default 2. */
  time?: number;
  /** How long the process may run; default 15 s. */
  timeoutMs?: number;
}

/**
 * Runs one dig `@host -p port` for many queries (each its own arguments: name, type, per-query options), one try
 * each; resolves with one result per query, in order (rejects when any went unanswered). For sampling many
 * answers without a process per query.
 */
export function digMany(target: DigTarget, queries: string[][], options: DigOptions = {}): Promise<DigResult[]> {
  const argv = [`@${target.host}`, '-p', String(target.port), '+tries=1', `+time=${options.time ?? 2}`];
  for (const query of queries) argv.push(...query);
  return new Promise((resolve, reject) => {
    execFile('dig', argv, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (_error, stdout) => {
      const results = String(stdout)
        .split(/^(?=;; ->>HEADER<<-)/m)
        .slice(1)
        .map(parseDig);
      if (results.length === queries.length) resolve(results);
      else reject(new Error(`${queries.length - results.length} of ${queries.length} queries unanswered`));
    });
  });
}

/** Runs dig (or kdig) `@host -p port` with one try, to completion (a non-zero exit is not an error: the text says). */
export function dig(target: DigTarget, args: string[], options: DigOptions = {}): Promise<DigResult> {
  const tool = options.tool ?? 'dig';
  const once = tool === 'dig' ? '+tries=1' : '+retry=0';
  const argv = [`@${target.host}`, '-p', String(target.port), once, `+time=${options.time ?? 2}`, ...args];
  return new Promise((resolve) => {
    execFile(tool, argv, { timeout: options.timeoutMs ?? 15_000, maxBuffer: 16 << 20 }, (_error, stdout) =>
      resolve(parseDig(String(stdout))),
    );
  });
}
