// Which targets a cluster publishes to its peers, and which of the peers' targets it takes. Pure.
//
// Published: each target of a GeoEndpoint in the zone that names a Service (not by ClusterIP) this cluster has,
// with the Service's addresses and its readiness. Never a target learnt from a peer: documents carry only what
// the cluster itself sees.
//
// Taken: a peer's target is used only where this cluster has the same GeoEndpoint, in a GeoZone of the document's
// apex, with a target of that name referring to the same Service, and that Service does not exist here, nor is
// imported here through the Multi-Cluster Services API (then MCS gives it: operator/inputs/service-imports.ts). A peer
// claiming a Service this cluster has is rejected (claims_local): nothing a peer sends removes or overrides a
// local target. Among peers publishing the same target, a fresh one wins over a stale one, then the first by name.
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { GeoZone } from '../../api/geozone.ts';
import { normaliseAddresses } from '../compile/addresses.ts';
import { referringTargets, targetId, targetRef, type PeerTargetInfo, type ServiceInfo } from '../compile/index.ts';
import { canonicalZone, type PeerDocument, type PeerTarget } from './protocol.ts';

export interface LocalView {
  zones: readonly GeoZone[];
  endpoints: readonly GeoEndpoint[];
  services: readonly ServiceInfo[];
  /** The Services the cluster set imports here through the Multi-Cluster Services API (ServiceImport). */
  serviceImports?: readonly { namespace: string; name: string }[];
}

/** What this cluster knows of one peer for one zone. */
export interface PeerState {
  peer: string;
  /** The zone apex, canonical. */
  zone: string;
  /** The last document taken. */
  document?: PeerDocument;
  /** When it was taken (epoch ms). */
  heardAtMs?: number;
  /** Unheard for longer than this: stale. */
  timeoutMs: number;
}

export function isStale(state: PeerState, nowMs: number): boolean {
  return state.heardAtMs === undefined || nowMs - state.heardAtMs > state.timeoutMs;
}

const serviceKey = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

/** The local Service-backed targets of the GeoEndpoints in the GeoZone(s) of `apex`; `down` says which are not
 *  ready (target id → why). */
export function localTargets(view: LocalView, apex: string, down: ReadonlyMap<string, string>): PeerTarget[] {
  const zone = canonicalZone(apex);
  const zoneNames = new Set(view.zones.filter((z) => canonicalZone(z.spec.apex) === zone).map((z) => z.metadata.name));
  const services = new Map(view.services.map((s) => [serviceKey(s), s]));
  const out: PeerTarget[] = [];
  const inZone = view.endpoints.filter((e) => zoneNames.has(e.spec.zoneRef.name));
  for (const { endpoint, namespace, target, ref, id } of referringTargets(inZone)) {
    if (ref.kind !== 'Service' || target.service?.useClusterIP) continue;
    const service = services.get(serviceKey(ref));
    if (!service) continue;
    const addresses = normaliseAddresses(service.addresses).addresses.map((a) => a.text);
    if (addresses.length === 0) continue;
    out.push({
      namespace,
      endpoint: endpoint.metadata.name,
      target: target.name,
      service: { namespace: ref.namespace, name: ref.name },
      addresses,
      ready: !down.has(id),
    });
  }
  return out.sort((a, b) => (targetIdOf(a) < targetIdOf(b) ? -1 : 1));
}

const targetIdOf = (t: PeerTarget): string => targetId(t.namespace, t.endpoint, t.target);

/** Why a peer's target is not taken; undefined: it is usable. `ignored` entries are not this cluster's business
 *  (no such GeoEndpoint or target here: the resources may be mid-sync), `claims_local` ones are counted. */
type Verdict = { kind: 'usable' } | { kind: 'ignored' } | { kind: 'claims_local'; message: string };

function judge(view: LocalView, zone: string, target: PeerTarget): Verdict {
  const endpoint = view.endpoints.find(
    (e) => (e.metadata.namespace ?? 'default') === target.namespace && e.metadata.name === target.endpoint,
  );
  if (!endpoint) return { kind: 'ignored' };
  const gz = view.zones.find((z) => z.metadata.name === endpoint.spec.zoneRef.name);
  if (!gz || canonicalZone(gz.spec.apex) !== zone) return { kind: 'ignored' };
  const spec = endpoint.spec.targets.find((t) => t.name === target.target);
  const ref = spec ? targetRef(target.namespace, spec) : undefined;
  if (!spec || ref?.kind !== 'Service' || spec.service?.useClusterIP) return { kind: 'ignored' };
  if (serviceKey(ref) !== serviceKey(target.service)) return { kind: 'ignored' };
  if (view.services.some((s) => serviceKey(s) === serviceKey(ref))) {
    return {
      kind: 'claims_local',
      message: `target ${targetIdOf(target)}: Service ${serviceKey(ref)} exists in this cluster; its own view wins`,
    };
  }
  // Imported through MCS: the cluster set's registry gives it here, not the peer (which publishes it rightly).
  if (view.serviceImports?.some((s) => serviceKey(s) === serviceKey(ref))) return { kind: 'ignored' };
  return { kind: 'usable' };
}

