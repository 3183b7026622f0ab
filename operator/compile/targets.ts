// Resolving a GeoEndpoint's targets: Service, Ingress and Gateway lookups (another namespace's only where a
// ReferenceGrant allows it), literal addresses, HealthProbe references and compile-time health. Each problem is
// reported against the target it belongs to; a target that cannot be resolved is left out.
import type { CompiledLocation, CompiledTarget } from '../../api/compiled.ts';
import type { GeoEndpoint, Target, TargetStatus } from '../../api/geoendpoint.ts';
import type { Location } from '../../api/schema.ts';
import { pickLocationFields } from '../../api/location.ts';
import { normaliseAddresses } from './addresses.ts';
import { describeRef, missingGrant, REF_GROUPS, type RefKind, type TargetRef } from './grants.ts';
import { compareStrings } from './names.ts';

/**
 * A load-balancer hostname a Service publishes instead of an IP (EKS and others), and what resolving it gave: the
 * operator resolves it, compile serves its addresses with the Service's others and says so in status.
 */
export interface ServiceHostname {
  hostname: string;
  /** Where it is resolved, for messages: "127.0.0.1:5353", "the system's resolver (10.96.0.10)". */
  resolver: string;
  /** The addresses served for it (already in ServiceInfo.addresses): fresh, or kept while resolution fails. */
  addresses: string[];
  /** Never resolved yet. */
  pending?: boolean;
  /** The last resolution failed: the resolver's error. */
  error?: string;
  /** While resolution fails and the last good addresses are kept: when they were resolved and until when they are
   *  kept (ISO times). */
  kept?: { resolvedAt: string; until: string };
}

/** An object whose status carries load-balancer addresses (an Ingress, a Gateway; a Service adds more). */
export interface LoadBalancerInfo {
  namespace: string;
  name: string;
  /** The IPs of its status (a Service's external IPs too), and the addresses its hostnames resolved to. */
  addresses: string[];
  /** The hostnames of its status (entries without an IP) and what resolving them gave. */
  hostnames?: ServiceHostname[];
}

export interface ServiceInfo extends LoadBalancerInfo {
  /** spec.clusterIPs, for targets with useClusterIP (none for a headless Service). */
  clusterIPs?: string[];
  ready: boolean;
}

/** A target whose Service lives in another cluster, as that cluster's operator published it (operator/peers/). */
export interface PeerTargetInfo {
  /** The target id (namespace/endpoint/target) it stands for. */
  id: string;
  /** The cluster that published it. */
  peer: string;
  service: { namespace: string; name: string };
  addresses: string[];
}

/**
 * A Service this cluster does not have, imported from the cluster set through the Multi-Cluster Services API
 * (a ServiceImport of that namespace and name): operator/inputs/service-imports.ts reads it.
 */
export interface ImportedServiceInfo {
  namespace: string;
  name: string;
  /** The exporting clusters, sorted: the ServiceImport's status.clusters with the imported slices' source-cluster. */
  clusters: string[];
  /** The ready imported endpoints' addresses (every endpoint's while none is ready: the target is down then). */
  addresses: string[];
  /** spec.ips, the ClusterSetIP (for targets with useClusterIP; none for a Headless import). */
  clusterIPs: string[];
}

/** How status names an imported Service: 'ServiceImport web/www (clusters: eu,us)'. */
export function describeImport(imported: Pick<ImportedServiceInfo, 'namespace' | 'name' | 'clusters'>): string {
  const clusters = imported.clusters.length > 0 ? ` (clusters: ${imported.clusters.join(',')})` : '';
  return `ServiceImport ${imported.namespace}/${imported.name}${clusters}`;
}

export interface RefProblem {
  reason: string;
  message: string;
}

export interface ResolvedTargets {
  targets: CompiledTarget[];
  problems: RefProblem[];
  /** Where addresses came from beyond the spec (a Service's resolved hostnames), for the ResolvedRefs message. */
  notes: string[];
  /** "namespace/name" of every HealthProbe a target references and that exists. */
  probesUsed: string[];
  /** Each served target and where its addresses came from (status.targets), by name. */
  sources: TargetStatus[];
}

