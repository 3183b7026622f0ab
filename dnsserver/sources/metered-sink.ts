// What every source publishes through: hands zones and health on to the served state and keeps the metrics that
// describe them (zones and serials, target health, reloads and refused reloads by source).
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ZoneSink } from '../../api/sink.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';

export class MeteredSink implements ZoneSink {
  readonly #source: string;
  readonly #sink: ZoneSink;
  readonly #metrics: GeodnsMetrics | undefined;

  /** `source` labels the reload metrics: 'resources' or 'config'. */
  constructor(source: string, sink: ZoneSink, metrics?: GeodnsMetrics) {
    this.#source = source;
    this.#sink = sink;
    this.#metrics = metrics;
  }

  /** One accepted reload. */
  setZones(zones: CompiledZone[]): void {
    this.#sink.setZones(zones);
    this.#metrics?.setZones(zones);
    this.#metrics?.countReload(this.#source);
  }

  setHealth(table: HealthTable): void {
    this.#sink.setHealth(table);
    this.#metrics?.setTargetHealth(table.targets);
  }

  /** A reload refused: the last good zones keep serving. */
  refused(): void {
    this.#metrics?.countReloadFailure(this.#source);
  }
}
