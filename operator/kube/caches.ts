// The operator's informer caches: GeoZones, GeoEndpoints, HealthProbes, Namespaces, Services, EndpointSlices,
// Ingresses, the Gateway API's Gateways and ReferenceGrants and the Multi-Cluster Services API's ServiceImports
// cluster-wide, and its own ConfigMaps in its namespace. Ingresses, the Gateway API's kinds and ServiceImports are
// optional: without their CRDs, or without RBAC to read them, their caches stay empty (no watch is held, the list is
// asked again now and then) and compile says so of the targets that name them (no target names a ServiceImport: its
// absence is only logged at debug level). Handlers only tell that something changed (three kinds of
// listeners: what compile() reads, EndpointSlices, the operator's own ConfigMaps; an MCS-imported EndpointSlice,
// whose addresses compile() reads, tells the first two); the cached objects are read by the pipeline and never
// changed.
import type { Logger } from 'pino';
import { DOCUMENT_LABEL, HEALTH_CONFIGMAP, HEALTH_DOCUMENT, HEALTH_KEY, ZONE_DOCUMENT } from '../../api/configmaps.ts';
import { HEALTH_FORMAT } from '../../api/constants.ts';
import type { HealthTable } from '../../api/health.ts';
import { GROUP, VERSION } from '../../api/meta.ts';
import { KINDS } from '../../api/kinds.ts';
import type {
  ClusterObjects,
  EndpointSliceObject,
  GatewayObject,
  IngressObject,
  RawObject,
  ReferenceGrantObject,
  ServiceObject,
} from '../inputs/cluster-snapshot.ts';
import { isImportedSlice, type ServiceImportObject } from '../inputs/service-imports.ts';
import type { ClusterCaches } from '../inputs/cluster.ts';
import type { ConfigMapObject } from '../cluster-writer.ts';
import { publishedZones, type PublishedZone } from '../publish/zones.ts';
import type { Collection } from '../../lib/kube/collection.ts';
import type { Presence } from '../../lib/kube/optional.ts';
import { describeApiError } from '../../lib/kube/errors.ts';
import { informer, type Informer, type KubeObject } from '../../lib/kube/informer.ts';
import type { KubeConfig } from '../../lib/kube/kubeconfig.ts';

type AnyObject = KubeObject & Record<string, unknown>;

/** What compile() reads of one of our resources: everything but its status and the server's bookkeeping. */
export function inputOf(object: AnyObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = object.metadata ?? {};
  const { status: _status, metadata: _metadata, ...rest } = object;
  return JSON.stringify({ ...rest, metadata });
}

export interface OperatorCachesOptions {
  kubeConfig: KubeConfig;
  /** Where the operator writes its ConfigMaps. */
  namespace: string;
  log: Logger;
  onError?: (cache: string, error: unknown) => void;
  /** How often a kind that is not served (the Gateway API's, without their CRDs) is looked for again (default 30 s). */
  kindRecheckMs?: number;
}

/** The Gateway API's collections: served only where its CRDs are installed. */
const GATEWAYS = '/apis/gateway.networking.k8s.io/v1/gateways';
const REFERENCE_GRANTS = '/apis/gateway.networking.k8s.io/v1beta1/referencegrants';
/** The Multi-Cluster Services API's imports (KEP-1645): served only where an MCS implementation is installed. */
const SERVICE_IMPORTS = '/apis/multicluster.x-k8s.io/v1alpha1/serviceimports';
/** Optional kinds no target names: their absence is no news (logged at debug level). */
const UNNAMED_KINDS = new Set(['ServiceImport']);

export class OperatorCaches implements ClusterCaches {
  readonly #informers: { name: string; informer: Informer<AnyObject> }[] = [];
  readonly geoZones: Informer<AnyObject>;
  readonly geoEndpoints: Informer<AnyObject>;
  readonly healthProbes: Informer<AnyObject>;
  readonly namespaces: Informer<AnyObject>;
  readonly services: Informer<AnyObject>;
  readonly endpointSlices: Informer<AnyObject>;
  readonly ingresses: Informer<AnyObject>;
  readonly gateways: Informer<AnyObject>;
  readonly referenceGrants: Informer<AnyObject>;
  readonly serviceImports: Informer<AnyObject>;
  readonly configMaps: Informer<AnyObject>;
  /** The optional kinds not available now, and why. */
  readonly #unavailable = new Map<string, Exclude<Presence, 'served'>>();
  readonly #inputListeners = new Set<() => void>();
  readonly #configMapListeners = new Set<() => void>();
  readonly #endpointListeners = new Set<() => void>();

