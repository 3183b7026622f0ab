// The one pipeline of the operator side: an input (resource files; informer caches next) → compile() → outputs
// (the DNS server's in-process state; ConfigMaps and status next), with the prober beside it feeding the health
// table. An incomplete read after the first good one is refused and the last good zones keep serving. A change
// that moves only the input's own health (readDown: a Service's endpoints turning unready) skips compile() and
// the zones: it changes the health table alone. Runs and those health-only refreshes are the keys of the `pipeline`
// lane: one at a time, a change during a run makes one more run after it.
import type { Logger } from 'pino';
import type { CompiledPublishedKey, CompiledZone } from '../api/compiled.ts';
import type { HealthTable } from '../api/health.ts';
import type { HealthProbeSpec } from '../api/healthprobe.ts';
import type { ZoneSink } from '../api/sink.ts';
import { compile, describeCondition, isRefusal, resourceLabel, type CompileOutput } from './compile/index.ts';
import { compileInputOf } from './inputs/snapshot.ts';
import type { ResourceInput } from './inputs/types.ts';
import { checksForZones, overlayDown, ProbeScheduler } from './prober/index.ts';
import { Lanes } from './queue/lanes.ts';
import type { WorkQueue } from './queue/work-queue.ts';

export interface PipelineOutput extends ZoneSink {
  /** After each accepted read, with every resource's conditions (the status writer's input). */
  compiled?(output: CompileOutput): void;
  /** A read was refused; the last good zones keep serving. */
  refused?(errors: readonly string[]): void;
}

export interface PipelineOptions {
  input: ResourceInput;
  output: PipelineOutput;
  log: Logger;
  /** Re-run when the input changes (default true). */
  watch?: boolean;
  prober?: ProbeScheduler;
  /** Fail the first run when it yields no zone (default true: a standalone server with nothing to serve is a
   *  mistake; a cluster with no GeoZone yet is not). */
  requireZones?: boolean;
  /** Told after every run: how it ended and how long it took. */
  onRun?: (result: 'ok' | 'refused' | 'error', seconds: number) => void;
  /** Told after every change of the input's own health that took the short way (no compile). */
  onDownChange?: () => void;
  /** Least time from the start of one run to the start of the next (default 0): a change after a quiet spell runs
   *  at once, a stream of changes (a thousand resources applied) runs a few times instead of once per change. */
  minRunIntervalMs?: number;
  now?: () => Date;
  /** Where runs are scheduled (the operator's lanes); default: lanes of the pipeline's own. */
  lanes?: Lanes;
  /** The zones the operator signs and their key tags, read at each compile (operator/dnssec/keeper.ts). */
  signed?: () => Record<string, number[]>;
  /** The peers' DNSKEYs each signed zone publishes (operator/peers/exchange.ts peerKeys()), read at each compile. */
  publishedKeys?: () => Record<string, readonly CompiledPublishedKey[]>;
}

/** The keys of the pipeline lane: a whole run, and the input's own health alone. */
const RUN = 'run';
const DOWN = 'down';

export class Pipeline {
  readonly #options: PipelineOptions;
  readonly #prober: ProbeScheduler;
  readonly #now: () => Date;
  #previous: Record<string, { serial: number; contentHash: string }> = {};
  #loadedOnce = false;
  readonly #lanes: Lanes;
  readonly #lane: WorkQueue;
  #watcher: { close(): void } | undefined;
  #downWatcher: { close(): void } | undefined;
  #lastRunAt = -Infinity;
  #down: ReadonlyMap<string, string> = new Map();
  #health: HealthTable | null = null;
  #seeded = false;
  #problems = new Set<string>();

