// The cluster input: the informer caches as a snapshot for the pipeline. It reads nothing before every cache has
// synced, so a partial cache can never empty a served zone. EndpointSlices hold nothing a zone holds, only which
// Service targets are down: their changes take the short way (readDown), without a whole read and compile().
// Service targets behind a load balancer that publishes a hostname get the addresses it resolves to (hostnames).
import type { HealthTable } from '../../api/health.ts';
import type { ServiceHostname } from '../compile/index.ts';
import type { PublishedZone } from '../publish/zones.ts';
import {
  clusterSnapshot,
  publishedHostnameAddresses,
  downTargets,
  readyServices,
  type ClusterObjects,
  type EndpointSliceObject,
} from './cluster-snapshot.ts';
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

export class ClusterInput implements ResourceInput {
  readonly name = 'cluster';
  readonly #caches: ClusterCaches;
  readonly #hostnames: ClusterHostnames | undefined;
  readonly #publishedTargets: (() => ReadonlyMap<string, readonly string[]>) | undefined;
  readonly #now: () => Date;
  /** The last read's resources: a readiness change is judged against the GeoEndpoints and Services compiled. */
  #last: Pick<ResourceSnapshot, 'endpoints' | 'services'> | undefined;

  constructor(
    caches: ClusterCaches,
    options: {
      hostnames?: ClusterHostnames;
      /** Target id → the addresses the published zones serve (a new leader's first resolutions start from them). */
      publishedTargets?: () => ReadonlyMap<string, readonly string[]>;
      now?: () => Date;
    } = {},
  ) {
    this.#caches = caches;
    this.#hostnames = options.hostnames;
    this.#publishedTargets = options.publishedTargets;
    this.#now = options.now ?? (() => new Date());
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
    const { snapshot, invalid, down } = read;
    this.#last = snapshot;
    const publishedHealth = this.#caches.publishedHealth();
    return {
      snapshot,
      errors: [],
      invalid,
      down,
      published: this.#caches.published(),
      ...(publishedHealth ? { publishedHealth } : {}),
    };
  }

  watch(onChange: () => void): { close(): void } {
    const off = this.#caches.onChange(onChange);
    const offHostnames = this.#hostnames?.onChange(onChange);
    return {
      close: () => {
        off();
        offHostnames?.();
      },
    };
  }

  readDown(): ReadonlyMap<string, string> | undefined {
    const last = this.#last;
    if (!last) return undefined;
    return downTargets(last.endpoints, last.services, readyServices(this.#caches.endpointSliceObjects()));
  }

  watchDown(onChange: () => void): { close(): void } {
    const off = this.#caches.onEndpointsChange(onChange);
    return { close: off };
  }
}
