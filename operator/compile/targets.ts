// Resolving a GeoEndpoint's targets: Service lookups, literal addresses, HealthProbe references and compile-time
// health. Each problem is reported against the target it belongs to; a target that cannot be resolved is left out.
import type { CompiledLocation, CompiledTarget } from '../../api/compiled.ts';
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { Location } from '../../api/schema.ts';
import { pickLocationFields } from '../../api/location.ts';
import { normaliseAddresses } from './addresses.ts';
import { compareStrings } from './names.ts';

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** Load-balancer ingress and external IPs. */
  addresses: string[];
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
  const probesUsed: string[] = [];

  for (const spec of endpoint.spec?.targets ?? []) {
    const where = `target "${spec.name}"`;
    const id = targetId(namespace, endpoint.metadata.name, spec.name);
    let rawAddresses: string[];
    let serviceReady = true;
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
    if (addresses.length === 0) {
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
  return { targets, problems, probesUsed: probesUsed.sort(compareStrings) };
}

export function compiledLocation(location: Location | undefined): CompiledLocation {
  return location ? pickLocationFields(location) : {};
}