  constructor(options: OperatorCachesOptions) {
    const { kubeConfig, namespace } = options;
    const make = (name: string, collection: Collection, optional = false): Informer<AnyObject> => {
      const presence = (found: Presence) => this.#presence(name, found, options.log);
      const made = informer<AnyObject>(kubeConfig, collection, {
        backoff: { initialMs: 500, maxMs: 5_000 },
        ...(optional
          ? {
              optional: {
                onPresence: presence,
                ...(options.kindRecheckMs !== undefined ? { recheckMs: options.kindRecheckMs } : {}),
              },
            }
          : {}),
        onError: (error, source) => {
          options.onError?.(name, error);
          const err =
            source === 'informer' ? describeApiError(error) : error instanceof Error ? error.message : String(error);
          options.log.warn(
            { cache: name, source, err },
            source === 'informer' ? 'watch failed; restarting with backoff' : 'a change handler failed',
          );
        },
      });
      this.#informers.push({ name, informer: made });
      return made;
    };
    const custom = (kind: string) => {
      const plural = KINDS.find((k) => k.kind === kind)?.plural ?? '';
      return make(kind, { path: `/apis/${GROUP}/${VERSION}/${plural}` });
    };
    this.geoZones = custom('GeoZone');
    this.geoEndpoints = custom('GeoEndpoint');
    this.healthProbes = custom('HealthProbe');
    this.namespaces = make('Namespace', { path: '/api/v1/namespaces' });
    this.services = make('Service', { path: '/api/v1/services' });
    this.endpointSlices = make('EndpointSlice', { path: '/apis/discovery.k8s.io/v1/endpointslices' });
    this.ingresses = make('Ingress', { path: '/apis/networking.k8s.io/v1/ingresses' }, true);
    this.gateways = make('Gateway', { path: GATEWAYS }, true);
    this.referenceGrants = make('ReferenceGrant', { path: REFERENCE_GRANTS }, true);
    this.serviceImports = make('ServiceImport', { path: SERVICE_IMPORTS }, true);
    this.configMaps = make('ConfigMap', {
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`,
      labelSelector: `${DOCUMENT_LABEL} in (${ZONE_DOCUMENT},${HEALTH_DOCUMENT})`,
    });
    const resources = new Set([this.geoZones, this.geoEndpoints, this.healthProbes]);
    for (const { informer } of this.#informers) {
      const listeners =
        informer === this.configMaps
          ? this.#configMapListeners
          : informer === this.endpointSlices
            ? this.#endpointListeners
            : this.#inputListeners;
      const notify = () => {
        for (const listener of listeners) listener();
      };
      if (informer === this.endpointSlices) {
        // An MCS-imported slice's addresses are what its import serves: compile() reads them too.
        for (const event of ['add', 'update', 'delete'] as const) {
          informer.on(event, (slice) => {
            notify();
            if (isImportedSlice(slice)) for (const listener of this.#inputListeners) listener();
          });
        }
        continue;
      }
      if (!resources.has(informer)) {
        for (const event of ['add', 'update', 'delete'] as const) informer.on(event, notify);
        continue;
      }
      // Our resources: a change of status alone (most often the operator's own status write) compiles nothing
      // differently, so it does not start a reconcile.
      const seen = new Map<string, string>();
      const keyOf = (o: AnyObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      informer.on('add', (o) => {
        seen.set(keyOf(o), inputOf(o));
        notify();
      });
      informer.on('update', (o) => {
        const input = inputOf(o);
        if (seen.get(keyOf(o)) === input) return;
        seen.set(keyOf(o), input);
        notify();
      });
      informer.on('delete', (o) => {
        seen.delete(keyOf(o));
        notify();
      });
    }
  }

  /** What an optional kind's list found: said once per change; a change compiles again. */
  #presence(kind: string, found: Presence, log: Logger): void {
    if ((this.#unavailable.get(kind) ?? 'served') === found) return;
    if (found === 'served') this.#unavailable.delete(kind);
    else this.#unavailable.set(kind, found);
    const fields = { kind };
    if (found === 'served') log.info(fields, `the ${kind} kind is served: following its objects`);
    else if (UNNAMED_KINDS.has(kind)) {
      const why =
        found === 'absent'
          ? 'not served (its CRD is not installed)'
          : "not allowed to be listed (the operator's RBAC lacks list/watch on it)";
      const message = `the ${kind} kind is ${why}: Services are not taken from the Multi-Cluster Services API; looking again now and then`;
      if (found === 'absent') log.debug(fields, message);
      else log.warn(fields, message);
    } else if (found === 'absent') {
      log.info(
        fields,
        `the ${kind} kind is not served (its CRD is not installed): targets that name one say so; looking again now and then`,
      );
    } else {
      log.warn(
        fields,
        `not allowed to list ${kind} objects (the operator's RBAC lacks list/watch on them): targets that name one say so; looking again now and then`,
      );
    }
    for (const listener of this.#inputListeners) listener();
  }

  /** Starts every informer; resolves once all of them have synced. */
  async start(): Promise<void> {
    for (const { informer } of this.#informers) informer.start();
    await this.synced();
  }

  synced(): Promise<void> {
    return Promise.all(this.#informers.map(({ informer }) => informer.synced)).then(() => undefined);
  }

  get hasSynced(): boolean {
    return this.#informers.every(({ informer }) => informer.hasSynced);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map(({ informer }) => informer.stop()));
  }

  onChange(callback: () => void): () => void {
    this.#inputListeners.add(callback);
    return () => this.#inputListeners.delete(callback);
  }

  /** Calls back when an EndpointSlice changed: readiness only, which moves health and no zone. */
  onEndpointsChange(callback: () => void): () => void {
    this.#endpointListeners.add(callback);
    return () => this.#endpointListeners.delete(callback);
  }

  /** Calls back when one of the operator's own ConfigMaps changed (someone else may have edited or deleted it). */
  onConfigMapChange(callback: () => void): () => void {
    this.#configMapListeners.add(callback);
    return () => this.#configMapListeners.delete(callback);
  }

  objects(): ClusterObjects {
    return {
      geoZones: this.geoZones.list() as readonly RawObject[],
      geoEndpoints: this.geoEndpoints.list() as readonly RawObject[],
      healthProbes: this.healthProbes.list() as readonly RawObject[],
      namespaces: this.namespaces.list() as readonly RawObject[],
      services: this.services.list() as readonly ServiceObject[],
      endpointSlices: this.endpointSliceObjects(),
      ingresses: this.ingresses.list() as readonly IngressObject[],
      gateways: this.gateways.list() as readonly GatewayObject[],
      referenceGrants: this.referenceGrants.list() as readonly ReferenceGrantObject[],
      serviceImports: this.serviceImports.list() as readonly ServiceImportObject[],
      missingKinds: this.#unavailableKinds('absent'),
      forbiddenKinds: this.#unavailableKinds('forbidden'),
    };
  }

  /** The kinds not available for `why` that targets name (compile says so of those targets). */
  #unavailableKinds(why: Exclude<Presence, 'served'>): string[] {
    return [...this.#unavailable].flatMap(([kind, found]) => (found === why && !UNNAMED_KINDS.has(kind) ? [kind] : []));
  }

  endpointSliceObjects(): readonly EndpointSliceObject[] {
    return this.endpointSlices.list() as readonly EndpointSliceObject[];
  }

  zoneConfigMaps(): ConfigMapObject[] {
    return (this.configMaps.list() as unknown as ConfigMapObject[]).filter(
      (cm) => cm.metadata.labels?.[DOCUMENT_LABEL] === ZONE_DOCUMENT,
    );
  }

  healthConfigMap(): ConfigMapObject | undefined {
    return this.configMaps.list().find((cm) => cm.metadata?.name === HEALTH_CONFIGMAP) as ConfigMapObject | undefined;
  }

  publishedHealth(): HealthTable | undefined {
    const text = this.healthConfigMap()?.data?.[HEALTH_KEY];
    if (!text) return undefined;
    try {
      const table = JSON.parse(text) as HealthTable;
      return table.format === HEALTH_FORMAT && typeof table.targets === 'object' ? table : undefined;
    } catch {
      return undefined; // not ours to fix: the next write replaces it
    }
  }

  published(): Record<string, PublishedZone> {
    return publishedZones(this.zoneConfigMaps());
  }
}
