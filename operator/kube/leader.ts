// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it (the decisions are in
// lease-decision.ts). One attempt at a time: a standby reads the Lease every retry period (jittered) and takes it
// when it is free or has not changed for a lease duration; the leader renews it every retry period. Every write is
// a replace guarded by the resourceVersion last read, so of two candidates only one wins.
//
// Unlike client-go, a standby also watches the Lease: it dates each renewal by when the watch brought it (not by
// its next read, up to 4.4 s later) and tries at the instant the lease expires or is released (not at its next
// jittered read). So a crashed leader is replaced one lease duration after its last renewal, plus the time of a
// read and a write. The reads every retry period remain, for when the watch is down.
//
// The elector keeps its own clock, as the prober does (operator/queue/lanes.ts is the clock of the operator's
// work): its attempts, renew deadline and the lease's expiry are timers here, because they are the election's
// promise to the other replicas and must not wait behind the work they guard.
//
// A leader stops leading the moment its renew deadline passes without a successful renew, counted from the start
// of the last renew that succeeded: isLeader() turns false then even if the timer that announces it has not run
// yet, and standbys (which wait a full lease duration from when they saw the last renew) cannot have taken over.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  JITTER_FACTOR,
  decide,
  formatMicroTime,
  leaseDurationSeconds,
  observe,
  olderVersion,
  recordToWrite,
  releasedRecord,
  validateTimings,
  type LeaseRecord,
  type Observation,
} from './lease-decision.ts';
import { describeApiError, statusOf } from '../../lib/kube/errors.ts';
import type { LeaseApi, V1Lease, WatchLease } from '../../lib/kube/leases.ts';
import { abortable, type RequestOptions } from '../../lib/kube/request.ts';
import { leaseWithRecord, newLease, recordFromLease } from './lease-record.ts';

/** The Lease the operator's replicas elect on, in the operator's namespace. */
export const DEFAULT_LEASE_NAME = 'geodns-operator';

/** As client-go's callers do: the host (the pod name) and a random suffix, unique across restarts. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export type { LeaseApi, WatchLease };

export interface LeaderElectorOptions {
  api: LeaseApi;
  /** Watches the Lease (lib/kube/leases.ts leaseWatch): a standby sees each renewal and release as it happens. */
  watch: WatchLease;
  namespace: string;
  name: string;
  /** Unique per process (the pod name, say); written as holderIdentity. */
  identity: string;
  /** How long standbys wait after the last renew they saw before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps leading without a successful renew. Default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts. Default 2 s. */
  retryPeriodMs?: number;
  /** Each API request is abandoned after this long (and counts as a failed attempt). Default: the retry period. */
  requestTimeoutMs?: number;
  /** Milliseconds on a monotonic clock: every expiry and deadline. Default performance.now. */
  now?: () => number;
  /** Epoch milliseconds, written as acquireTime and renewTime for people to read. Default Date.now. */
  wallClock?: () => number;
  /** In [0, 1), for the standby's jitter. Default Math.random. */
  random?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** This elector became the leader. `signal` aborts the moment it stops being the leader. */
  onStartedLeading(signal: AbortSignal): void;
  /** This elector stopped being the leader (renew deadline passed, another holder seen, or stop()). */
  onStoppedLeading(): void;
  /** The holder seen in the Lease changed (this elector included); not called for an empty holder. */
  onNewLeader?(identity: string): void;
}

export interface StopOptions {
  /** Write the Lease as released if this elector holds it, so a standby takes over at once. Default true. */
  release?: boolean;
}

type Status = 'new' | 'running' | 'stopped';

export class LeaderElector {
  readonly #api: LeaseApi;
  readonly #watchLease: WatchLease;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #requestTimeoutMs: number;
  readonly #now: () => number;
  readonly #wallClock: () => number;
  readonly #random: () => number;
  readonly #log: Pick<Logger, 'info' | 'warn' | 'debug'> | undefined;
  readonly #callbacks: Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader'>;

