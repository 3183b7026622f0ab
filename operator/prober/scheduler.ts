// Runs health probes on their intervals and keeps the per-address and per-target health.
// One check per (probe, address): the same address behind several targets is probed once. Each check runs on its
// own timer with a jittered first start, and never overlaps itself (the next run is armed when the previous ends).
// What status and the health table show of an address is its state as families.ts reads it with the reach of its
// family over every check: the latest results of a family's addresses are counted as they come in.
import type { Static } from '@sinclair/typebox';
import type { HealthTable } from '../../api/health.ts';
import type { HealthProbeSpec, ProbedAddressSchema } from '../../api/healthprobe.ts';
import { parseDuration } from '../../api/duration.ts';
import { canonicalJson } from '../compile/serialize.ts';
import { probeOnce, type ProbeResult } from './probe.ts';
import { applyResult, initialHealth, type AddressHealth, type AddressState } from './thresholds.ts';
import { buildHealthTable, type AddressView } from './health-table.ts';
import {
  familyOf,
  familyReach,
  latestReach,
  shownState,
  type AddressFamily,
  type FamilyCounts,
  type FamilyReach,
  type ShownState,
} from './families.ts';

export type ProbedAddress = Static<typeof ProbedAddressSchema>;

export interface ProbeCheck {
  /** namespace/name of the HealthProbe. */
  probeKey: string;
  spec: HealthProbeSpec;
  address: string;
  /** Stable target id (namespace/geoendpoint/target), the health table key. */
  targetId: string;
}

export interface ProbeChangeEvent {
  probeKey: string;
  address: string;
  targetIds: string[];
  from: AddressState;
  to: AddressState;
  /** `to` is Unknown because the prober has no route to the address's family. */
  noRoute?: true;
  error?: string;
  at: Date;
}

export interface ProbeResultEvent {
  probeKey: string;
  address: string;
  targetIds: string[];
  result: ProbeResult;
  /** The address state after this result (as status shows it). */
  state: AddressState;
}

export type ProbeFunction = (spec: HealthProbeSpec, address: string, signal: AbortSignal) => Promise<ProbeResult>;

export interface ProbeSchedulerOptions {
  probe?: ProbeFunction;
  /** Returns a number in [0, 1); spreads first starts over one interval. */
  random?: () => number;
  now?: () => number;
  /** Probes in flight at once, over all checks (default 64); the others wait their turn in order. */
  maxConcurrent?: number;
}

interface Check {
  key: string;
  probeKey: string;
  address: string;
  family: AddressFamily;
  spec: HealthProbeSpec;
  specKey: string;
  targetIds: Set<string>;
  health: AddressHealth;
  /** What status and the health table show, and since when (epoch ms). */
  shown: ShownState;
  shownSince: number;
  /** The state shown the last time the address's family was reachable (what the health table keeps). */
  known: AddressState;
  intervalMs: number;
  stopped: boolean;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
  running?: Promise<void>;
  configError?: string;
}

const checkKey = (probeKey: string, address: string): string => `${probeKey} ${address}`;

