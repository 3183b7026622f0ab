// The operator: the cluster input (informer caches) + the pipeline + the cluster outputs (one ConfigMap per zone,
// the health ConfigMap, status and Events). Nothing is written before every cache has synced.
import type { KubeConfig } from './kube/api.ts';
import type { Logger } from 'pino';
import type { CompiledZone } from '../api/compiled.ts';
import type { HealthTable } from '../api/health.ts';
import type { CompileOutput } from './compile/index.ts';
import { ClusterInput } from './inputs/cluster.ts';
import { KubeApi } from './kube/api.ts';
import { OperatorCaches } from './kube/caches.ts';
import type { OperatorMetrics } from './observability/metrics.ts';
import { Pipeline, type PipelineOutput } from './pipeline.ts';
import { HealthPublisher } from './publish/health.ts';
import type { ObjectRef } from './publish/writer.ts';
import { ZonePublisher, type ZonePublishResult } from './publish/zones.ts';
import { desiredStatus, type StatusBody, type ZonePublishState } from './status/desired.ts';
import { StatusWriter } from './status/writer.ts';
import type { RawObject } from './inputs/cluster-snapshot.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Where the zone and health ConfigMaps (and Events of cluster-scoped objects) are written. */
  namespace: string;
  log: Logger;
  metrics: OperatorMetrics;
  /** Coalescing window of health writes (default 50 ms). */
  healthCoalesceMs?: number;
  /** The most bytes a zone may take in its ConfigMap (default: what fits the API's 1 MiB object limit). */
  zoneLimitBytes?: number;
}

export class Operator {
  readonly #options: OperatorOptions;
  readonly caches: OperatorCaches;
  readonly #pipeline: Pipeline;
  readonly #zones: ZonePublisher;
  readonly #health: HealthPublisher;
  readonly #status: StatusWriter;
  readonly #publishState = new Map<string, ZonePublishState>();
  #compiled: CompileOutput | undefined;
  #table: HealthTable | undefined;
  #offConfigMaps: (() => void) | undefined;