  #status: Status = 'new';
  #observation: Observation | undefined;
  /** The resourceVersion of the Lease behind #observation: an older one read or watched later is ignored. */
  #seenVersion: string | undefined;
  #watch: { stop(): Promise<void> } | undefined;
  /** When #nextTimer fires (local monotonic ms). */
  #nextDue = Infinity;
  /** The Lease last read or written: its resourceVersion guards the next replace. */
  #lease: V1Lease | undefined;
  #leading = false;
  #leadingUntil = 0;
  #leadership: AbortController | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #nextTimer: NodeJS.Timeout | undefined;
  #attempt: Promise<void> | undefined;
  /** Aborts the requests of the attempt in flight (on stop, or when the renew deadline passes). */
  #attemptAbort = new AbortController();
  #reportedLeader = '';
  #stopping: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    validateTimings({
      leaseDurationMs: this.#leaseDurationMs,
      renewDeadlineMs: this.#renewDeadlineMs,
      retryPeriodMs: this.#retryPeriodMs,
    });
    this.#requestTimeoutMs = options.requestTimeoutMs ?? this.#retryPeriodMs;
    if (!(this.#requestTimeoutMs > 0))
      throw new RangeError(`requestTimeoutMs must be > 0, got ${this.#requestTimeoutMs}`);
    for (const field of ['namespace', 'name', 'identity'] as const)
      if (!options[field]) throw new RangeError(`leader election needs a non-empty ${field}`);
    this.#api = options.api;
    this.#watchLease = options.watch;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#now = options.now ?? (() => performance.now());
    this.#wallClock = options.wallClock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#log = options.log;
    this.#callbacks = options;
  }

  get identity(): string {
    return this.#identity;
  }

  /** The holder last seen in the Lease ('' when none or not read yet). */
  get leader(): string {
    return this.#observation?.record.holderIdentity ?? '';
  }

  /**
   * Whether this elector leads right now. Call it right before each write: it is false from the instant the renew
   * deadline passes without a successful renew, whether or not the timers have run.
   */
  isLeader(): boolean {
    return this.#leading && this.#now() < this.#leadingUntil;
  }

  start(): void {
    if (this.#status !== 'new') throw new Error('a LeaderElector starts once');
    this.#status = 'running';
    this.#log?.info({ lease: this.#describeLease(), identity: this.#identity }, 'leader election: starting');
    this.#watch = this.#watchLease(this.#namespace, this.#name, {
      lease: (lease) => this.#watched(lease),
      error: (error) =>
        this.#log?.debug(
          { lease: this.#describeLease(), error: describeApiError(error) },
          'leader election: the watch of the lease broke; retrying',
        ),
    });
    this.#runAttempt();
  }

  /**
   * Stops leading at once (isLeader() false, onStoppedLeading, the leadership signal aborted), stops trying, waits
   * for the request in flight to be abandoned and, unless `release` is false, releases the Lease if it names this
   * elector. Stop the work guarded by the lease first: the release lets a standby take over on its next try.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.release ?? true);
    return this.#stopping;
  }

  async #stop(release: boolean): Promise<void> {
    const wasRunning = this.#status === 'running';
    this.#status = 'stopped';
    // Before anything is awaited, so isLeader() is false as soon as stop() is called.
    if (this.#leading) this.#stopLeading('stopping');
    clearTimeout(this.#nextTimer);
    this.#attemptAbort.abort(new Error('leader election stopped'));
    await Promise.all([this.#attempt, this.#watch?.stop()]);
    if (!wasRunning || !release) return;
    try {
      if (await this.#release()) this.#log?.info({ lease: this.#describeLease() }, 'leader election: lease released');
    } catch (error) {
      this.#log?.warn(
        { lease: this.#describeLease(), error: describeApiError(error) },
        'leader election: release failed',
      );
    }
  }

  /** Writes the Lease as released if it names this elector; true if it did. */
  async #release(): Promise<boolean> {
    const signal = new AbortController().signal;
    let lease = this.#lease;
    let held = this.#observation?.record;
    for (let tries = 0; tries < 2; tries++) {
      if (!lease || !held || held.holderIdentity !== this.#identity) return false;
      const record = releasedRecord(held, formatMicroTime(this.#wallClock()));
      try {
        await this.#replace(signal, lease, record);
        return true;
      } catch (error) {
        // The renew that stop() abandoned may have reached the server after all: release on top of it.
        if (statusOf(error) !== 409 || tries > 0) throw error;
        lease = await this.#request(signal, (options) =>
          this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }, options),
        );
        held = recordFromLease(lease);
      }
    }
    return false;
  }

  #runAttempt(): void {
    this.#nextTimer = undefined;
    this.#nextDue = Infinity;
    if (this.#status !== 'running') return;
    const startedAt = this.#now();
    this.#attempt = this.#attemptOnce(startedAt).finally(() => {
      this.#attempt = undefined;
      if (this.#status !== 'running') return;
      if (this.#leading) return this.#arm(this.#retryPeriodMs);
      const poll = this.#retryPeriodMs * (1 + JITTER_FACTOR * this.#random());
      const decision = this.#observation && decide(this.#observation, this.#identity, this.#now());
      // The Lease was seen free during this attempt (a release the watch brought after the read): try again now.
      // After a failed attempt on a Lease that was already free, the poll's pace, never a tight loop.
      const seenFree = decision?.action === 'acquire' && (this.#observation?.observedAt ?? -Infinity) > startedAt;
      this.#arm(seenFree ? 0 : Math.min(poll, this.#untilExpiry(decision)));
    });
  }

  /** Milliseconds until the lease another holder has expires, if it is still to come. */
  #untilExpiry(decision: ReturnType<typeof decide> | undefined): number {
    if (decision?.action !== 'wait') return Infinity;
    const left = decision.expiresAt - this.#now();
    return left > 0 ? Math.ceil(left) : Infinity;
  }

  /** The next attempt in `wait` ms, unless one is already due sooner. */
  #arm(wait: number): void {
    if (!Number.isFinite(wait)) return;
    const due = this.#now() + wait;
    if (this.#nextTimer !== undefined && this.#nextDue <= due) return;
    clearTimeout(this.#nextTimer);
    this.#nextDue = due;
    this.#nextTimer = setTimeout(() => this.#runAttempt(), wait);
  }

  /** A version of the Lease from the watch: a standby notes it (and when), and tries when it is free or expires. */
  #watched(lease: V1Lease | undefined): void {
    // The leader renews on top of what it wrote and learns of others from its writes, as client-go's does.
    if (this.#status !== 'running' || this.#leading) return;
    if (lease) {
      if (!this.#see(lease)) return;
      this.#reportLeader();
    }
    if (this.#attempt) return; // its end arms the next one from what was seen meanwhile
    const decision = lease && this.#observation && decide(this.#observation, this.#identity, this.#now());
    // Deleted (the next attempt creates it), released, or expired: try now; held: at its expiry.
    if (!decision || decision.action !== 'wait') this.#arm(0);
    else this.#arm(this.#untilExpiry(decision));
  }

  /** Notes `lease` as the record seen now (the time moves only when it changed); false when it is older news. */
  #see(lease: V1Lease): boolean {
    const version = lease.metadata?.resourceVersion;
    if (olderVersion(version, this.#seenVersion)) return false;
    this.#seenVersion = version;
    this.#observation = observe(this.#observation, recordFromLease(lease), this.#now());
    return true;
  }

  async #attemptOnce(startedAt: number): Promise<void> {
    let succeeded = false;
    try {
      succeeded = await this.#tryAcquireOrRenew();
    } catch (error) {
      this.#log?.warn(
        { lease: this.#describeLease(), error: describeApiError(error) },
        'leader election: attempt failed',
      );
    }
    if (this.#status !== 'running') return;
    // Stop writing before anything else once the Lease names someone else.
    if (!succeeded && this.#leading && this.leader !== this.#identity)
      this.#stopLeading(`the lease is held by ${this.leader}`);
    this.#reportLeader();
    if (succeeded) this.#renewed(startedAt);
  }

  /** One attempt: true when the Lease now says this elector holds it. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const signal = this.#attemptAbort.signal;
    const wallTime = (): string => formatMicroTime(this.#wallClock());
    const duration = leaseDurationSeconds(this.#leaseDurationMs);

    // The leader first renews on top of what it wrote last; only if that fails does it read.
    if (this.#leading && this.#lease && this.#observation) {
      const record = recordToWrite({ action: 'renew' }, this.#observation.record, this.#identity, duration, wallTime());
      try {
        await this.#replace(signal, this.#lease, record);
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        this.#log?.debug(
          { error: describeApiError(error) },
          'leader election: renew on the last version failed, reading',
        );
      }
    }

    let current: V1Lease;
    try {
      current = await this.#request(signal, (options) =>
        this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }, options),
      );
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      const record = recordToWrite({ action: 'create' }, undefined, this.#identity, duration, wallTime());
      try {
        this.#accept(
          await this.#request(signal, (options) =>
            this.#api.createNamespacedLease(
              { namespace: this.#namespace, body: newLease(this.#namespace, this.#name, record) },
              options,
            ),
          ),
        );
        return true;
      } catch (createError) {
        if (statusOf(createError) !== 409) throw createError;
        this.#log?.debug('leader election: another candidate created the lease first');
        return false;
      }
    }

    this.#lease = current;
    this.#see(current);
    const observation = this.#observation ?? observe(undefined, recordFromLease(current), this.#now());
    const decision = decide(observation, this.#identity, this.#now());
    if (decision.action === 'wait') return false;
    const record = recordToWrite(decision, observation.record, this.#identity, duration, wallTime());
    try {
      await this.#replace(signal, current, record);
      if (decision.action === 'acquire')
        this.#log?.info(
          { lease: this.#describeLease(), transitions: record.leaseTransitions },
          'leader election: lease acquired',
        );
      return true;
    } catch (error) {
      // Someone wrote between our read and our write; the next attempt reads what they wrote.
      if (statusOf(error) === 409) {
        this.#log?.debug('leader election: conflict on replace, will read again');
        return false;
      }
      throw error;
    }
  }

  async #replace(signal: AbortSignal, lease: V1Lease, record: LeaseRecord): Promise<void> {
    this.#accept(
      await this.#request(signal, (options) =>
        this.#api.replaceNamespacedLease(
          { name: this.#name, namespace: this.#namespace, body: leaseWithRecord(lease, record) },
          options,
        ),
      ),
    );
  }

  #accept(lease: V1Lease): void {
    this.#lease = lease;
    this.#see(lease);
  }

  /**
   * Runs one API call with its own timeout, also abandoned when `outer` aborts. The signal reaches the HTTP
   * request through a middleware; the race makes sure we move on even if a request ignores it.
   */
  async #request<T>(outer: AbortSignal, call: (options: RequestOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const abort = (reason: unknown): void => controller.abort(reason);
    const timer = setTimeout(
      () => abort(new Error(`request timed out after ${this.#requestTimeoutMs} ms`)),
      this.#requestTimeoutMs,
    );
    const onOuter = (): void => abort(outer.reason);
    if (outer.aborted) onOuter();
    else outer.addEventListener('abort', onOuter, { once: true });
    const { signal } = controller;
    const options = abortable(signal);
    try {
      return await new Promise<T>((resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        call(options).then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
    }
  }

  #renewed(startedAt: number): void {
    const until = startedAt + this.#renewDeadlineMs;
    const left = until - this.#now();
    // An attempt that took the whole deadline proves nothing about the time left.
    if (left <= 0) {
      if (this.#leading) this.#stopLeading('the renew took longer than the renew deadline');
      return;
    }
    this.#leadingUntil = until;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = setTimeout(() => this.#deadlinePassed(), left);
    if (this.#leading) return;
    this.#leading = true;
    const leadership = new AbortController();
    this.#leadership = leadership;
    this.#log?.info({ lease: this.#describeLease(), identity: this.#identity }, 'leader election: started leading');
    this.#call('onStartedLeading', () => this.#callbacks.onStartedLeading(leadership.signal));
  }

  #deadlinePassed(): void {
    if (!this.#leading) return;
    const left = this.#leadingUntil - this.#now();
    if (left > 0) {
      this.#deadlineTimer = setTimeout(() => this.#deadlinePassed(), left);
      return;
    }
    this.#stopLeading('the renew deadline passed without a successful renew');
    // The renew in flight (if any) is now pointless; the next attempt starts as a standby.
    this.#attemptAbort.abort(new Error('renew deadline passed'));
    this.#attemptAbort = new AbortController();
  }

  #stopLeading(reason: string): void {
    this.#leading = false;
    this.#leadingUntil = 0;
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#leadership?.abort(new Error(reason));
    this.#leadership = undefined;
    const level = this.#status === 'stopped' ? 'info' : 'warn';
    this.#log?.[level]({ lease: this.#describeLease(), reason }, 'leader election: stopped leading');
    this.#call('onStoppedLeading', () => this.#callbacks.onStoppedLeading());
  }

  #reportLeader(): void {
    const holder = this.leader;
    if (holder === '' || holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    this.#log?.info({ lease: this.#describeLease(), holder }, 'leader election: new leader');
    if (this.#callbacks.onNewLeader) this.#call('onNewLeader', () => this.#callbacks.onNewLeader?.(holder));
  }

  #call(name: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#log?.warn({ error: describeApiError(error) }, `leader election: ${name} threw`);
    }
  }

  #describeLease(): string {
    return `${this.#namespace}/${this.#name}`;
  }
}
