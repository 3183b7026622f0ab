// The standalone source: resource YAML files → compile → zones; the HealthProbes run in-process and feed the
// health table. An invalid change keeps the last good zones serving and says why.
import type { Logger } from 'pino';
import type { CompiledZone } from '../../api/compiled.ts';
import { formatLoadError, loadResources } from '../../api/load.ts';
import type { HealthProbe, HealthProbeSpec } from '../../api/resources.ts';
import { compile, describeCondition, isRefusal, resourceLabel, standaloneInput } from '../../operator/compile/index.ts';
import { checksForZones, ProbeScheduler } from '../../operator/prober/index.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import type { ZoneSink } from './sink.ts';
import { watchPaths, type PathWatcher } from './watch-paths.ts';

export interface StandaloneSourceOptions {
  paths: string[];
  sink: ZoneSink;
  log: Logger;
  metrics?: GeodnsMetrics;
  /** Watch the files and reload on change (default true). */
  watch?: boolean;
}

const SOURCE = 'resources';

export class StandaloneSource {
  readonly #options: StandaloneSourceOptions;
  readonly #prober = new ProbeScheduler();
  #previous: Record<string, { serial: number; contentHash: string }> = {};
  #loadedOnce = false;
  #watcher: PathWatcher | undefined;
  #reloading: Promise<void> = Promise.resolve();

  constructor(options: StandaloneSourceOptions) {
    this.#options = options;
    this.#prober.onChange((event) => {
      options.log.info(
        {
          probe: event.probeKey,
          address: event.address,
          targets: event.targetIds,
          from: event.from,
          to: event.to,
          error: event.error,
        },
        'health changed',
      );
      this.#publishHealth();
    });
  }

  /** Loads once (throws when nothing at all can be served), then watches. */
  async start(): Promise<void> {
    await this.reload();
    if (this.#options.watch !== false) {
      this.#watcher = watchPaths(this.#options.paths, () => {
        this.#reloading = this.#reloading
          .then(() => this.reload())
          .catch((error: unknown) => this.#options.log.error({ source: SOURCE, err: error }, 'reload failed'));
      });
    }
  }

  async reload(): Promise<void> {
    const { log, metrics } = this.#options;
    const loaded = await loadResources(this.#options.paths);
    for (const error of loaded.errors) log.error({ source: SOURCE }, formatLoadError(error));
    if (loaded.errors.length > 0 && this.#loadedOnce) {
      // A half-edited file must not take names away: keep everything as it was.
      metrics?.countReloadFailure(SOURCE);
      log.error(
        { source: SOURCE, errors: loaded.errors.length },
        'reload refused: the files have errors; the last good zones keep serving',
      );
      return;
    }
    const output = compile(standaloneInput(loaded, this.#previous, new Date()));
    for (const result of output.results) {
      for (const condition of result.conditions) {
        if (!isRefusal(condition) && condition.status !== 'False') continue;
        log.warn(
          { source: SOURCE, resource: resourceLabel(result), condition: condition.type, reason: condition.reason },
          describeCondition(result, condition),
        );
      }
    }
    if (output.zones.length === 0 && !this.#loadedOnce) {
      throw new Error(`no zone could be compiled from ${this.#options.paths.join(', ')}`);
    }
    this.#previous = Object.fromEntries(
      output.zones.map((z) => [z.zone, { serial: z.serial, contentHash: z.contentHash }]),
    );
    this.#loadedOnce = true;

    const probes = new Map<string, HealthProbeSpec>(
      loaded.resources
        .filter((r): r is HealthProbe => r.kind === 'HealthProbe')
        .map((p) => [`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p.spec]),
    );
    const planned = checksForZones(output.zones, probes);
    this.#prober.update(planned.checks);
    this.#publishZones(output.zones);
    this.#publishHealth();
    metrics?.countReload(SOURCE);
    log.info(
      {
        source: SOURCE,
        zones: output.zones.map((z) => ({ zone: z.zone, serial: z.serial })),
        probes: planned.checks.length,
      },
      'zones loaded',
    );
  }

  #publishZones(zones: CompiledZone[]): void {
    this.#options.sink.setZones(zones);
    this.#options.metrics?.setZones(zones);
  }

  #publishHealth(): void {
    const table = this.#prober.healthTable();
    this.#options.sink.setHealth(table);
    this.#options.metrics?.setTargetHealth(table.targets);
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    await this.#prober.stop();
  }
}