/** The targets of a received document that claim a Service this cluster has (rejected, counted, logged). */
export function localClaims(view: LocalView, document: PeerDocument): string[] {
  const out: string[] = [];
  for (const target of document.targets) {
    const verdict = judge(view, document.zone, target);
    if (verdict.kind === 'claims_local') out.push(verdict.message);
  }
  return out;
}

export interface RemoteTargets {
  /** For compile: the targets whose Service lives in a peer. */
  targets: PeerTargetInfo[];
  /** Target id → why it is down, for the remote targets their peer says are not ready. */
  down: Map<string, string>;
}

/** The peers' targets this cluster serves, and their readiness (a stale peer's as last heard). */
export function remoteTargets(view: LocalView, states: readonly PeerState[], nowMs: number): RemoteTargets {
  const chosen = new Map<string, { state: PeerState; stale: boolean; target: PeerTarget }>();
  for (const state of states) {
    const document = state.document;
    if (!document) continue;
    const stale = isStale(state, nowMs);
    for (const target of document.targets) {
      if (judge(view, document.zone, target).kind !== 'usable') continue;
      const id = targetIdOf(target);
      const before = chosen.get(id);
      const better = !before || (before.stale && !stale) || (before.stale === stale && state.peer < before.state.peer);
      if (better) chosen.set(id, { state, stale, target });
    }
  }
  const targets: PeerTargetInfo[] = [];
  const down = new Map<string, string>();
  for (const [id, { state, stale, target }] of [...chosen].sort(([a], [b]) => (a < b ? -1 : 1))) {
    targets.push({ id, peer: state.peer, service: target.service, addresses: target.addresses });
    if (!target.ready) {
      down.set(
        id,
        `Peer ${state.peer}: Service ${serviceKey(target.service)} has no ready endpoints${stale ? ' (as last heard)' : ''}`,
      );
    }
  }
  return { targets, down };
}

/** What the zones already published serve (a new leader's starting point): target id → addresses, and the ids the
 *  published health table has down. */
export interface Published {
  addresses: ReadonlyMap<string, readonly string[]>;
  down: ReadonlySet<string>;
}

/** How a target kept from the published zone is named in status (the peer that sent it is not recorded there). */
export const LAST_PUBLISHED = 'not heard yet, as last published';

/**
 * For the zones (apexes) with a peer this leader has not heard from yet: the Service targets that no peer gave and
 * whose Service is neither here nor imported through MCS, with the addresses and health the published zone gives them. A new leader (a restart,
 * a failover between replicas) during a partition so keeps serving what the last leader served, instead of taking
 * those targets out until the peer answers; once every peer of the zone has answered, a target none of them gives
 * is gone.
 */
export function lastPublished(
  view: LocalView,
  unheard: ReadonlySet<string>,
  published: Published,
  taken: RemoteTargets,
): RemoteTargets {
  const zoneNames = new Set(
    view.zones.filter((z) => unheard.has(canonicalZone(z.spec.apex))).map((z) => z.metadata.name),
  );
  const local = new Set([...view.services, ...(view.serviceImports ?? [])].map(serviceKey));
  const have = new Set(taken.targets.map((t) => t.id));
  const targets: PeerTargetInfo[] = [];
  const down = new Map<string, string>();
  const inZone = view.endpoints.filter((e) => zoneNames.has(e.spec.zoneRef.name));
  for (const { target, ref, id } of referringTargets(inZone)) {
    if (ref.kind !== 'Service' || target.service?.useClusterIP || local.has(serviceKey(ref))) continue;
    const addresses = published.addresses.get(id);
    if (have.has(id) || !addresses || addresses.length === 0) continue;
    const service = { namespace: ref.namespace, name: ref.name };
    targets.push({ id, peer: LAST_PUBLISHED, service, addresses: [...addresses] });
    if (published.down.has(id)) down.set(id, `Service ${serviceKey(service)}: down as last published`);
  }
  return {
    targets: [...taken.targets, ...targets].sort((a, b) => (a.id < b.id ? -1 : 1)),
    down: new Map([...taken.down, ...down]),
  };
}
