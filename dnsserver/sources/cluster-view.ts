// What the in-cluster source serves, from what its two list+watch loops see: the zone ConfigMaps (each kept as its
// last good document) and the health ConfigMap (applied only at a greater revision). Nothing is published until
// both have been listed once, so the first answers already use the cluster's health; after that every change is
// published as a whole set of zones (a burst of events as one publish), and only what changed is handed over.
import type { Logger } from 'pino';
import type { HealthTable } from '../../api/health.ts';
import { HEALTH_CONFIGMAP } from '../../api/configmaps.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import { HealthConfigMap } from './health-configmap.ts';
import type { MeteredSink } from './metered-sink.ts';
import type { ChangeType } from '../../lib/kube/reflector.ts';
import { describeConfigMap, ZoneConfigMaps, type ConfigMapObject } from './zone-configmaps.ts';

export interface ClusterViewOptions {
  sink: MeteredSink;
  log: Logger;
  namespace: string;
}

export class ClusterView {
  readonly #sink: MeteredSink;
  readonly #log: Logger;
  readonly #namespace: string;
  readonly #zones = new ZoneConfigMaps();
  readonly #health = new HealthConfigMap();
  #table: HealthTable = EMPTY_HEALTH;
  #zonesListed = false;
  #healthListed = false;
  #publishedZones: string | undefined;
  #publishedTable: HealthTable | undefined;
  #pending: NodeJS.Immediate | undefined;
  #served = false;
  #resolveServed: () => void = () => undefined;
  /** Resolves once the API's view was first published. */
  readonly served: Promise<void> = new Promise((resolve) => (this.#resolveServed = resolve));

  constructor(options: ClusterViewOptions) {
    this.#sink = options.sink;
    this.#log = options.log;
    this.#namespace = options.namespace;
  }

  /** Whether the API's view has been published (it then replaces any fallback for good). */
  get isServed(): boolean {
    return this.#served;
  }

  zonesListed(configMaps: readonly ConfigMapObject[]): void {
    this.#refuse(this.#zones.replace(configMaps));
    this.#zonesListed = true;
    this.#schedule();
  }

  zoneChanged(type: ChangeType, configMap: ConfigMapObject): void {
    if (type === 'DELETED') {
      this.#zones.delete(configMap);
      this.#log.info({ source: 'cluster', configMap: describeConfigMap(configMap) }, 'zone ConfigMap deleted');
    } else this.#refuse(this.#zones.apply(configMap));
    this.#schedule();
  }

  healthListed(configMaps: readonly ConfigMapObject[]): void {
    const configMap = configMaps.find((c) => c.metadata?.name === HEALTH_CONFIGMAP);
    if (configMap) this.#offerHealth(configMap);
    else this.#clearHealth();
    this.#healthListed = true;
    this.#schedule();
  }

  healthChanged(type: ChangeType, configMap: ConfigMapObject): void {
    if (configMap.metadata?.name !== HEALTH_CONFIGMAP) return;
    if (type === 'DELETED') this.#clearHealth();
    else this.#offerHealth(configMap);
    this.#schedule();
  }

  close(): void {
    if (this.#pending) clearImmediate(this.#pending);
    this.#pending = undefined;
  }

  #offerHealth(configMap: ConfigMapObject): void {
    const offer = this.#health.offer(configMap);
    if (offer.kind === 'apply') {
      this.#table = offer.table;
      this.#log.info({ source: 'cluster', revision: offer.revision.toString() }, 'health table received');
    } else if (offer.kind === 'stale') this.#log.warn({ source: 'cluster' }, offer.message);
    else if (offer.kind === 'invalid') this.#refuse(offer.errors);
  }

  #clearHealth(): void {
    if (this.#health.revision !== undefined) {
      this.#log.warn(
        { source: 'cluster', configMap: `${this.#namespace}/${HEALTH_CONFIGMAP}` },
        'health ConfigMap gone; answers use the health recorded in the zones',
      );
    }
    this.#health.clear();
    this.#table = EMPTY_HEALTH;
  }

  #refuse(errors: readonly string[]): void {
    if (errors.length === 0) return;
    this.#sink.refused();
    for (const error of errors) this.#log.error({ source: 'cluster' }, error);
  }

  #schedule(): void {
    if (!this.#zonesListed || !this.#healthListed) return;
    this.#pending ??= setImmediate(() => {
      this.#pending = undefined;
      this.#publish();
    });
  }

  #publish(): void {
    // Health first: zones are swapped in a slice at a time, and should meet the health they go with.
    if (this.#table !== this.#publishedTable) {
      this.#sink.setHealth(this.#table);
      this.#publishedTable = this.#table;
    }
    const fingerprint = this.#zones.fingerprint();
    if (fingerprint !== this.#publishedZones) {
      const { zones, errors } = this.#zones.zones();
      this.#sink.setZones(zones);
      this.#publishedZones = fingerprint;
      this.#refuse(errors);
      this.#log.info(
        {
          source: 'cluster',
          namespace: this.#namespace,
          zones: zones.map((z) => ({ zone: z.zone, serial: z.serial })),
        },
        'zones loaded',
      );
    }
    if (!this.#served) {
      this.#served = true;
      this.#resolveServed();
    }
  }
}