export interface TargetLookups {
  service(namespace: string, name: string): ServiceInfo | undefined;
  /** An Ingress or a Gateway (undefined when the cluster has none of that name, or no such kind). */
  loadBalancer?(kind: 'Ingress' | 'Gateway', namespace: string, name: string): LoadBalancerInfo | undefined;
  /** Whether a GeoEndpoint in `from` may refer to `ref`; undefined: every reference is permitted. */
  permitted?(from: string, ref: TargetRef): boolean;
  /** Kinds the cluster does not serve (their CRDs are not installed): 'Gateway', 'ReferenceGrant'. */
  missingKinds?: ReadonlySet<string>;
  /** Kinds the operator may not list (its RBAC lacks them). */
  forbiddenKinds?: ReadonlySet<string>;
  /** A Service this cluster does not have, imported through the Multi-Cluster Services API. */
  serviceImport?(namespace: string, name: string): ImportedServiceInfo | undefined;
  /** A Service target's stand-in published by a peer cluster, for a Service this cluster does not have. */
  peerTarget?(id: string): PeerTargetInfo | undefined;
  probeExists(namespace: string, name: string): boolean;
  health: Readonly<Record<string, boolean>>;
}

/** The object a target refers to, with its namespace resolved (undefined: a target of literal addresses). */
export function targetRef(namespace: string, target: Target): TargetRef | undefined {
  const refer = (kind: RefKind, ref: { name: string; namespace?: string | undefined } | undefined) =>
    ref ? { kind, namespace: ref.namespace ?? namespace, name: ref.name } : undefined;
  return refer('Service', target.service) ?? refer('Ingress', target.ingress) ?? refer('Gateway', target.gateway);
}

/** The API a kind is served by, for messages: 'gateway.networking.k8s.io Gateway', 'networking.k8s.io Ingress'. */
function apiOf(kind: string): string {
  const group = kind === 'ReferenceGrant' ? 'gateway.networking.k8s.io' : REF_GROUPS[kind as RefKind];
  return group ? `${group} ${kind}` : kind;
}

type Located = { ok: true; ref: TargetRef; found: LoadBalancerInfo | ServiceInfo } | { ok: false; problem: RefProblem };

/** The object of `ref` as compile sees it, or why it cannot be used. */
function locate(where: string, from: string, ref: TargetRef, lookups: TargetLookups): Located {
  const source = describeRef(ref);
  const missing = lookups.missingKinds;
  if (missing?.has(ref.kind)) {
    return {
      ok: false,
      problem: {
        reason: 'KindNotInstalled',
        message: `${where}: ${source} cannot be read: the ${apiOf(ref.kind)} kind is not installed in this cluster (its CRD); the target is left out`,
      },
    };
  }
  if (lookups.forbiddenKinds?.has(ref.kind)) {
    return {
      ok: false,
      problem: {
        reason: 'KindForbidden',
        message: `${where}: ${source} cannot be read: the operator is not allowed to list ${apiOf(ref.kind)} objects (its RBAC lacks list and watch on them: apply deploy/rbac/operator.yaml or upgrade the chart); the target is left out`,
      },
    };
  }
  if (lookups.permitted && !lookups.permitted(from, ref)) {
    const noGrants = missing?.has('ReferenceGrant')
      ? ` (the ${apiOf('ReferenceGrant')} kind is not installed in this cluster)`
      : lookups.forbiddenKinds?.has('ReferenceGrant')
        ? ` (the operator is not allowed to list ${apiOf('ReferenceGrant')} objects: see its RBAC)`
        : '';
    return {
      ok: false,
      problem: {
        reason: 'RefNotPermitted',
        message: `${where}: ${missingGrant(from, ref)}${noGrants}; the target is left out`,
      },
    };
  }
  const found =
    ref.kind === 'Service'
      ? lookups.service(ref.namespace, ref.name)
      : lookups.loadBalancer?.(ref.kind, ref.namespace, ref.name);
  if (!found)
    return { ok: false, problem: { reason: `${ref.kind}NotFound`, message: `${where}: ${source} not found` } };
  return { ok: true, ref, found };
}

