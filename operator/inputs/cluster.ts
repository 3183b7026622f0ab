// The cluster input: the informer caches as a snapshot for the pipeline. It reads nothing before every cache has
// synced, so a partial cache can never empty a served zone. EndpointSlices hold nothing a zone holds, only which
// Service targets are down: their changes take the short way (readDown), without a whole read and compile().
// Service targets behind a load balancer that publishes a hostname get the addresses it resolves to (hostnames).
// A Service that has no EndpointSlice yet is pending for a grace after its creation (./slices-pending.ts), and
// readDown() is due again when that grace ends (downRecheckInMs). A Service this cluster lacks may be imported
// through the Multi-Cluster Services API (./service-imports.ts): its imported slices' readiness takes the short way
// too, and their addresses the whole read (the caches report a change of an imported slice as both).
import type { HealthTable } from '../../api/health.ts';
import type { ServiceHostname } from '../compile/index.ts';
import type { LocalView, RemoteTargets } from '../peers/targets.ts';
import type { PublishedZone } from '../publish/zones.ts';
import {
  clusterSnapshot,
  publishedHostnameAddresses,
  downTargets,
  readyServices,
  type ClusterObjects,
  type EndpointSliceObject,
} from './cluster-snapshot.ts';
import { importedDown, importedServices, type ServiceImportObject } from './service-imports.ts';
import { pendingServices, serviceCreationTimes, SLICE_GRACE_MS } from './slices-pending.ts';
import type { ResourceSnapshot } from './snapshot.ts';
import type { InputRead, ResourceInput } from './types.ts';

/** What the input needs of the caches (operator/kube/caches.ts). */
export interface ClusterCaches {
  /** Resolves once every cache holds a complete list. */
  synced(): Promise<void>;
  objects(): ClusterObjects;
  /** The serial and content hash each zone ConfigMap holds, by apex. */
  published(): Record<string, PublishedZone>;
  /** The health table the health ConfigMap holds, if any. */
  publishedHealth(): HealthTable | undefined;
  /** The EndpointSlices alone (objects() lists everything). */
  endpointSliceObjects(): readonly EndpointSliceObject[];
  /** Calls back on any change of the resources or the cluster facts compile() reads. */
  onChange(callback: () => void): () => void;
  /** Calls back on any change of an EndpointSlice (readiness, which compile() does not read). */
  onEndpointsChange(callback: () => void): () => void;
}

/** What the input needs of the hostname resolver (operator/resolve/hostnames.ts). */
export interface ClusterHostnames {
  /** The hostnames needed now; resolves once the new ones have had their first resolution. */
  want(hostnames: readonly string[]): Promise<void>;
  /** What the published zones serve for a hostname not resolved yet, kept if its first resolution fails. */
  seed(hostname: string, addresses: readonly string[]): void;
  report(hostname: string): ServiceHostname;
  /** Calls back when what a hostname serves, or what status says of it, changed. */
  onChange(callback: () => void): () => void;
}

/** What the input needs of the peer exchange (operator/peers/exchange.ts). */
export interface ClusterPeers {
  /** The GeoZones read (their spec.peers): told before remote() at every read. */
  zones(zones: LocalView['zones']): void;
  /** The peers' targets this cluster serves, judged against the resources read. */
  remote(view: LocalView): RemoteTargets;
  /** The serials published here, raised to the peers' where they publish the same content. */
  serials(own: Record<string, PublishedZone>): Record<string, PublishedZone>;
}

export class ClusterInput implements ResourceInput {
  readonly name = 'cluster';
  readonly #caches: ClusterCaches;
  readonly #hostnames: ClusterHostnames | undefined;
  readonly #publishedTargets: (() => ReadonlyMap<string, readonly string[]>) | undefined;
  readonly #now: () => Date;
  readonly #sliceGraceMs: number;
  /** The last read's resources: a readiness change is judged against the GeoEndpoints and Services compiled. */
  #last: LocalView | undefined;
  /** The last readDown's local part (the cluster's own Services), what this cluster publishes to its peers. */
  #localDown: ReadonlyMap<string, string> = new Map();
  readonly #peers: ClusterPeers | undefined;
  readonly #peerWatchers = new Set<() => void>();
  readonly #peerHealthWatchers = new Set<() => void>();
  /** The last read's ServiceImports (MCS): their readiness is judged again from the slices at every readDown. */
  #imports: readonly ServiceImportObject[] = [];
  /** When the last read's Services were created (epoch ms), for the ones still waiting for an EndpointSlice. */
  #created: ReadonlyMap<string, number> = new Map();
  #recheckInMs: number | undefined;

