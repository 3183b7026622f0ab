// The load-balancer hostnames the Service targets need, kept resolved: each hostname is a key of the `resolve`
// lane, resolved when it is first wanted and again when its TTL (clamped) says, or sooner after a failure. A change
// of what a hostname serves, or of what status says of it, calls back (the cluster input's watch: the pipeline
// runs). A hostname no longer wanted is dropped when its key next comes up.
import type { Logger } from 'pino';
import type { ServiceHostname } from '../compile/index.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { HandlerResult, WorkQueue } from '../queue/work-queue.ts';
import {
  decide,
  DEFAULT_RESOLVE_POLICY,
  reportOf,
  seededState,
  type HostnameState,
  type ResolvePolicy,
} from './decide.ts';
import type { HostnameLookup } from './lookup.ts';

export const RESOLVE_LANE = 'resolve';

export interface HostnameResolverOptions {
  lookup: HostnameLookup;
  lanes: Lanes;
  log: Logger;
  policy?: Partial<ResolvePolicy>;
  /** Wall-clock milliseconds (status says when addresses were resolved). */
  now?: () => number;
  /** Told after each resolution: answered with addresses, answered with none, or failed. */
  onResolved?: (result: 'ok' | 'empty' | 'failed') => void;
}

/** Resolutions at once. Each is one UDP query per family, so many are cheap; and a first read waits for its new
 *  hostnames, which with a dead resolver costs the resolver's timeout per this many of them. */
const CONCURRENCY = 32;

export class HostnameResolver {
  readonly #options: HostnameResolverOptions;
  readonly #policy: ResolvePolicy;
  readonly #now: () => number;
  readonly #lane: WorkQueue;
  readonly #states = new Map<string, HostnameState>();
  /** What the published zones serve for hostnames not resolved yet: their first resolution's "last good". */
  readonly #seeds = new Map<string, HostnameState>();
  /** What status was last told of each hostname, to call back only on a change. */
  readonly #reported = new Map<string, string>();
  #wanted = new Set<string>();
  /** Who waits for a hostname's first resolution. */
  readonly #first = new Map<string, (() => void)[]>();
  readonly #listeners = new Set<() => void>();
  #closed = false;

  constructor(options: HostnameResolverOptions) {
    this.#options = options;
    this.#policy = { ...DEFAULT_RESOLVE_POLICY, ...options.policy };
    this.#now = options.now ?? Date.now;
    this.#lane = options.lanes.lane(RESOLVE_LANE, (hostname) => this.#resolve(hostname), {
      concurrency: CONCURRENCY,
    });
  }

  /**
   * The hostnames needed now. Those not resolved before are added to the lane; resolves once each has had its first
   * answer or failure (the resolver's own timeout bounds it), so that a first compile serves them rather than
   * publishing a zone without them for a moment.
   */
  async want(hostnames: Iterable<string>): Promise<void> {
    this.#wanted = new Set(hostnames);
    if (this.#closed) return;
    const waits: Promise<void>[] = [];
    for (const hostname of this.#wanted) {
      if (this.#states.has(hostname)) continue;
      waits.push(new Promise((resolve) => this.#first.set(hostname, [...(this.#first.get(hostname) ?? []), resolve])));
      this.#lane.add(hostname);
    }
    await Promise.all(waits);
  }

  /**
   * What the published zones serve for a hostname never resolved here (a new leader reads them back): kept, like a
   * last good answer, if its first resolution fails.
   */
  seed(hostname: string, addresses: readonly string[]): void {
    if (this.#states.has(hostname) || addresses.length === 0) return;
    this.#seeds.set(hostname, seededState(hostname, addresses, this.#now()));
  }

  /** What compile is told of `hostname` (pending when it was never resolved). */
  report(hostname: string): ServiceHostname {
    return reportOf(this.#states.get(hostname), hostname, this.#options.lookup.resolver, this.#policy);
  }

  /** Calls back when what a wanted hostname serves, or what status says of it, changed. */
  onChange(callback: () => void): () => void {
    this.#listeners.add(callback);
    return () => this.#listeners.delete(callback);
  }

  /** Stops waiting: want() resolves at once from now on (the lanes' shutDown drops the keys). */
  close(): void {
    this.#closed = true;
    for (const waiters of this.#first.values()) for (const resolve of waiters) resolve();
    this.#first.clear();
  }

  async #resolve(hostname: string): Promise<HandlerResult | void> {
    if (!this.#wanted.has(hostname)) {
      this.#states.delete(hostname);
      this.#seeds.delete(hostname);
      this.#reported.delete(hostname);
      this.#release(hostname);
      return;
    }
    const answers = await this.#options.lookup.lookup(hostname);
    const previous = this.#states.get(hostname) ?? this.#seeds.get(hostname);
    this.#seeds.delete(hostname);
    const { state, nextMs } = decide(previous, hostname, answers, this.#now(), this.#policy);
    this.#states.set(hostname, state);
    const report = this.report(hostname);
    const outcome = state.error !== undefined ? 'failed' : report.addresses.length > 0 ? 'ok' : 'empty';
    this.#options.onResolved?.(outcome);
    const text = JSON.stringify(report);
    const before = this.#reported.get(hostname);
    this.#reported.set(hostname, text);
    const waited = this.#release(hostname);
    if (text !== before) {
      const log = this.#options.log;
      const fields = { hostname, resolver: report.resolver, addresses: report.addresses };
      if (report.error !== undefined) log.warn({ ...fields, err: report.error }, 'load-balancer hostname not resolved');
      else log.info(fields, 'load-balancer hostname resolved');
      // A first resolution someone waited for is read by that very read: no second run for it.
      if (before !== undefined || !waited) for (const listener of this.#listeners) listener();
    }
    return { requeueAfterMs: nextMs };
  }

  /** Lets those waiting for the first resolution of `hostname` go on; true if someone waited. */
  #release(hostname: string): boolean {
    const waiters = this.#first.get(hostname);
    this.#first.delete(hostname);
    for (const resolve of waiters ?? []) resolve();
    return waiters !== undefined;
  }
}