/** Why a referenced object gave no address. */
function noAddresses(where: string, ref: TargetRef, useClusterIP: boolean): RefProblem {
  const source = describeRef(ref);
  if (ref.kind === 'Ingress') {
    return {
      reason: 'IngressHasNoAddresses',
      message: `${where}: ${source} has no addresses in status.loadBalancer.ingress (not admitted by an ingress controller yet?)`,
    };
  }
  if (ref.kind === 'Gateway') {
    return {
      reason: 'GatewayHasNoAddresses',
      message: `${where}: ${source} has no addresses of type IPAddress or Hostname in status.addresses (not programmed yet?)`,
    };
  }
  return {
    reason: 'ServiceHasNoAddresses',
    message: useClusterIP
      ? `${where}: ${source} has no ClusterIP (a headless Service cannot be served by ClusterIP)`
      : `${where}: ${source} has no load-balancer or external addresses`,
  };
}

/** Why an imported Service gave no address. */
function importHasNoAddresses(where: string, imported: ImportedServiceInfo, useClusterIP: boolean): RefProblem {
  const source = describeImport(imported);
  return useClusterIP
    ? {
        reason: 'ServiceImportHasNoAddresses',
        message: `${where}: ${source} has no ClusterSetIP in spec.ips (a Headless import cannot be served by ClusterIP)`,
      }
    : {
        reason: 'ServiceImportHasNoAddresses',
        message: `${where}: ${source} has no imported endpoints (no EndpointSlice labelled multicluster.kubernetes.io/service-name=${imported.name} in namespace ${imported.namespace} with an address)`,
      };
}

function samePeerService(peer: PeerTargetInfo, ref: TargetRef): boolean {
  return peer.service.namespace === ref.namespace && peer.service.name === ref.name;
}

export function targetId(namespace: string, endpoint: string, target: string): string {
  return `${namespace}/${endpoint}/${target}`;
}

/** A target of a GeoEndpoint that refers to an object (not literal addresses), with its reference and id. */
export interface ReferringTarget {
  endpoint: GeoEndpoint;
  namespace: string;
  target: Target;
  ref: TargetRef;
  id: string;
}

/** Every target of `endpoints` that refers to an object. */
export function* referringTargets(endpoints: Iterable<GeoEndpoint>): Generator<ReferringTarget> {
  for (const endpoint of endpoints) {
    const namespace = endpoint.metadata.namespace ?? 'default';
    for (const target of endpoint.spec.targets) {
      const ref = targetRef(namespace, target);
      if (ref) yield { endpoint, namespace, target, ref, id: targetId(namespace, endpoint.metadata.name, target.name) };
    }
  }
}

