// The cluster as a snapshot: objects from the informer caches → the resources compile() takes, the resources that
// are not valid (written before the CRDs' validation existed, or edited around it), which Service targets are
// down for want of ready endpoints (their Service's, or their MCS import's: ./service-imports.ts), and which
// load-balancer hostnames the Service, Ingress and Gateway targets need resolved (their addresses come in through
// `resolved`). Pure: the caches' objects are read, never changed.
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { GeoResource, ResourceKind } from '../../api/kinds.ts';
import { validateResource, type FieldError } from '../../api/validate.ts';
import { condition } from '../compile/conditions.ts';
import {
  permittingGrant,
  referringTargets,
  type LoadBalancerInfo,
  type ReferenceGrantInfo,
  type ResourceResult,
  type ServiceHostname,
  type ServiceInfo,
  type TargetRef,
} from '../compile/index.ts';
import { importedDown, importedServices, type ServiceImportObject } from './service-imports.ts';
import type { ResourceSnapshot } from './snapshot.ts';

/** The parts of Kubernetes objects read here (client-node's types are imported only under lib/kube/). */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  generation?: number;
  creationTimestamp?: unknown;
  deletionTimestamp?: unknown;
}

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ServiceObject {
  metadata?: ObjectMeta;
  spec?: { clusterIP?: string; clusterIPs?: string[]; externalIPs?: string[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** An Ingress (networking.k8s.io/v1): its load balancer's addresses, as a Service's. */
export interface IngressObject {
  metadata?: ObjectMeta;
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** A Gateway (gateway.networking.k8s.io/v1): `type` IPAddress (the default) or Hostname; other types are not read. */
export interface GatewayObject {
  metadata?: ObjectMeta;
  status?: { addresses?: { type?: string; value?: string }[] };
}

/** A ReferenceGrant (gateway.networking.k8s.io/v1beta1). */
export interface ReferenceGrantObject {
  metadata?: ObjectMeta;
  spec?: {
    from?: { group?: string; kind?: string; namespace?: string }[];
    to?: { group?: string; kind?: string; name?: string }[];
  };
}

export interface EndpointSliceObject {
  metadata?: ObjectMeta;
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] | null;
}

export interface ClusterObjects {
  geoZones: readonly RawObject[];
  geoEndpoints: readonly RawObject[];
  healthProbes: readonly RawObject[];
  namespaces: readonly { metadata?: ObjectMeta }[];
  services: readonly ServiceObject[];
  endpointSlices: readonly EndpointSliceObject[];
  ingresses?: readonly IngressObject[];
  gateways?: readonly GatewayObject[];
  referenceGrants?: readonly ReferenceGrantObject[];
  /** The Multi-Cluster Services API's ServiceImports (none where it is not installed). */
  serviceImports?: readonly ServiceImportObject[];
  /** Kinds the API server does not serve (their CRDs are not installed): 'Gateway', 'ReferenceGrant'. */
  missingKinds?: readonly string[];
  /** Kinds the operator may not list (its RBAC predates them). */
  forbiddenKinds?: readonly string[];
}

export interface ClusterSnapshot {
  snapshot: ResourceSnapshot;
  /** Resources left out because they are not valid, each with its Accepted=False condition. */
  invalid: ResourceResult[];
  /** Target id → why it is down, for Service targets whose Service (or MCS import) has no ready endpoint. */
  down: Map<string, string>;
  /** The load-balancer hostnames (entries without an IP) of the Services, Ingresses and Gateways that targets
   *  serve, sorted. */
  hostnames: string[];
}

/** What resolving a load-balancer hostname gave; undefined: nothing resolves hostnames here. */
export type HostnameReports = (hostname: string) => ServiceHostname | undefined;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** What a pending Service target's health says (status reads it: EndpointsPending, not NoReadyEndpoints). */
export const NO_SLICE_YET = 'no EndpointSlice seen yet';

function isDeleting(meta: ObjectMeta | undefined): boolean {
  return meta?.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
}

function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
}

type Validation = { ok: true; resource: GeoResource } | { ok: false; errors: readonly FieldError[] };

/**
 * Each cached object's validation, kept for as long as the informer keeps that object: the informer replaces an
 * object on every change and never changes one, so an object that is still cached has the same verdict (and
 * validating every resource again, CEL rules and all, on every reconcile was most of a reconcile's time).
 */
const validations = new WeakMap<RawObject, Validation>();

function validation(kind: ResourceKind, object: RawObject): Validation {
  const known = validations.get(object);
  if (known) return known;
  // Validation fills in defaults: it works on a copy, so the cached object stays as the informer gave it.
  const { status: _status, ...rest } = structuredClone(object);
  const result = validateResource({ ...rest, apiVersion: rest.apiVersion ?? 'geodns.io/v1alpha1', kind });
  const verdict: Validation = result.ok
    ? { ok: true, resource: result.resource as GeoResource }
    : { ok: false, errors: result.errors };
  validations.set(object, verdict);
  return verdict;
}

function validated<T extends GeoResource>(
  kind: ResourceKind,
  objects: readonly RawObject[],
  invalid: ResourceResult[],
  now: Date,
): T[] {
  const accepted: T[] = [];
  for (const object of objects) {
    if (isDeleting(object.metadata)) continue;
    const result = validation(kind, object);
    if (result.ok) {
      accepted.push(result.resource as T);
      continue;
    }
    const meta = object.metadata ?? {};
    const name = meta.name ?? '';
    invalid.push({
      kind,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      name,
      conditions: [
        condition(
          'Accepted',
          false,
          'InvalidSpec',
          `${describeErrors(result.errors)}; left out, everything else keeps being served`,
          { name, ...(meta.generation !== undefined ? { generation: meta.generation } : {}) },
          now,
        ),
      ],
    });
  }
  return accepted;
}

function unique(values: Iterable<string | undefined>): string[] {
  const out: string[] = [];
  for (const value of values) if (value && !out.includes(value)) out.push(value);
  return out;
}

/** The ingress entries that publish a hostname and no IP (an entry with both is served by its IP). */
export function ingressHostnames(object: ServiceObject | IngressObject): string[] {
  const ingress = object.status?.loadBalancer?.ingress ?? [];
  return unique(ingress.map((i) => (i.ip ? undefined : i.hostname)));
}

/** What resolving each of `hostnames` gave (pending while nothing did). */
function hostnameReports(hostnames: readonly string[], resolved: HostnameReports): ServiceHostname[] {
  return hostnames.map(
    (hostname) => resolved(hostname) ?? { hostname, resolver: 'no resolver', addresses: [], pending: true },
  );
}

/**
 * A Service's addresses as compile() takes them, with what its ingress hostnames resolved to; readiness travels in
 * the health table, not the zone.
 */
export function serviceInfo(
  service: ServiceObject,
  resolved: HostnameReports = () => undefined,
): ServiceInfo | undefined {
  const { name, namespace } = service.metadata ?? {};
  if (!name) return undefined;
  const ingress = service.status?.loadBalancer?.ingress ?? [];
  const clusterIPs = service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []);
  const hostnames = hostnameReports(ingressHostnames(service), resolved);
  return {
    namespace: namespace ?? 'default',
    name,
    addresses: unique([
      ...(service.spec?.externalIPs ?? []),
      ...ingress.map((i) => i.ip),
      ...hostnames.flatMap((h) => h.addresses),
    ]),
    ...(hostnames.length > 0 ? { hostnames } : {}),
    clusterIPs: unique(clusterIPs.filter((ip) => ip !== 'None')),
    ready: true,
  };
}

/** A Gateway's status addresses: IPAddress (or no type) entries are IPs, Hostname entries hostnames. */
export function gatewayAddresses(gateway: GatewayObject): { ips: string[]; hostnames: string[] } {
  const entries = gateway.status?.addresses ?? [];
  const of = (type: string) => unique(entries.map((a) => ((a.type ?? 'IPAddress') === type ? a.value : undefined)));
  return { ips: of('IPAddress'), hostnames: of('Hostname') };
}

/** An Ingress's or a Gateway's addresses as compile() takes them, with what its hostnames resolved to. */
export function loadBalancerInfo(
  kind: 'Ingress' | 'Gateway',
  object: IngressObject | GatewayObject,
  resolved: HostnameReports = () => undefined,
): LoadBalancerInfo | undefined {
  const { name, namespace } = object.metadata ?? {};
  if (!name) return undefined;
  const { ips, hostnames: names } =
    kind === 'Gateway'
      ? gatewayAddresses(object as GatewayObject)
      : {
          ips: unique(((object as IngressObject).status?.loadBalancer?.ingress ?? []).map((i) => i.ip)),
          hostnames: ingressHostnames(object as IngressObject),
        };
  const hostnames = hostnameReports(names, resolved);
  return {
    namespace: namespace ?? 'default',
    name,
    addresses: unique([...ips, ...hostnames.flatMap((h) => h.addresses)]),
    ...(hostnames.length > 0 ? { hostnames } : {}),
  };
}

/** A ReferenceGrant as the grant check reads it; entries missing a field are skipped (they allow nothing). */
export function referenceGrantInfo(grant: ReferenceGrantObject): ReferenceGrantInfo | undefined {
  const { name, namespace } = grant.metadata ?? {};
  if (!name || !namespace) return undefined;
  const from = (grant.spec?.from ?? []).flatMap((f) =>
    typeof f.kind === 'string' && typeof f.namespace === 'string'
      ? [{ group: f.group ?? '', kind: f.kind, namespace: f.namespace }]
      : [],
  );
  const to = (grant.spec?.to ?? []).flatMap((t) =>
    typeof t.kind === 'string' ? [{ group: t.group ?? '', kind: t.kind, ...(t.name ? { name: t.name } : {}) }] : [],
  );
  return { namespace, name, from, to };
}

const refKey = (ref: TargetRef): string => `${ref.kind}/${ref.namespace}/${ref.name}`;

/** The objects (refKey) that some target serves by their load-balancer addresses and may refer to. */
function servedRefs(endpoints: readonly GeoEndpoint[], grants: readonly ReferenceGrantInfo[]): Set<string> {
  const served = new Set<string>();
  for (const { namespace, target, ref } of referringTargets(endpoints)) {
    if (target.service?.useClusterIP) continue;
    if (permittingGrant(namespace, ref, grants)) served.add(refKey(ref));
  }
  return served;
}

/**
 * For the hostnames not resolved yet: the addresses the published zones serve for the targets of their Service,
 * less the Service's own IPs (hostname → addresses). Only a Service with one ingress hostname is read back: with
 * more, which address came from which is not known.
 */
export function publishedHostnameAddresses(
  snapshot: Pick<ResourceSnapshot, 'endpoints' | 'services' | 'ingresses' | 'gateways'>,
  published: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  const objects = new Map<string, LoadBalancerInfo>();
  for (const [kind, list] of [
    ['Service', snapshot.services],
    ['Ingress', snapshot.ingresses ?? []],
    ['Gateway', snapshot.gateways ?? []],
  ] as const) {
    for (const o of list) objects.set(`${kind}/${o.namespace}/${o.name}`, o);
  }
  const seeds = new Map<string, string[]>();
  for (const { target, ref, id } of referringTargets(snapshot.endpoints)) {
    if (target.service?.useClusterIP) continue;
    const info = objects.get(refKey(ref));
    const [hostname, ...more] = info?.hostnames ?? [];
    if (!info || !hostname || more.length > 0 || !hostname.pending) continue;
    const own = (published.get(id) ?? []).filter((address) => !info.addresses.includes(address));
    seeds.set(hostname.hostname, unique([...(seeds.get(hostname.hostname) ?? []), ...own]));
  }
  return seeds;
}

/** "namespace/service" of every Service with at least one ready endpoint (`ready` unset counts as ready). */
export function readyServices(slices: readonly EndpointSliceObject[]): Set<string> {
  const ready = new Set<string>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service || isDeleting(slice.metadata)) continue;
    if ((slice.endpoints ?? []).some((e) => e.conditions?.ready !== false)) {
      ready.add(`${slice.metadata?.namespace ?? 'default'}/${service}`);
    }
  }
  return ready;
}

