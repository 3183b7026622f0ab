// The operator: the cluster input (informer caches) + the pipeline + the cluster outputs (one ConfigMap per zone,
// the health ConfigMap, status and Events). Nothing is written before every cache has synced; with leader
// election only the leader runs the pipeline (writes and probes), standbys keep their caches warm, and every write
// checks the leadership right before it goes out. Everything the leader does on its own time runs on one set of
// work-queue lanes (queue/lanes.ts): caches and probes → pipeline → zones, health, status (derived again after
// each change, then written per object), the serving check and the resolution of Service targets' load-balancer
// hostnames, each a key put back when it must wait. With peers (another cluster serving the same zone), each
// peer's poll is a key of the `peers` lane and a listener answers the peers' polls (operator/peers/); told its own
// Pod, the operator keeps PEER_LEADER_LABEL on it while it leads (a lane of its own that lives as long as the process),
// so that the chart's peer Service routes to the leader alone.
import type { KubeConfig } from './kube/api.ts';
import type { Logger } from 'pino';
import type { CompiledZone } from '../api/compiled.ts';
import type { HealthTable } from '../api/health.ts';
import type { CompileOutput } from './compile/index.ts';
import { ClusterInput } from './inputs/cluster.ts';
import type { ResolvePolicy } from './resolve/decide.ts';
import { HostnameResolver } from './resolve/hostnames.ts';
import { DnsLookup, type HostnameLookup } from './resolve/lookup.ts';
import { parseServer, type DnsServer } from './dns/ask.ts';
import { Resolver } from 'node:dns/promises';
import { publishedKeyTags, publishedPeerKeys, publishedTargets } from './resolve/published.ts';
import { CoordinationV1Api, KubeApi, leaseWatch } from './kube/api.ts';
import { DEFAULT_LEASE_NAME, defaultIdentity, LeaderElector } from './kube/leader.ts';
import { LeaderPodLabel, type PodRef } from './kube/leader-label.ts';
import { OperatorCaches } from './kube/caches.ts';
import type { OperatorMetrics } from './observability/metrics.ts';
import { Pipeline, type PipelineOutput } from './pipeline.ts';
import { HealthPublisher } from './publish/health.ts';
import { ApiError, type ClusterWriter, type ObjectRef, type SecretWriter } from './cluster-writer.ts';
import { DnssecKeeper } from './dnssec/keeper.ts';
import { SIGNED_TTL_CAP_SECONDS } from '../lib/dnssec/types.ts';
import type { Dnssec } from '../api/geozone.ts';
import { Lanes } from './queue/lanes.ts';
import { queueMetrics } from './queue/metrics.ts';
import type { HandlerResult, WorkQueue } from './queue/work-queue.ts';
import { ZonePublisher, type ZonePublishResult } from './publish/zones.ts';
import {
  desiredStatus,
  namesWithoutHealthyTarget,
  routedBySource,
  type StatusBody,
  type ZonePublishState,
} from './status/desired.ts';
import { StatusWriter } from './status/writer.ts';
import { countKeyServing, countServing, dnskeyTagsOf, dnsServersOf, type ServingCount } from './status/serving.ts';
import type { RawObject } from './inputs/cluster-snapshot.ts';
import { PEERING_DISABLED } from './peers/condition.ts';
import { canonicalZone } from './peers/protocol.ts';
import { PeerExchange, type PeerAnswer, type PeerReport } from './peers/exchange.ts';
import { startPeerServer, type PeerServer } from './peers/server.ts';

