// Resolving a GeoEndpoint's targets: Service lookups, literal addresses, HealthProbe references and compile-time
// health. Each problem is reported against the target it belongs to; a target that cannot be resolved is left out.
import type { CompiledLocation, CompiledTarget } from '../../api/compiled.ts';
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { Location } from '../../api/schema.ts';
import { pickLocationFields } from '../../api/location.ts';
import { normaliseAddresses } from './addresses.ts';
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

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** Load-balancer ingress and external IPs, and the addresses its ingress hostnames resolved to. */
  addresses: string[];
  /** The ingress hostnames (entries without an IP) and what resolving them gave. */
  hostnames?: ServiceHostname[];
  /** spec.clusterIPs, for targets with useClusterIP (none for a headless Service). */
  clusterIPs?: string[];
  ready: boolean;
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
}

export interface TargetLookups {
  service(namespace: string, name: string): ServiceInfo | undefined;
  probeExists(namespace: string, name: string): boolean;
  health: Readonly<Record<string, boolean>>;
}

export function targetId(namespace: string, endpoint: string, target: string): string {
  return `${namespace}/${endpoint}/${target}`;
}

export function resolveTargets(endpoint: GeoEndpoint, lookups: TargetLookups): ResolvedTargets {
  const namespace = endpoint.metadata.namespace ?? 'default';
  const targets: CompiledTarget[] = [];
  const problems: RefProblem[] = [];
  const notes: string[] = [];
  const probesUsed: string[] = [];

  for (const spec of endpoint.spec?.targets ?? []) {
    const where = `target "${spec.name}"`;
    const id = targetId(namespace, endpoint.metadata.name, spec.name);
    let rawAddresses: string[];
    let serviceReady = true;
    let hostnameProblems: RefProblem[] = [];
    if (spec.service) {
      const service = lookups.service(namespace, spec.service.name);
      if (!service) {
        problems.push({
          reason: 'ServiceNotFound',
          message: `${where}: Service ${namespace}/${spec.service.name} not found`,
        });
        continue;
      }
      rawAddresses = spec.service.useClusterIP ? (service.clusterIPs ?? []) : service.addresses;
      serviceReady = service.ready;
      if (!spec.service.useClusterIP) {
        for (const hostname of service.hostnames ?? []) {
          const said = describeHostname(where, `Service ${namespace}/${spec.service.name}`, hostname);
          if ('note' in said) notes.push(said.note);
          else hostnameProblems.push(said);
        }
      }
    } else {
      rawAddresses = spec.addresses ?? [];
    }

    const { addresses, invalid } = normaliseAddresses(rawAddresses);
    const source = spec.service ? `Service ${namespace}/${spec.service.name}` : 'addresses';
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
        spec.service
          ? {
              reason: 'ServiceHasNoAddresses',
              message: spec.service.useClusterIP
                ? `${where}: ${source} has no ClusterIP (a headless Service cannot be served by ClusterIP)`
                : `${where}: ${source} has no load-balancer or external addresses`,
            }
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
  }

  targets.sort((a, b) => compareStrings(a.id, b.id));
  return { targets, problems, notes, probesUsed: probesUsed.sort(compareStrings) };
}

/** What status says of one load-balancer hostname: a note when it resolved, else the problem. */
export function describeHostname(
  where: string,
  service: string,
  resolved: ServiceHostname,
): { note: string } | RefProblem {
  const name = `${where}: ${service}'s load-balancer hostname ${resolved.hostname}`;
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