  constructor(options: OperatorOptions) {
    this.#options = options;
    const { kubeConfig, namespace, log, metrics } = options;
    this.caches = new OperatorCaches({
      kubeConfig,
      namespace,
      log,
      onError: () => metrics.apiErrors.inc({ verb: 'watch' }),
    });
    const writer = new KubeApi(kubeConfig, { onError: (verb) => metrics.apiErrors.inc({ verb }) });
    this.#zones = new ZonePublisher({
      writer,
      namespace,
      log,
      existing: () => this.caches.zoneConfigMaps(),
      zoneUid: (name) => this.caches.geoZones.get(name)?.metadata?.uid,
      onWrite: (verb) => metrics.writes.inc({ kind: 'zone_configmap', verb }),
      onResult: (zone, result) => this.#published(zone, result),
      ...(options.zoneLimitBytes !== undefined ? { limitBytes: options.zoneLimitBytes } : {}),
    });
    this.#health = new HealthPublisher({
      writer,
      namespace,
      log,
      existing: () => this.caches.healthConfigMap(),
      ...(options.healthCoalesceMs !== undefined ? { coalesceMs: options.healthCoalesceMs } : {}),
      onWrite: (verb) => metrics.writes.inc({ kind: 'health_configmap', verb }),
    });
    this.#status = new StatusWriter({
      writer,
      log,
      eventNamespace: namespace,
      current: (ref) => this.#current(ref),
      onWrite: (kind) => metrics.writes.inc({ kind, verb: kind === 'status' ? 'patch' : 'create' }),
    });
    const output: PipelineOutput = {
      setZones: (zones) => this.#setZones(zones),
      setHealth: (table) => {
        this.#table = table;
        this.#health.setHealth(table);
        this.#refreshStatus();
      },
      compiled: (compiled) => {
        this.#compiled = compiled;
        metrics.reconciles.inc({ result: 'ok' });
        this.#refreshStatus();
      },
      refused: () => metrics.reconciles.inc({ result: 'refused' }),
    };
    this.#pipeline = new Pipeline({ input: new ClusterInput(this.caches), output, log, requireZones: false });
    this.#pipeline.prober.onResult((event) => {
      metrics.probeResults.inc({ result: event.result.ok ? 'success' : 'failure' });
      metrics.probeSeconds.observe(event.result.latencyMs / 1000);
    });
  }

  /** Starts the caches, waits until every one has synced, then reconciles and follows changes. */
  async start(): Promise<void> {
    const { log, metrics } = this.#options;
    await this.caches.start();
    metrics.cachesSynced.set(1);
    log.info('caches synced');
    // Someone else may edit or delete the operator's ConfigMaps: publishing compares again.
    this.#offConfigMaps = this.caches.onConfigMapChange(() => {
      if (this.#compiled) this.#setZones(this.#compiled.zones);
    });
    await this.#pipeline.start();
  }

  get synced(): boolean {
    return this.caches.hasSynced;
  }

  /** Resolves once the pipeline and the writers have nothing due (tests). */
  async settled(): Promise<void> {
    await this.#pipeline.settled();
    await Promise.all([this.#zones.idle(), this.#health.idle(), this.#status.idle()]);
  }

  async stop(): Promise<void> {
    this.#offConfigMaps?.();
    await this.#pipeline.close();
    this.#zones.close();
    this.#health.close();
    this.#status.close();
    await this.caches.stop();
  }

  #setZones(zones: CompiledZone[]): void {
    this.#zones.setZones(zones);
    for (const zone of zones) this.#options.metrics.zoneSerial.set({ zone: zone.zone }, zone.serial);
    // A zone ConfigMap whose GeoZone is gone is deleted now, not only when garbage collection gets to it.
    const served = new Set(zones.map((z) => z.source));
    for (const cm of this.caches.zoneConfigMaps()) {
      const owner = cm.metadata.ownerReferences?.find((o) => o.kind === 'GeoZone')?.name;
      if (owner && !served.has(owner) && !this.caches.geoZones.get(owner)) this.#zones.forget(owner);
    }
  }

  #published(zone: string, result: ZonePublishResult): void {
    const before = this.#publishState.get(zone);
    const state: ZonePublishState =
      result.kind === 'tooLarge'
        ? { tooLarge: { bytes: result.bytes, limit: result.limit } }
        : result.kind === 'failed'
          ? { failed: result.error }
          : {};
    this.#publishState.set(zone, state);
    if (JSON.stringify(before ?? {}) !== JSON.stringify(state)) this.#refreshStatus();
  }

  #current(ref: ObjectRef): { uid?: string; generation?: number; status?: StatusBody } | undefined {
    const cache =
      ref.kind === 'GeoZone'
        ? this.caches.geoZones
        : ref.kind === 'GeoEndpoint'
          ? this.caches.geoEndpoints
          : this.caches.healthProbes;
    const object = cache.get(ref.name, ref.namespace) as RawObject | undefined;
    if (!object) return undefined;
    const meta = object.metadata as { uid?: string; generation?: number } | undefined;
    return {
      ...(meta?.uid ? { uid: meta.uid } : {}),
      ...(meta?.generation !== undefined ? { generation: meta.generation } : {}),
      ...(object.status ? { status: object.status as StatusBody } : {}),
    };
  }

  #refreshStatus(): void {
    const compiled = this.#compiled;
    if (!compiled) return;
    const health = this.#table ?? this.#pipeline.healthTable();
    const now = new Date();
    for (const result of compiled.results) {
      const ref: ObjectRef = {
        kind: result.kind,
        name: result.name,
        ...(result.namespace ? { namespace: result.namespace } : {}),
      };
      const current = this.#current(ref);
      if (!current) continue;
      const publish = result.kind === 'GeoZone' ? this.#publishState.get(result.name) : undefined;
      const probed =
        result.kind === 'HealthProbe'
          ? this.#pipeline.prober.probeStatus(`${result.namespace ?? 'default'}/${result.name}`)
          : undefined;
      const desired = desiredStatus(result, {
        zones: compiled.zones,
        health,
        now,
        generation: current.generation,
        ...(publish ? { publish } : {}),
        ...(probed ? { probed } : {}),
      });
      this.#status.set(ref, desired);
    }
  }
}