/**
 * Target id → why it is down, for the Service targets of `endpoints` whose Service has no ready endpoint, or no
 * EndpointSlice yet while it is `pending` (./slices-pending.ts): not known to be ready is not served as up.
 */
export function downTargets(
  endpoints: readonly GeoEndpoint[],
  services: readonly ServiceInfo[],
  ready: ReadonlySet<string>,
  pending: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const known = new Set(services.map((s) => `${s.namespace}/${s.name}`));
  const down = new Map<string, string>();
  for (const { ref, id } of referringTargets(endpoints)) {
    if (ref.kind !== 'Service') continue;
    const key = `${ref.namespace}/${ref.name}`;
    if (known.has(key) && !ready.has(key)) {
      down.set(id, pending.has(key) ? `Service ${key}: ${NO_SLICE_YET}` : `Service ${key} has no ready endpoints`);
    }
  }
  return down;
}

export function clusterSnapshot(objects: ClusterObjects, now: Date, resolved?: HostnameReports): ClusterSnapshot {
  const invalid: ResourceResult[] = [];
  const zones = validated<Extract<GeoResource, { kind: 'GeoZone' }>>('GeoZone', objects.geoZones, invalid, now);
  const endpoints = validated<GeoEndpoint>('GeoEndpoint', objects.geoEndpoints, invalid, now);
  const probes = validated<Extract<GeoResource, { kind: 'HealthProbe' }>>(
    'HealthProbe',
    objects.healthProbes,
    invalid,
    now,
  );
  const referenceGrants = (objects.referenceGrants ?? []).flatMap((g) => referenceGrantInfo(g) ?? []);
  // Only the hostnames a target serves (and may refer to) are resolved and reported: not every load balancer.
  const served = servedRefs(endpoints, referenceGrants);
  const hostnames = new Set<string>();
  const report = (kind: string, meta: ObjectMeta | undefined, names: readonly string[]): HostnameReports => {
    if (!served.has(`${kind}/${meta?.namespace ?? 'default'}/${meta?.name ?? ''}`)) return () => undefined;
    for (const hostname of names) hostnames.add(hostname);
    return resolved ?? (() => undefined);
  };
  const services = objects.services.flatMap(
    (s) => serviceInfo(s, report('Service', s.metadata, ingressHostnames(s))) ?? [],
  );
  const ingresses = (objects.ingresses ?? []).flatMap(
    (i) => loadBalancerInfo('Ingress', i, report('Ingress', i.metadata, ingressHostnames(i))) ?? [],
  );
  const gateways = (objects.gateways ?? []).flatMap(
    (g) => loadBalancerInfo('Gateway', g, report('Gateway', g.metadata, gatewayAddresses(g).hostnames)) ?? [],
  );
  const serviceImports = importedServices(objects.serviceImports ?? [], objects.endpointSlices);
  const labels = new Map<string, Record<string, string>>();
  for (const ns of objects.namespaces) if (ns.metadata?.name) labels.set(ns.metadata.name, ns.metadata.labels ?? {});
  for (const r of [...endpoints, ...probes]) {
    const name = r.metadata.namespace ?? 'default';
    if (!labels.has(name)) labels.set(name, {});
  }
  return {
    snapshot: {
      zones,
      endpoints,
      probes,
      namespaces: [...labels]
        .map(([name, l]) => ({ name, labels: { ...l } }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
      services,
      ingresses,
      gateways,
      referenceGrants,
      serviceImports,
      missingKinds: [...(objects.missingKinds ?? [])].sort(),
      forbiddenKinds: [...(objects.forbiddenKinds ?? [])].sort(),
    },
    invalid,
    down: new Map([
      ...downTargets(endpoints, services, readyServices(objects.endpointSlices)),
      ...importedDown(endpoints, new Set(services.map((s) => `${s.namespace}/${s.name}`)), serviceImports),
    ]),
    hostnames: [...hostnames].sort(),
  };
}