export interface LeaderElectionOptions {
  /** Lease name (default geodns-operator), in the operator's namespace. */
  name?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface PeerOptions {
  /** This cluster's name, as the other clusters' GeoZones list it in spec.peers. */
  cluster: string;
  /** Where this cluster's documents are served to its peers (none: not served; port 0: any free port). */
  listen?: { host: string; port: number };
  /** How often each peer is polled (default 5 s; failures back off to 15 s). */
  intervalMs?: number;
}

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** Where the zone and health ConfigMaps are written. */
  namespace: string;
  log: Logger;
  metrics: OperatorMetrics;
  /** Least time between two health writes; the changes within it become one write (default 50 ms). */
  healthCoalesceMs?: number;
  /** The most bytes a zone may take in its ConfigMap (default: what fits the API's 1 MiB object limit). */
  zoneLimitBytes?: number;
  /** The DNS pods' Service in the operator's namespace, asked for each zone's SOA (default geodns-dns). */
  dnsService?: string;
  /** How often the DNS pods are asked which serial they serve (default 5 s; also shortly after each write). */
  servingIntervalMs?: number;
  /** Elect a leader on a Lease; without it this operator always leads. */
  leaderElection?: LeaderElectionOptions;
  /** Where Service targets' load-balancer hostnames are resolved ("HOST", "HOST:PORT"; default the system's). */
  resolvers?: readonly string[];
  /** When hostnames are resolved again and how long the last good addresses are kept (tests shorten them). */
  resolvePolicy?: Partial<ResolvePolicy>;
  /** How long after its creation a Service without an EndpointSlice is pending, not unready (tests shorten it). */
  sliceGraceMs?: number;
  /** How often a kind the cluster does not serve (the Gateway API's) is looked for again (default 30 s). */
  kindRecheckMs?: number;
  /** Share Service targets with the other clusters of each GeoZone's spec.peers (docs/multi-cluster.md). */
  peers?: PeerOptions;
  /** How often the DNSSEC key Secrets are got again for changes made by hand (default 30 s; tests shorten it). */
  dnssecRecheckMs?: number;
  /** Ask for each signed zone's DS at the parent (spec.dnssec.parent.servers, or else `resolvers`, or else the
   *  system's resolvers). Off unless set: cli/run-operator.ts sets it; a test does where it runs a parent. */
  checkParentDs?: boolean;
  /** This operator's own Pod (POD_NAME, POD_NAMESPACE): with a peer listener, it carries PEER_LEADER_LABEL while
   *  this operator leads. Without it nothing is labelled. */
  pod?: PodRef;
}

/** The part of the operator that only the leader runs. */
interface Leading {
  lanes: Lanes;
  pipeline: Pipeline;
  zones: ZonePublisher;
  health: HealthPublisher;
  status: StatusWriter;
  /** Derives every object's desired status again (key REFRESH). */
  refresh: WorkQueue;
  hostnames: HostnameResolver;
  dnssec: DnssecKeeper;
  peers: PeerExchange | undefined;
  offConfigMaps: () => void;
}

/** Writes refused the moment this process stops leading (ApiError 0: not sent). */
function gated(writer: ClusterWriter, leads: () => boolean): ClusterWriter {
  const check = (): void => {
    if (!leads()) throw new ApiError(0, 'not the leader: write not sent');
  };
  return {
    createConfigMap: async (cm) => (check(), writer.createConfigMap(cm)),
    replaceConfigMap: async (cm) => (check(), writer.replaceConfigMap(cm)),
    readConfigMap: (namespace, name) => writer.readConfigMap(namespace, name),
    deleteConfigMap: async (namespace, name) => (check(), writer.deleteConfigMap(namespace, name)),
    patchStatus: async (ref, status) => (check(), writer.patchStatus(ref, status)),
    createEvent: async (namespace, event) => (check(), writer.createEvent(namespace, event)),
  };
}

/** Secret writes refused the moment this process stops leading; reads go through. */
function gatedSecrets(secrets: SecretWriter, leads: () => boolean): SecretWriter {
  const check = (): void => {
    if (!leads()) throw new ApiError(0, 'not the leader: write not sent');
  };
  return {
    readSecret: (namespace, name) => secrets.readSecret(namespace, name),
    createSecret: async (secret) => (check(), secrets.createSecret(secret)),
    replaceSecret: async (secret) => (check(), secrets.replaceSecret(secret)),
  };
}

/** Where Events about cluster-scoped objects (GeoZones) go: the API server accepts an events.k8s.io Event whose
 *  `regarding` has no namespace only in `default` or `kube-system` (as Node events live in `default`). */
const CLUSTER_EVENT_NAMESPACE = 'default';

/** Least time between two pipeline runs: a thousand GeoEndpoints applied make tens of compiles, not hundreds. */
const MIN_RUN_INTERVAL_MS = 100;

/** How long a health change waits for others before status is derived again (status writes wait longer still). */
const HEALTH_REFRESH_MS = 100;