export function resolveTargets(endpoint: GeoEndpoint, lookups: TargetLookups): ResolvedTargets {
  const namespace = endpoint.metadata.namespace ?? 'default';
  const targets: CompiledTarget[] = [];
  const problems: RefProblem[] = [];
  const notes: string[] = [];
  const probesUsed: string[] = [];
  const sources: TargetStatus[] = [];

  for (const spec of endpoint.spec?.targets ?? []) {
    const where = `target "${spec.name}"`;
    const id = targetId(namespace, endpoint.metadata.name, spec.name);
    let rawAddresses: string[];
    let serviceReady = true;
    let hostnameProblems: RefProblem[] = [];
    const ref = targetRef(namespace, spec);
    const useClusterIP = spec.service?.useClusterIP === true;
    let source = 'addresses';
    // A Service this cluster lacks: the cluster set's MCS import where there is one (the registry where it runs),
    // else a peer's document. A local Service always wins.
    const remote = ref?.kind === 'Service' && !lookups.service(ref.namespace, ref.name);
    const permitted = ref !== undefined && (lookups.permitted?.(namespace, ref) ?? true);
    const imported = ref && remote && permitted ? lookups.serviceImport?.(ref.namespace, ref.name) : undefined;
    const peer = ref && remote && permitted && !imported && !useClusterIP ? lookups.peerTarget?.(id) : undefined;
    if (imported) {
      // Its readiness travels in the health table, as a local Service's does.
      source = describeImport(imported);
      rawAddresses = useClusterIP ? imported.clusterIPs : imported.addresses;
      if (rawAddresses.length === 0) {
        problems.push(importHasNoAddresses(where, imported, useClusterIP));
        continue;
      }
    } else if (ref && peer && samePeerService(peer, ref)) {
      // The Service lives in another cluster: its operator's addresses, its readiness through the health table.
      source = `Peer ${peer.peer}: ${describeRef(ref)}`;
      rawAddresses = peer.addresses;
    } else if (ref) {
      const located = locate(where, namespace, ref, lookups);
      if (!located.ok) {
        problems.push(located.problem);
        continue;
      }
      const found = located.found;
      source = describeRef(ref);
      rawAddresses = useClusterIP && 'clusterIPs' in found ? (found.clusterIPs ?? []) : found.addresses;
      if ('ready' in found) serviceReady = found.ready;
      if (!useClusterIP) {
        for (const hostname of found.hostnames ?? []) {
          const said = describeHostname(where, source, hostname);
          if ('note' in said) notes.push(said.note);
          else hostnameProblems.push(said);
        }
      }
    } else {
      rawAddresses = spec.addresses ?? [];
    }

    const { addresses, invalid } = normaliseAddresses(rawAddresses);
    for (const bad of invalid) {
      problems.push({
        reason: 'InvalidAddress',
        message: `${where}: ${source} address "${bad}" is not an IPv4 or IPv6 address; left out`,
      });
    }
    if (addresses.length === 0 && hostnameProblems.length > 0) {
      // The hostname's problem is why there is nothing: saying "no addresses" besides it would be false.
      hostnameProblems = hostnameProblems.map((p) => ({ ...p, message: `${p.message}; the target is left out` }));
    }
    problems.push(...hostnameProblems);
    if (addresses.length === 0) {
      if (hostnameProblems.length > 0) continue;
      problems.push(
        ref
          ? noAddresses(where, ref, useClusterIP)
          : { reason: 'NoAddresses', message: `${where}: no usable addresses` },
      );
      continue;
    }

    let probe: string | undefined;
    let probeHealth = lookups.health[id] ?? true;
    if (spec.healthProbeRef) {
      if (lookups.probeExists(namespace, spec.healthProbeRef.name)) {
        probe = `${namespace}/${spec.healthProbeRef.name}`;
        if (!probesUsed.includes(probe)) probesUsed.push(probe);
      } else {
        problems.push({
          reason: 'HealthProbeNotFound',
          message: `${where}: HealthProbe ${namespace}/${spec.healthProbeRef.name} not found; the target is served unchecked`,
        });
        probeHealth = true;
      }
    }

    const target: CompiledTarget = {
      id,
      name: spec.name,
      addresses: addresses.map((address) => address.text),
      location: compiledLocation(spec.location),
      weight: spec.weight ?? 1,
      priority: spec.priority ?? 0,
      healthy: serviceReady && probeHealth,
    };
    if (probe) target.probe = probe;
    targets.push(target);
    sources.push({
      name: spec.name,
      source: useClusterIP ? `${source} (ClusterIP)` : source,
      addresses: target.addresses,
    });
  }

  targets.sort((a, b) => compareStrings(a.id, b.id));
  sources.sort((a, b) => compareStrings(a.name, b.name));
  return { targets, problems, notes, probesUsed: probesUsed.sort(compareStrings), sources };
}

/** What status says of one load-balancer hostname of `source` ('Service web/www'): a note when it resolved, else
 *  the problem. */
export function describeHostname(
  where: string,
  source: string,
  resolved: ServiceHostname,
): { note: string } | RefProblem {
  const name = `${where}: ${source}'s load-balancer hostname ${resolved.hostname}`;
  if (resolved.pending) {
    return { reason: 'HostnameNotResolvedYet', message: `${name} is not resolved yet (${resolved.resolver})` };
  }
  if (resolved.error !== undefined) {
    const failed = `${name} could not be resolved through ${resolved.resolver}: ${resolved.error}`;
    const kept = resolved.kept;
    return {
      reason: 'HostnameResolutionFailed',
      message: kept
        ? `${failed}; serving its last good addresses ${resolved.addresses.join(', ')} (resolved ${kept.resolvedAt}) until ${kept.until} at the latest`
        : resolved.addresses.length > 0
          ? `${failed}; serving what did answer: ${resolved.addresses.join(', ')}`
          : `${failed}; no earlier answer to keep`,
    };
  }
  if (resolved.addresses.length === 0) {
    return {
      reason: 'HostnameHasNoAddresses',
      message: `${name} has no A or AAAA records (through ${resolved.resolver})`,
    };
  }
  return { note: `${name} resolved to ${resolved.addresses.join(', ')} through ${resolved.resolver}` };
}

export function compiledLocation(location: Location | undefined): CompiledLocation {
  return location ? pickLocationFields(location) : {};
}
