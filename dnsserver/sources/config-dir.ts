// The config-folder source: compiled zone documents and health tables from a folder that the operator writes or
// a ConfigMap mounts. Validation, last-good keeping and the ..data swap are handled by the ConfigReloader.
import type { Logger } from 'pino';
import { EMPTY_HEALTH } from '../answer/state.ts';
import { ConfigReloader, type ConfigSnapshot } from '../config/index.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import type { ZoneSink } from './sink.ts';

export interface ConfigDirSourceOptions {
  dir: string;
  sink: ZoneSink;
  log: Logger;
  metrics?: GeodnsMetrics;
}

const SOURCE = 'config';

export class ConfigDirSource {
  readonly #reloader: ConfigReloader;

  constructor(options: ConfigDirSourceOptions) {
    const { sink, log, metrics } = options;
    const publish = (snapshot: ConfigSnapshot) => {
      sink.setZones(snapshot.zones);
      const health = snapshot.health ?? EMPTY_HEALTH;
      sink.setHealth(health);
      metrics?.setZones(snapshot.zones);
      metrics?.setTargetHealth(health.targets);
      metrics?.countReload(SOURCE);
      log.info(
        { source: SOURCE, dir: options.dir, zones: snapshot.zones.map((z) => ({ zone: z.zone, serial: z.serial })) },
        'zones loaded',
      );
    };
    this.#reloader = new ConfigReloader({
      dir: options.dir,
      onSwap: publish,
      onErrors: (errors) => {
        metrics?.countReloadFailure(SOURCE);
        for (const error of errors) log.error({ source: SOURCE }, `${error}; the last good version keeps serving`);
      },
    });
  }

  async start(): Promise<void> {
    await this.#reloader.start();
  }

  close(): void {
    this.#reloader.close();
  }
}