export class ProbeScheduler {
  readonly #probe: ProbeFunction;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #maxConcurrent: number;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  #checks = new Map<string, Check>();
  #table: HealthTable | null = null;
  #changeListeners = new Set<(event: ProbeChangeEvent) => void>();
  #resultListeners = new Set<(event: ProbeResultEvent) => void>();
  #stopped = false;
  #seed: HealthTable | undefined;
  readonly #counts: Record<AddressFamily, FamilyCounts> = {
    IPv4: { reached: 0, noRoute: 0 },
    IPv6: { reached: 0, noRoute: 0 },
  };

  constructor(checks: readonly ProbeCheck[] = [], options: ProbeSchedulerOptions = {}) {
    this.#probe = options.probe ?? probeOnce;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#maxConcurrent = options.maxConcurrent ?? 64;
    if (!Number.isInteger(this.#maxConcurrent) || this.#maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive whole number, got ${this.#maxConcurrent}`);
    }
    this.update(checks);
  }

  /** Called right when an address changes state (a threshold was crossed, or its first result arrived). */
  onChange(listener: (event: ProbeChangeEvent) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Called after every probe, with the state the result led to. */
  onResult(listener: (event: ProbeResultEvent) => void): () => void {
    this.#resultListeners.add(listener);
    return () => this.#resultListeners.delete(listener);
  }

  /**
   * States to start new checks from instead of Unknown: the health table this prober's predecessor published (a
   * restarted or newly elected operator must not forget that an address is Down, or answers would flap). Used by
   * the next update() only.
   */
  seed(table: HealthTable): void {
    this.#seed = table;
    this.#table = table;
  }

  #seeded(targets: ReadonlySet<string>, address: string): AddressHealth | undefined {
    for (const targetId of targets) {
      const entry = this.#seed?.targets[targetId];
      if (!entry) continue;
      const since = Date.parse(entry.since);
      const state = entry.downAddresses?.includes(address) ? 'Down' : 'Up';
      const health: AddressHealth = { ...initialHealth(Number.isFinite(since) ? since : this.#now()), state };
      // The table's reason is `address: last error` of its first Down address.
      if (state === 'Down' && entry.reason?.startsWith(`${address}: `)) {
        health.lastError = entry.reason.slice(address.length + 2);
      }
      return health;
    }
    return undefined;
  }

  /**
   * Reconfigures. Unchanged checks keep their state and timers. A check whose spec changed keeps its state
   * (so routing does not flap) but restarts its counters and timer. Removed checks stop.
   */
  update(checks: readonly ProbeCheck[]): void {
    if (this.#stopped) return;
    try {
      this.#update(checks);
    } finally {
      this.#seed = undefined;
    }
  }

  #update(checks: readonly ProbeCheck[]): void {
    const wanted = new Map<
      string,
      { probeKey: string; address: string; spec: HealthProbeSpec; targets: Set<string> }
    >();
    for (const check of checks) {
      const key = checkKey(check.probeKey, check.address);
      const entry = wanted.get(key);
      if (entry) entry.targets.add(check.targetId);
      else
        wanted.set(key, {
          probeKey: check.probeKey,
          address: check.address,
          spec: check.spec,
          targets: new Set([check.targetId]),
        });
    }
    for (const [key, check] of this.#checks) {
      if (!wanted.has(key)) {
        this.#halt(check);
        this.#checks.delete(key);
        this.#count(check.family, check.health, -1);
      }
    }
    for (const [key, want] of wanted) {
      // Keys sorted, so that equal specs compare equal whatever their key order.
      const specKey = canonicalJson(want.spec);
      const existing = this.#checks.get(key);
      if (existing && existing.specKey === specKey) {
        existing.targetIds = want.targets;
        continue;
      }
      let health = this.#seeded(want.targets, want.address) ?? initialHealth(this.#now());
      let shown: ShownState = { state: health.state, unreachable: false };
      let shownSince = health.lastChange;
      if (existing) {
        this.#halt(existing);
        this.#count(existing.family, existing.health, -1);
        health = { ...existing.health, consecutiveFailures: 0, consecutiveSuccesses: 0 };
        ({ shown, shownSince } = existing);
      }
      const family = familyOf(want.address);
      const check: Check = {
        key,
        probeKey: want.probeKey,
        address: want.address,
        family,
        spec: want.spec,
        specKey,
        targetIds: want.targets,
        health,
        shown,
        shownSince,
        known: existing?.known ?? health.state,
        intervalMs: 0,
        stopped: false,
      };
      this.#count(family, health, 1);
      this.#checks.set(key, check);
      this.#start(check);
    }
    // Removed checks may have been all that made a family reachable (or unreachable).
    for (const check of this.#checks.values()) this.#settle(check);
    this.#refreshTable();
  }

  /** Whether the prober reaches each family, over every check. */
  families(): Record<AddressFamily, FamilyReach> {
    return { IPv4: familyReach(this.#counts.IPv4), IPv6: familyReach(this.#counts.IPv6) };
  }

  #count(family: AddressFamily, health: AddressHealth, sign: 1 | -1): void {
    const reach = latestReach(health);
    if (reach !== 'none') this.#counts[family][reach] += sign;
  }

  /**
   * Brings `check.shown` up to date; the state shown before, when what is shown changed (the state, or whether it
   * is Unknown for want of a route: that changes which addresses count in the health table).
   */
  #settle(check: Check): AddressState | undefined {
    const next = shownState(check.health, familyReach(this.#counts[check.family]), check.spec.failureThreshold);
    const before = check.shown;
    if (!next.unreachable) check.known = next.state;
    if (next.state === before.state && next.unreachable === before.unreachable) return undefined;
    check.shown = next;
    if (next.state !== before.state) check.shownSince = this.#now();
    return before.state;
  }

  /** Per target id: up unless all its probed addresses are Down. */
  healthTable(): HealthTable {
    return this.#table ?? this.#refreshTable();
  }

  /** Every address probed by `probeKey`, one entry per (address, target), sorted by address then target. */
  probeStatus(probeKey: string): ProbedAddress[] {
    const out: ProbedAddress[] = [];
    for (const check of this.#checks.values()) {
      if (check.probeKey !== probeKey) continue;
      for (const target of check.targetIds) {
        const entry: ProbedAddress = { address: check.address, target, state: check.shown.state };
        if (check.shown.state !== 'Unknown' || check.shown.unreachable) {
          entry.lastChange = new Date(check.shownSince).toISOString();
        }
        const lastError = check.configError ?? check.health.lastError;
        if (lastError !== undefined) entry.lastError = lastError;
        if (check.health.latencyMs !== undefined) entry.latencyMs = check.health.latencyMs;
        out.push(entry);
      }
    }
    return out.sort((a, b) => a.address.localeCompare(b.address) || (a.target ?? '').localeCompare(b.target ?? ''));
  }

  /** Why `probeKey`'s checks cannot run (its timeout and interval), if they cannot. */
  probeProblem(probeKey: string): string | undefined {
    for (const check of this.#checks.values()) {
      if (check.probeKey === probeKey && check.configError !== undefined) return check.configError;
    }
    return undefined;
  }

  /** Stops every timer, aborts probes in flight and waits for them to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running: Promise<void>[] = [];
    for (const check of this.#checks.values()) {
      this.#halt(check);
      if (check.running) running.push(check.running);
    }
    await Promise.allSettled(running);
  }

  #start(check: Check): void {
    let timeoutMs: number;
    try {
      check.intervalMs = parseDuration(check.spec.interval);
      timeoutMs = parseDuration(check.spec.timeout);
    } catch (error) {
      check.configError = error instanceof Error ? error.message : String(error);
      return;
    }
    if (check.intervalMs <= 0 || timeoutMs >= check.intervalMs) {
      check.configError = `timeout ${check.spec.timeout} must be shorter than interval ${check.spec.interval}`;
      return;
    }
    this.#arm(check, Math.floor(this.#random() * check.intervalMs));
  }

  #arm(check: Check, delayMs: number): void {
    if (check.stopped) return;
    check.timer = setTimeout(() => {
      check.timer = undefined;
      check.running = this.#run(check);
    }, delayMs);
    check.timer.unref();
  }

  async #slot(): Promise<void> {
    if (this.#inFlight < this.#maxConcurrent) {
      this.#inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight -= 1;
  }

  async #run(check: Check): Promise<void> {
    const started = this.#now();
    await this.#slot();
    if (check.stopped) {
      this.#release();
      return;
    }
    const abort = new AbortController();
    check.abort = abort;
    const result = await Promise.resolve()
      .then(() => this.#probe(check.spec, check.address, abort.signal))
      .catch((error: unknown): ProbeResult => ({
        ok: false,
        latencyMs: 0,
        error: String(error),
      }))
      .finally(() => this.#release());
    check.abort = undefined;
    check.running = undefined;
    if (check.stopped) return;
    const reachBefore = familyReach(this.#counts[check.family]);
    this.#count(check.family, check.health, -1);
    check.health = applyResult(check.health, result, check.spec, this.#now()).next;
    this.#count(check.family, check.health, 1);
    // A family that became reachable or unreachable changes what every address of it shows.
    const affected =
      familyReach(this.#counts[check.family]) === reachBefore
        ? [check]
        : [...this.#checks.values()].filter((c) => c.family === check.family);
    const changes: Array<{ changed: Check; from: AddressState }> = [];
    for (const other of affected) {
      const from = this.#settle(other);
      if (from !== undefined) changes.push({ changed: other, from });
    }
    if (changes.length > 0) this.#refreshTable();
    for (const { changed, from } of changes) {
      const event: ProbeChangeEvent = {
        probeKey: changed.probeKey,
        address: changed.address,
        targetIds: [...changed.targetIds].sort(),
        from,
        to: changed.shown.state,
        at: new Date(changed.shownSince),
      };
      if (changed.shown.unreachable) event.noRoute = true;
      const error = changed === check ? (result.ok ? undefined : result.error) : changed.health.lastError;
      if (error !== undefined) event.error = error;
      this.#emit(this.#changeListeners, event);
    }
    this.#emit(this.#resultListeners, {
      probeKey: check.probeKey,
      address: check.address,
      targetIds: [...check.targetIds].sort(),
      result,
      state: check.shown.state,
    });
    this.#arm(check, Math.max(0, check.intervalMs - (this.#now() - started)));
  }

  #halt(check: Check): void {
    check.stopped = true;
    if (check.timer) clearTimeout(check.timer);
    check.timer = undefined;
    check.abort?.abort();
  }

  #refreshTable(): HealthTable {
    const views: AddressView[] = [];
    for (const check of this.#checks.values()) {
      for (const targetId of check.targetIds) {
        const view: AddressView = { targetId, address: check.address, state: check.shown.state };
        if (check.shown.unreachable) Object.assign(view, { unreachable: true, known: check.known });
        if (check.health.lastError !== undefined) view.lastError = check.health.lastError;
        views.push(view);
      }
    }
    this.#table = buildHealthTable(views, this.#table, new Date(this.#now()));
    return this.#table;
  }

  #emit<E>(listeners: Set<(event: E) => void>, event: E): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop probing; listeners log their own errors.
      }
    }
  }
}