  constructor(
    caches: ClusterCaches,
    options: {
      hostnames?: ClusterHostnames;
      /** Target id → the addresses the published zones serve (a new leader's first resolutions start from them). */
      publishedTargets?: () => ReadonlyMap<string, readonly string[]>;
      now?: () => Date;
      /** How long after its creation a Service without an EndpointSlice is pending (default SLICE_GRACE_MS). */
      sliceGraceMs?: number;
      /** Other clusters' Service targets (spec.peers of the GeoZones). */
      peers?: ClusterPeers;
    } = {},
  ) {
    this.#caches = caches;
    this.#hostnames = options.hostnames;
    this.#publishedTargets = options.publishedTargets;
    this.#now = options.now ?? (() => new Date());
    this.#sliceGraceMs = options.sliceGraceMs ?? SLICE_GRACE_MS;
    this.#peers = options.peers;
  }

  /** What the peers sent changed in what a zone holds (a target's addresses): read() again. */
  peersChanged(): void {
    for (const watcher of this.#peerWatchers) watcher();
  }

  /** What the peers sent changed in readiness alone: readDown() again. */
  peerHealthChanged(): void {
    for (const watcher of this.#peerHealthWatchers) watcher();
  }

  /** The last read's resources and which of this cluster's own targets are down (for its peer documents). */
  local(): { view: LocalView; down: ReadonlyMap<string, string> } | undefined {
    return this.#last ? { view: this.#last, down: this.#localDown } : undefined;
  }

  describe(): string {
    return 'the cluster';
  }

  async read(): Promise<InputRead> {
    await this.#caches.synced();
    const objects = this.#caches.objects();
    const hostnames = this.#hostnames;
    const report = hostnames ? (hostname: string) => hostnames.report(hostname) : undefined;
    let read = clusterSnapshot(objects, this.#now(), report);
    if (hostnames && read.hostnames.some((hostname) => hostnames.report(hostname).pending)) {
      // Hostnames never resolved: their first answer goes into this compile, not one after a zone without them.
      const published = this.#publishedTargets?.();
      if (published) {
        for (const [hostname, addresses] of publishedHostnameAddresses(read.snapshot, published)) {
          hostnames.seed(hostname, addresses);
        }
      }
      await hostnames.want(read.hostnames);
      read = clusterSnapshot(objects, this.#now(), report);
    } else {
      void hostnames?.want(read.hostnames);
    }
    const { invalid } = read;
    const snapshot: ResourceSnapshot = read.snapshot;
    this.#last = snapshot;
    this.#created = serviceCreationTimes(objects.services);
    this.#imports = objects.serviceImports ?? [];
    this.#peers?.zones(snapshot.zones);
    const remote = this.#peers?.remote(snapshot);
    if (remote) snapshot.peerTargets = remote.targets;
    const down = this.#downOf(snapshot, objects.endpointSlices, remote);
    const publishedHealth = this.#caches.publishedHealth();
    return {
      snapshot,
      errors: [],
      invalid,
      down,
      published: this.#peers ? this.#peers.serials(this.#caches.published()) : this.#caches.published(),
      ...(publishedHealth ? { publishedHealth } : {}),
    };
  }

  watch(onChange: () => void): { close(): void } {
    const off = this.#caches.onChange(onChange);
    const offHostnames = this.#hostnames?.onChange(onChange);
    this.#peerWatchers.add(onChange);
    return {
      close: () => {
        off();
        offHostnames?.();
        this.#peerWatchers.delete(onChange);
      },
    };
  }

  readDown(): ReadonlyMap<string, string> | undefined {
    const last = this.#last;
    if (!last) return undefined;
    return this.#downOf(last, this.#caches.endpointSliceObjects(), this.#peers?.remote(last));
  }

  downRecheckInMs(): number | undefined {
    return this.#recheckInMs;
  }

  /** The cluster's own Services' down targets, with the MCS imports' and those its peers say are down (`remote`). */
  #downOf(
    resources: Pick<LocalView, 'endpoints' | 'services'>,
    slices: readonly EndpointSliceObject[],
    remote: RemoteTargets | undefined,
  ): Map<string, string> {
    const pending = pendingServices(this.#created, slices, this.#now().getTime(), this.#sliceGraceMs);
    this.#recheckInMs = pending.nextChangeInMs;
    const local = downTargets(resources.endpoints, resources.services, readyServices(slices), pending.keys);
    this.#localDown = local;
    const localKeys = new Set(resources.services.map((s) => `${s.namespace}/${s.name}`));
    const imported = importedDown(resources.endpoints, localKeys, importedServices(this.#imports, slices));
    return new Map([...local, ...imported, ...(remote?.down ?? [])]);
  }

  watchDown(onChange: () => void): { close(): void } {
    const off = this.#caches.onEndpointsChange(onChange);
    this.#peerHealthWatchers.add(onChange);
    return {
      close: () => {
        off();
        this.#peerHealthWatchers.delete(onChange);
      },
    };
  }
}