/** How soon after a zone write the DNS pods are asked for its serial. */
const SERVING_AFTER_WRITE_MS = 300;

const REFRESH = 'refresh';
const CHECK = 'check';
const LABEL = 'label';

export class Operator {
  readonly #options: OperatorOptions;
  readonly caches: OperatorCaches;
  readonly #writer: ClusterWriter;
  readonly #secrets: SecretWriter;
  readonly #elector: LeaderElector | undefined;
  readonly #lookup: HostnameLookup;
  readonly #publishState = new Map<string, ZonePublishState>();
  readonly #serving = new Map<string, ServingCount>();
  /** Per GeoZone of a signed zone: how many DNS pods publish its current DNSSEC key set. */
  readonly #keyServing = new Map<string, ServingCount & { keyTags: readonly number[] }>();
  #leading: Leading | undefined;
  #compiled: CompileOutput | undefined;
  #table: HealthTable | undefined;
  #stopped = false;
  #peerServer: PeerServer | undefined;
  #publishedPeerTargets: { key: string; targets: ReadonlyMap<string, readonly string[]> } | undefined;
  /** The leader's label on its own Pod, on lanes that outlive each term of leadership. */
  readonly #label: { label: LeaderPodLabel; lanes: Lanes; lane: WorkQueue } | undefined;

  constructor(options: OperatorOptions) {
    this.#options = options;
    const { kubeConfig, namespace, log, metrics } = options;
    this.#lookup = new DnsLookup(options.resolvers);
    this.caches = new OperatorCaches({
      kubeConfig,
      namespace,
      log,
      onError: () => metrics.apiErrors.inc({ verb: 'watch' }),
      ...(options.kindRecheckMs !== undefined ? { kindRecheckMs: options.kindRecheckMs } : {}),
    });
    const election = options.leaderElection;
    this.#elector = election
      ? new LeaderElector({
          api: kubeConfig.makeApiClient(CoordinationV1Api),
          watch: leaseWatch(kubeConfig),
          namespace,
          name: election.name ?? DEFAULT_LEASE_NAME,
          identity: election.identity ?? defaultIdentity(),
          ...(election.leaseDurationMs !== undefined ? { leaseDurationMs: election.leaseDurationMs } : {}),
          ...(election.renewDeadlineMs !== undefined ? { renewDeadlineMs: election.renewDeadlineMs } : {}),
          ...(election.retryPeriodMs !== undefined ? { retryPeriodMs: election.retryPeriodMs } : {}),
          log,
          onStartedLeading: () => void this.#startLeading(),
          onStoppedLeading: () => void this.#stopLeading(),
          onNewLeader: (holder) => log.info({ holder }, 'leader elected'),
        })
      : undefined;
    const api = new KubeApi(kubeConfig, { onError: (verb) => metrics.apiErrors.inc({ verb }) });
    this.#writer = this.#elector ? gated(api, () => this.#elector?.isLeader() === true) : api;
    this.#secrets = this.#elector ? gatedSecrets(api, () => this.#elector?.isLeader() === true) : api;
    if (options.pod && options.peers?.listen) {
      const label = new LeaderPodLabel({ kubeConfig, pod: options.pod, log });
      const lanes = new Lanes({ metrics: (lane) => queueMetrics(metrics.registry, lane) });
      // A failed write throws: the lane retries it with its backoff until the label matches the leadership.
      const lane = lanes.lane('leader-label', () => label.sync(this.isLeader));
      this.#label = { label, lanes, lane };
    }
  }

