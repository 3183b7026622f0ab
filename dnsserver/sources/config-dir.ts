// The config-folder source: compiled zone documents and health tables from a folder that the operator writes or
// a ConfigMap mounts. Validation, last-good keeping and the ..data swap are handled by the ConfigReloader.
import type { Logger } from 'pino';
import type { ZoneSink } from '../../api/sink.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import { ConfigReloader, type ConfigSnapshot } from '../config/index.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import { MeteredSink } from './metered-sink.ts';

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
    const { log } = options;
    const sink = new MeteredSink(SOURCE, options.sink, options.metrics);
    const publish = (snapshot: ConfigSnapshot) => {
      sink.setZones(snapshot.zones);
      sink.setHealth(snapshot.health ?? EMPTY_HEALTH);
      log.info(
        { source: SOURCE, dir: options.dir, zones: snapshot.zones.map((z) => ({ zone: z.zone, serial: z.serial })) },
        'zones loaded',
      );
    };
    this.#reloader = new ConfigReloader({
      dir: options.dir,
      onSwap: publish,
      onErrors: (errors) => {
        sink.refused();
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