  constructor(options: PipelineOptions) {
    this.#options = options;
    this.#prober = options.prober ?? new ProbeScheduler();
    this.#now = options.now ?? (() => new Date());
    this.#lanes = options.lanes ?? new Lanes();
    this.#lane = this.#lanes.lane('pipeline', (key) => (key === RUN ? this.#runQueued() : this.#refreshDown()));
    this.#prober.onChange((event) => {
      options.log.info(
        {
          probe: event.probeKey,
          address: event.address,
          targets: event.targetIds,
          from: event.from,
          to: event.to,
          ...(event.noRoute ? { noRoute: true } : {}),
          error: event.error,
        },
        event.noRoute ? 'health unknown: the prober has no route to this address family' : 'health changed',
      );
      this.#publishHealth();
    });
  }

  /** Runs once (throws when nothing at all can be served), then follows the input. */
  async start(): Promise<void> {
    await this.run();
    if (this.#options.watch !== false) {
      this.#watcher = this.#options.input.watch(() => this.#schedule());
      this.#downWatcher = this.#options.input.watchDown?.(() => this.#scheduleDown());
    }
  }

  /** Compiles again: something compile reads besides the input changed (the signed zones' keys). */
  rerun(): void {
    if (this.#loadedOnce) this.#schedule();
  }

  /** A change runs at once after a quiet spell; the changes within minRunIntervalMs of a run's start (or during
   *  it) make one more run. */
  #schedule(): void {
    const wait = this.#lastRunAt + (this.#options.minRunIntervalMs ?? 0) - performance.now();
    if (wait > 0) this.#lane.addCoalesced(RUN, wait);
    else this.#lane.add(RUN);
  }

  async #runQueued(): Promise<void> {
    try {
      await this.run();
    } catch (error) {
      this.#options.log.error({ source: this.#options.input.name, err: error }, 'reload failed');
    }
  }

  /** The events of one turn (a relist brings many) make one update. */
  #scheduleDown(): void {
    this.#lane.addCoalesced(DOWN, 0);
  }

  /** The input's own health again, against the last compiled resources: the health table changes, no zone. */
  #refreshDown(): void {
    const down = this.#options.input.readDown?.();
    this.#recheckDown();
    if (!down || !this.#loadedOnce || sameEntries(down, this.#down)) return;
    this.#down = down;
    this.#options.onDownChange?.();
    this.#publishHealth();
  }

  /** The input's own health again when time alone may change it (a pending Service's grace ends). */
  #recheckDown(): void {
    const inMs = this.#options.input.downRecheckInMs?.();
    if (inMs !== undefined) this.#lane.addAfter(DOWN, inMs);
  }

  /** Resolves once no run is going or due (tests). */
  settled(): Promise<void> {
    return this.#lanes.idle();
  }

  /** Reads the input, compiles, plans the probes and publishes. */
  async run(): Promise<void> {
    const started = performance.now();
    this.#lastRunAt = started;
    const report = (result: 'ok' | 'refused' | 'error') =>
      this.#options.onRun?.(result, (performance.now() - started) / 1000);
    try {
      report((await this.#run()) ? 'ok' : 'refused');
    } catch (error) {
      report('error');
      throw error;
    }
  }

  /** One run; false when the read was refused. */
  async #run(): Promise<boolean> {
    const { input, output, log } = this.#options;
    const source = input.name;
    const read = await input.read();
    for (const error of read.errors) log.error({ source }, error);
    if (read.errors.length > 0 && this.#loadedOnce) {
      output.refused?.(read.errors);
      log.error(
        { source, errors: read.errors.length },
        'reload refused: the input has errors; the last good zones keep serving',
      );
      return false;
    }
    const signed = this.#options.signed?.();
    const publishedKeys = this.#options.publishedKeys?.();
    const fresh = compile({
      ...compileInputOf(read.snapshot, newest(this.#previous, read.published), this.#now()),
      ...(signed ? { signed } : {}),
      ...(publishedKeys ? { publishedKeys } : {}),
    });
    const compiled: CompileOutput = { zones: fresh.zones, results: [...fresh.results, ...(read.invalid ?? [])] };
    // Each problem is logged when it appears, not again on every run while it stays (a cluster runs often).
    const problems = new Set<string>();
    for (const result of compiled.results) {
      for (const condition of result.conditions) {
        if (!isRefusal(condition) && condition.status !== 'False') continue;
        const text = describeCondition(result, condition);
        problems.add(text);
        if (this.#problems.has(text)) continue;
        log.warn(
          { source, resource: resourceLabel(result), condition: condition.type, reason: condition.reason },
          text,
        );
      }
    }
    this.#problems = problems;
    if (compiled.zones.length === 0 && !this.#loadedOnce && this.#options.requireZones !== false) {
      throw new Error(`no zone could be compiled from ${input.describe()}`);
    }
    this.#previous = Object.fromEntries(
      compiled.zones.map((z) => [z.zone, { serial: z.serial, contentHash: z.contentHash }]),
    );
    this.#loadedOnce = true;
    this.#down = read.down ?? new Map();
    this.#recheckDown();

    const probes = new Map<string, HealthProbeSpec>(
      read.snapshot.probes.map((p) => [`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p.spec]),
    );
    const planned = checksForZones(compiled.zones, probes);
    if (read.publishedHealth && !this.#seeded) {
      this.#seeded = true;
      this.#prober.seed(read.publishedHealth);
      this.#health = read.publishedHealth;
    }
    this.#prober.update(planned.checks);
    this.#publishZones(compiled.zones);
    this.#publishHealth();
    output.compiled?.(compiled);
    log.info(
      {
        source,
        zones: compiled.zones.map((z) => ({ zone: z.zone, serial: z.serial })),
        probes: planned.checks.length,
      },
      'zones loaded',
    );
    return true;
  }

  /** The prober's table with the targets the input knows to be down (Services without ready endpoints). */
  healthTable(): HealthTable {
    this.#health = overlayDown(this.#prober.healthTable(), this.#down, this.#health, this.#now());
    return this.#health;
  }

  /** The prober, for the status of HealthProbes. */
  get prober(): ProbeScheduler {
    return this.#prober;
  }

  #publishZones(zones: CompiledZone[]): void {
    this.#options.output.setZones(zones);
  }

  #publishHealth(): void {
    this.#options.output.setHealth(this.healthTable());
  }

  /** Stops following the input, lets a run in flight finish, and stops the prober. */
  async close(): Promise<void> {
    this.#watcher?.close();
    this.#downWatcher?.close();
    await this.#lane.shutDown();
    await this.#prober.stop();
  }
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

type Published = Record<string, { serial: number; contentHash: string }>;

/** Per apex, the entry with the higher serial: what this process compiled, or what is already published. */
function newest(own: Published, published: Published | undefined): Published {
  if (!published) return own;
  const out: Published = { ...published };
  for (const [apex, entry] of Object.entries(own)) {
    const other = out[apex];
    if (!other || entry.serial >= other.serial) out[apex] = entry;
  }
  return out;
}