  /** Starts the caches and waits until every one has synced; then leads (at once, or once elected). */
  async start(): Promise<void> {
    const { log, metrics } = this.#options;
    const listen = this.#options.peers?.listen;
    // A label left by a leader that crashed in this Pod goes before anything else.
    this.#label?.lane.add(LABEL);
    if (listen) {
      this.#peerServer = await startPeerServer({
        ...listen,
        log,
        answer: (apex, header) => this.#answerPeer(apex, header),
      });
    }
    await this.caches.start();
    metrics.cachesSynced.set(1);
    log.info('caches synced');
    if (this.#stopped) return;
    if (this.#elector) this.#elector.start();
    else await this.#startLeading();
  }

  /** Where the peer listener listens (undefined: it does not). */
  get peerAddress(): { address: string; port: number } | undefined {
    return this.#peerServer?.address;
  }

  get synced(): boolean {
    return this.caches.hasSynced;
  }

  get isLeader(): boolean {
    return this.#leading !== undefined && (this.#elector?.isLeader() ?? true);
  }

  /** Resolves once nothing is due (tests): no run, refresh, write or check queued, going or in a coalescing window;
   *  writes held back by their throttle and the periodic serving check may still wait. */
  async settled(): Promise<void> {
    const leading = this.#leading;
    if (!leading) return;
    await leading.lanes.idle();
  }

  /** Stops leading (the Lease is released, the Pod's label removed), then the caches. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#stopLeading();
    await this.#elector?.stop();
    if (this.#label) {
      // Its lane hands out nothing more once shut down: one last try, so that the Service leaves this Pod now.
      await this.#label.lanes.shutDown();
      await this.#label.label.sync(false).catch(() => undefined);
    }
    await this.#peerServer?.close();
    await this.caches.stop();
  }

  async #startLeading(): Promise<void> {
    if (this.#leading || this.#stopped) return;
    const { namespace, log, metrics } = this.#options;
    metrics.leader.set(1);
    log.info('leading: publishing and probing');
    const writer = this.#writer;
    const lanes = new Lanes({ metrics: (lane) => queueMetrics(metrics.registry, lane) });
    const refresh = lanes.lane(REFRESH, () => this.#refreshStatus());
    const servingIntervalMs = this.#options.servingIntervalMs ?? 5000;
    // Asks the DNS pods which serial they serve: every servingIntervalMs, and shortly after each zone write.
    const serving = lanes.lane('serving', async (): Promise<HandlerResult> => {
      await this.#checkServing();
      return { requeueAfterMs: servingIntervalMs };
    });
    const zones = new ZonePublisher({
      writer,
      lanes,
      namespace,
      log,
      existing: () => this.caches.zoneConfigMaps(),
      zoneUid: (name) => this.caches.geoZones.get(name)?.metadata?.uid,
      onWrite: (verb) => metrics.writes.inc({ kind: 'zone_configmap', verb }),
      onResult: (zone, result) => {
        this.#published(zone, result);
        if (result.kind === 'written') serving.addAfter(CHECK, SERVING_AFTER_WRITE_MS);
      },
      ...(this.#options.zoneLimitBytes !== undefined ? { limitBytes: this.#options.zoneLimitBytes } : {}),
    });
    const health = new HealthPublisher({
      writer,
      lanes,
      namespace,
      log,
      existing: () => this.caches.healthConfigMap(),
      ...(this.#options.healthCoalesceMs !== undefined ? { coalesceMs: this.#options.healthCoalesceMs } : {}),
      onWrite: (verb) => metrics.writes.inc({ kind: 'health_configmap', verb }),
    });
    const status = new StatusWriter({
      writer,
      lanes,
      log,
      eventNamespace: CLUSTER_EVENT_NAMESPACE,
      current: (ref) => this.#current(ref),
      onWrite: (kind) => metrics.writes.inc({ kind, verb: kind === 'status' ? 'patch' : 'create' }),
    });
    const dnssec = new DnssecKeeper({
      secrets: this.#secrets,
      writer,
      eventNamespace: CLUSTER_EVENT_NAMESPACE,
      lanes,
      namespace,
      log,
      zones: () =>
        (this.#compiled?.zones ?? []).map((zone) => {
          const object = this.caches.geoZones.get(zone.source) as RawObject | undefined;
          const spec = object?.spec as { dnssec?: Dnssec } | undefined;
          const metadata = object?.metadata as { uid?: string; annotations?: Record<string, string> } | undefined;
          const uid = metadata?.uid;
          // The key set every ready DNS pod answered at the last check (with none, nothing to wait for).
          const served = this.#keyServing.get(zone.source);
          return {
            source: zone.source,
            apex: zone.zone,
            dnssec: spec?.dnssec,
            ...(uid ? { uid } : {}),
            ...(metadata?.annotations ? { annotations: metadata.annotations } : {}),
            dnskeyTtl: Math.min(zone.soa.ttl, SIGNED_TTL_CAP_SECONDS),
            ...(served && served.current === served.total ? { servedKeyTags: served.keyTags } : {}),
          };
        }),
      onChange: () => this.#scheduleRefresh(),
      published: () => publishedKeyTags(this.caches.zoneConfigMaps()),
      onSignedChange: () => this.#leading?.pipeline.rerun(),
      ...(this.#options.dnssecRecheckMs !== undefined ? { recheckMs: this.#options.dnssecRecheckMs } : {}),
      ...(this.#options.checkParentDs ? { parentResolvers: resolversOf(this.#options.resolvers) } : {}),
      peerKeys: (apex) => peers?.peerKeys()[apex] ?? [],
      peersPublishing: (apex) => peers?.peersPublishing(apex) ?? [],
    });
    const output: PipelineOutput = {
      setZones: (compiled) => this.#setZones(compiled),
      setHealth: (table) => {
        this.#table = table;
        health.setHealth(table);
        this.#scheduleRefresh(HEALTH_REFRESH_MS);
      },
      compiled: (compiled) => {
        this.#compiled = compiled;
        this.#scheduleRefresh();
        dnssec.wake();
      },
    };
    const hostnames = new HostnameResolver({
      lookup: this.#lookup,
      lanes,
      log,
      onResolved: (result) => metrics.hostnameResolutions.inc({ result }),
      ...(this.#options.resolvePolicy ? { policy: this.#options.resolvePolicy } : {}),
    });
    const peerOptions = this.#options.peers;
    let peers: PeerExchange | undefined;
    const input = new ClusterInput(this.caches, {
      hostnames,
      publishedTargets: () => publishedTargets(this.caches.zoneConfigMaps()),
      ...(this.#options.sliceGraceMs !== undefined ? { sliceGraceMs: this.#options.sliceGraceMs } : {}),
      ...(peerOptions
        ? {
            peers: {
              zones: (zones) => peers?.setZones(zones),
              remote: (view) => peers?.remote(view) ?? { targets: [], down: new Map() },
              serials: (own) => peers?.serials(own) ?? own,
            },
          }
        : {}),
    });
    if (peerOptions) {
      peers = new PeerExchange({
        cluster: peerOptions.cluster,
        lanes,
        log,
        readSecret: async (name) => (await this.#secrets.readSecret(namespace, name))?.data,
        local: () => input.local(),
        onTargetsChange: () => input.peersChanged(),
        onHealthChange: () => input.peerHealthChanged(),
        onReportsChange: () => this.#scheduleRefresh(),
        onRejected: (peer, reason) => metrics.peerRejected.inc({ peer, reason }),
        publishedSerial: (apex) =>
          Object.entries(this.caches.published()).find(([zone]) => canonicalZone(zone) === apex)?.[1],
        dnskeys: (apex) => dnssec.publicKeys(apex),
        dnskeyTags: (apex) => {
          const signed = this.#compiled?.zones.find((zone) => zone.zone === apex)?.dnssec;
          return signed ? dnskeyTagsOf(signed) : undefined;
        },
        publishedKeys: () => publishedPeerKeys(this.caches.zoneConfigMaps()),
        published: () => ({
          addresses: this.#publishedTargets(),
          down: new Set(
            Object.entries(this.caches.publishedHealth()?.targets ?? {}).flatMap(([id, h]) => (h.up ? [] : [id])),
          ),
        }),
        ...(peerOptions.intervalMs !== undefined ? { intervalMs: peerOptions.intervalMs } : {}),
      });
      const exchange = peers;
      metrics.peerAges = () => exchange.ages();
    }
    const pipeline = new Pipeline({
      input,
      output,
      log,
      requireZones: false,
      minRunIntervalMs: MIN_RUN_INTERVAL_MS,
      lanes,
      signed: () => dnssec.signedZones(),
      // Multi-signer: the peers' keys each signed zone publishes beside its own (docs/dnssec.md, "Several clusters").
      publishedKeys: () =>
        Object.fromEntries(
          Object.entries(peers?.peerKeys() ?? {}).map(([apex, keys]) => [apex, dnssec.foreignKeys(apex, keys)]),
        ),
      onRun: (result, seconds) => {
        metrics.reconciles.inc({ result });
        metrics.reconcileSeconds.observe(seconds);
      },
      onDownChange: () => metrics.healthUpdates.inc(),
    });
    pipeline.prober.onResult((event) => {
      metrics.probeResults.inc({ result: event.result.ok ? 'success' : event.result.noRoute ? 'no_route' : 'failure' });
      metrics.probeSeconds.observe(event.result.latencyMs / 1000);
      metrics.setProbeFamilies(pipeline.prober.families());
    });
    // Someone else may edit or delete the operator's ConfigMaps: publishing compares again.
    const offConfigMaps = this.caches.onConfigMapChange(() => {
      if (this.#compiled) this.#setZones(this.#compiled.zones);
      if (this.#table) health.setHealth(this.#table);
    });
    serving.addAfter(CHECK, servingIntervalMs);
    this.#leading = { lanes, pipeline, zones, health, status, refresh, hostnames, dnssec, peers, offConfigMaps };
    this.#label?.lane.add(LABEL);
    try {
      await pipeline.start();
    } catch (error) {
      log.error({ err: error }, 'the first reconcile failed; following changes all the same');
    }
  }

  async #stopLeading(): Promise<void> {
    const leading = this.#leading;
    if (!leading) return;
    this.#leading = undefined;
    this.#label?.lane.add(LABEL);
    this.#options.metrics.leader.set(0);
    this.#options.metrics.probeFamilyReachable.reset();
    this.#options.metrics.peerAges = undefined;
    this.#options.log.info('no longer leading: stopped publishing and probing');
    leading.offConfigMaps();
    leading.hostnames.close();
    // The drain: what is in flight finishes (a write refused once leadership is gone fails as not sent).
    await Promise.all([leading.pipeline.close(), leading.lanes.shutDown()]);
  }

  /** publishedTargets() of the zone ConfigMaps, parsed again only when one of them changed. */
  #publishedTargets(): ReadonlyMap<string, readonly string[]> {
    const configMaps = this.caches.zoneConfigMaps();
    const key = configMaps.map((cm) => `${cm.metadata.name}@${cm.metadata.resourceVersion ?? ''}`).join(' ');
    if (this.#publishedPeerTargets?.key !== key)
      this.#publishedPeerTargets = { key, targets: publishedTargets(configMaps) };
    return this.#publishedPeerTargets.targets;
  }

  /** What the GeoZone's PeersReachable condition is made of: its peers' polls, or PEERING_DISABLED when it lists
   *  peers and this operator shares nothing (no --cluster-name). */
  #peerReports(leading: Leading, zone: string): readonly PeerReport[] | typeof PEERING_DISABLED | undefined {
    if (leading.peers) return leading.peers.reports(zone);
    const spec = (this.caches.geoZones.get(zone) as { spec?: { peers?: unknown[] } } | undefined)?.spec;
    return (spec?.peers?.length ?? 0) > 0 ? PEERING_DISABLED : undefined;
  }

  /** A peer's request for this cluster's document of a zone: the leader answers, a standby says 503. */
  async #answerPeer(apex: string, header: (name: string) => string | undefined): Promise<PeerAnswer> {
    const peers = this.#leading?.peers;
    if (!peers || !this.isLeader) {
      return { status: 503, headers: {}, body: Buffer.from('not the leader: ask again') };
    }
    return peers.answer(apex, header);
  }

  #setZones(zones: CompiledZone[]): void {
    const leading = this.#leading;
    if (!leading) return;
    leading.zones.setZones(zones);
    for (const zone of zones) this.#options.metrics.zoneSerial.set({ zone: zone.zone }, zone.serial);
    // A zone ConfigMap whose GeoZone is gone is deleted now, not only when garbage collection gets to it.
    const served = new Set(zones.map((z) => z.source));
    for (const cm of this.caches.zoneConfigMaps()) {
      const owner = cm.metadata.ownerReferences?.find((o) => o.kind === 'GeoZone')?.name;
      if (owner && !served.has(owner) && !this.caches.geoZones.get(owner)) leading.zones.forget(owner);
    }
  }
  /** Asks every ready DNS pod which serial (and, for a signed zone, which keys) it serves; status follows. */
  async #checkServing(): Promise<void> {
    const compiled = this.#compiled;
    if (!compiled) return;
    const servers = dnsServersOf(
      this.caches.endpointSlices.list() as Parameters<typeof dnsServersOf>[0],
      this.#options.namespace,
      this.#options.dnsService ?? 'geodns-dns',
    );
    let changed = false;
    for (const zone of compiled.zones) {
      const count = await countServing(servers, zone.zone, zone.serial, 500);
      const before = this.#serving.get(zone.source);
      if (before?.current !== count.current || before.total !== count.total) changed = true;
      this.#serving.set(zone.source, count);
      this.#options.metrics.zoneServers.set({ zone: zone.zone, state: 'current' }, count.current);
      this.#options.metrics.zoneServers.set({ zone: zone.zone, state: 'stale' }, count.total - count.current);
      if (!zone.dnssec) {
        if (this.#keyServing.delete(zone.source)) changed = true;
        continue;
      }
      const keys = await countKeyServing(servers, zone.zone, dnskeyTagsOf(zone.dnssec), 500);
      const keysBefore = this.#keyServing.get(zone.source);
      if (
        keysBefore?.current !== keys.current ||
        keysBefore.total !== keys.total ||
        keysBefore.keyTags.join() !== zone.dnssec.keyTags.join()
      ) {
        changed = true;
      }
      this.#keyServing.set(zone.source, { ...keys, keyTags: zone.dnssec.keyTags });
    }
    if (changed) {
      this.#scheduleRefresh();
      this.#leading?.dnssec.wake(); // a key roll may wait for the pods
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
    if (JSON.stringify(before ?? {}) !== JSON.stringify(state)) this.#scheduleRefresh();
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

  /** A refresh after the current turn (a reconcile's health and results, arriving one after the other, make one),
   *  or after `delayMs` at the latest: health changes wait a moment, so that a burst of them makes one refresh. */
  #scheduleRefresh(delayMs = 0): void {
    this.#leading?.refresh.addCoalesced(REFRESH, delayMs);
  }

  #refreshStatus(): void {
    const compiled = this.#compiled;
    const leading = this.#leading;
    if (!compiled || !leading) return;
    const health = this.#table ?? leading.pipeline.healthTable();
    const routed = routedBySource(compiled.zones);
    const families = leading.pipeline.prober.families();
    // Checks removed by a reconcile can change a family's reach without any probe result.
    this.#options.metrics.setProbeFamilies(families);
    this.#options.metrics.setNamesWithoutHealthyTarget(namesWithoutHealthyTarget(compiled.zones, health));
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
      const serving = result.kind === 'GeoZone' ? this.#serving.get(result.name) : undefined;
      const dnssec = result.kind === 'GeoZone' ? leading.dnssec.state(result.name) : undefined;
      const keyServing = result.kind === 'GeoZone' ? this.#keyServing.get(result.name) : undefined;
      const peers = result.kind === 'GeoZone' ? this.#peerReports(leading, result.name) : undefined;
      const probed =
        result.kind === 'HealthProbe'
          ? leading.pipeline.prober.probeStatus(`${result.namespace ?? 'default'}/${result.name}`)
          : undefined;
      const problem =
        result.kind === 'HealthProbe'
          ? leading.pipeline.prober.probeProblem(`${result.namespace ?? 'default'}/${result.name}`)
          : undefined;
      const desired = desiredStatus(result, {
        routed,
        health,
        now,
        families,
        ...(problem !== undefined ? { probeProblem: problem } : {}),
        generation: current.generation,
        ...(publish ? { publish } : {}),
        ...(probed ? { probed } : {}),
        ...(serving ? { serving } : {}),
        ...(dnssec ? { dnssec } : {}),
        ...(keyServing ? { keyServing } : {}),
        ...(peers && peers.length > 0 ? { peers } : {}),
      });
      leading.status.set(ref, desired);
    }
  }
}

/** The resolvers the operator asks (--resolver), or else the system's (/etc/resolv.conf; in a pod, the cluster's
 *  DNS), as servers; an entry that is not an address is left out. */
function resolversOf(configured: readonly string[] | undefined): DnsServer[] {
  const texts = configured && configured.length > 0 ? configured : new Resolver().getServers();
  return texts.flatMap((text) => parseServer(text) ?? []);
}
