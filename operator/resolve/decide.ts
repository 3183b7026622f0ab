// What to make of one resolution of a load-balancer hostname: which addresses to serve, when to ask again, and
// what status says. Pure: the answers and the time come in, nothing is asked here.
//
// An answer (records, NXDOMAIN, no records of a type) is the truth and replaces what was served. A failure (timeout,
// SERVFAIL, refused: the resolver could not tell) keeps each family's last good addresses for keepLastGoodMs after
// they were resolved, as serve-stale (RFC 8767) does, and is reported; a load balancer's old addresses go back to
// the cloud's pool, so they are kept for an hour, not RFC 8767's days.
import type { ServiceHostname } from '../compile/index.ts';

export interface ResolvePolicy {
  /** Least time before asking again after an answer: a TTL of 0 or 1 must not hammer the resolver. */
  minTtlMs: number;
  /** Most time before asking again after an answer, whatever its TTL. */
  maxTtlMs: number;
  /** The first retry after a failure (or an answer without addresses); it doubles with each failure in a row. */
  retryMinMs: number;
  retryMaxMs: number;
  /** How long after they were resolved the last good addresses are served while resolution fails. */
  keepLastGoodMs: number;
}

export const DEFAULT_RESOLVE_POLICY: Readonly<ResolvePolicy> = {
  minTtlMs: 5_000,
  maxTtlMs: 300_000,
  retryMinMs: 2_000,
  retryMaxMs: 60_000,
  keepLastGoodMs: 3_600_000,
};

export type Family = 'A' | 'AAAA';
export const FAMILIES: readonly Family[] = ['A', 'AAAA'];

/** What the resolver said for one family. */
export type FamilyAnswer =
  | { kind: 'records'; records: readonly { address: string; ttl: number }[] }
  /** NXDOMAIN, or no records of this type: an answer, not a failure. */
  | { kind: 'none' }
  /** The resolver could not tell: its error, as it worded it. */
  | { kind: 'error'; error: string };

export type Answers = Readonly<Record<Family, FamilyAnswer>>;

interface FamilyState {
  addresses: readonly string[];
  /** When they were resolved (ms since the epoch). */
  at: number;
  /** Carried over from an earlier answer through a failure. */
  kept?: true;
}

export interface HostnameState {
  readonly hostname: string;
  /** Per family, the addresses served and when they were resolved (absent: nothing to serve). */
  readonly families: Readonly<Partial<Record<Family, FamilyState>>>;
  /** The last resolution's error (absent when every family answered). */
  readonly error?: string;
  /** Failed resolutions (and answers without any address) in a row. */
  readonly failures: number;
}

export interface Decision {
  state: HostnameState;
  /** When to resolve again, from now. */
  nextMs: number;
}

/** A TTL in seconds → milliseconds until the next resolution, within the policy's bounds. */
export function clampTtl(ttlSeconds: number, policy: ResolvePolicy): number {
  const ms = Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : 0;
  return Math.min(policy.maxTtlMs, Math.max(policy.minTtlMs, ms));
}

/** The wait before the nth retry in a row (n >= 1): retryMinMs doubling, at most retryMaxMs. */
export function retryDelay(failures: number, policy: ResolvePolicy): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(policy.retryMaxMs, policy.retryMinMs * 2 ** exponent);
}

export function decide(
  previous: HostnameState | undefined,
  hostname: string,
  answers: Answers,
  now: number,
  policy: ResolvePolicy,
): Decision {
  const families: Partial<Record<Family, FamilyState>> = {};
  const errors: string[] = [];
  let ttl = Infinity;
  for (const family of FAMILIES) {
    const answer = answers[family];
    if (answer.kind === 'records' && answer.records.length > 0) {
      families[family] = { addresses: uniqueSorted(answer.records.map((r) => r.address)), at: now };
      for (const record of answer.records) ttl = Math.min(ttl, record.ttl);
    } else if (answer.kind === 'error') {
      if (!errors.includes(answer.error)) errors.push(answer.error);
      const kept = previous?.families[family];
      if (kept && now - kept.at <= policy.keepLastGoodMs) families[family] = { ...kept, kept: true };
    }
  }
  const answered = errors.length === 0 && Number.isFinite(ttl);
  const failures = answered ? 0 : (previous?.failures ?? 0) + 1;
  const state: HostnameState = {
    hostname,
    families,
    failures,
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
  return { state, nextMs: answered ? clampTtl(ttl, policy) : retryDelay(failures, policy) };
}

/**
 * A state standing in for an earlier answer: the addresses the published zone serves for a hostname, read back by a
 * new leader, kept through failures like any last good answer (from `now`, when they were read back).
 */
export function seededState(hostname: string, addresses: readonly string[], now: number): HostnameState {
  const families: Partial<Record<Family, FamilyState>> = {};
  const v4 = uniqueSorted(addresses.filter((a) => !a.includes(':')));
  const v6 = uniqueSorted(addresses.filter((a) => a.includes(':')));
  if (v4.length > 0) families.A = { addresses: v4, at: now };
  if (v6.length > 0) families.AAAA = { addresses: v6, at: now };
  return { hostname, families, failures: 0 };
}

/** The addresses to serve: A then AAAA. */
export function servedAddresses(state: HostnameState): string[] {
  return FAMILIES.flatMap((family) => state.families[family]?.addresses ?? []);
}

/** What compile (and so status) is told of a hostname; `resolver` says where it was resolved. */
export function reportOf(
  state: HostnameState | undefined,
  hostname: string,
  resolver: string,
  policy: ResolvePolicy,
): ServiceHostname {
  if (!state) return { hostname, resolver, addresses: [], pending: true };
  const addresses = servedAddresses(state);
  if (state.error === undefined) return { hostname, resolver, addresses };
  const report: ServiceHostname = { hostname, resolver, addresses, error: state.error };
  const keptAt = FAMILIES.flatMap((family) => {
    const kept = state.families[family];
    return kept?.kept ? [kept.at] : [];
  });
  const oldest = Math.min(...keptAt);
  if (keptAt.length > 0) {
    report.kept = {
      resolvedAt: new Date(oldest).toISOString(),
      until: new Date(oldest + policy.keepLastGoodMs).toISOString(),
    };
  }
  return report;
}

function uniqueSorted(addresses: readonly string[]): string[] {
  return [...new Set(addresses)].sort();
}
