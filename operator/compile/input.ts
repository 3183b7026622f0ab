// What compile() reads: the resources, the cluster facts standing in for lookups (namespaces, Services, Ingresses,
// Gateways, ReferenceGrants, the kinds the cluster lacks), the health at compile time, the last published serials,
// and the time (compile reads no clock).
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { GeoZone } from '../../api/geozone.ts';
import type { HealthProbe } from '../../api/healthprobe.ts';
import type { ReferenceGrantInfo } from './grants.ts';
import type { ImportedServiceInfo, LoadBalancerInfo, PeerTargetInfo, ServiceInfo } from './targets.ts';

export interface CompileInput {
  zones: GeoZone[];
  endpoints: GeoEndpoint[];
  probes: HealthProbe[];
  namespaces: { name: string; labels: Record<string, string> }[];
  services: ServiceInfo[];
  ingresses?: LoadBalancerInfo[];
  gateways?: LoadBalancerInfo[];
  /** Who may refer to another namespace's objects (none: only same-namespace references resolve). */
  referenceGrants?: ReferenceGrantInfo[];
  /** Kinds the cluster does not serve ('Gateway', 'ReferenceGrant'): targets of them say so. */
  missingKinds?: string[];
  /** Kinds the operator may not list (RBAC): targets of them say so. */
  forbiddenKinds?: string[];
  /** Services this cluster lacks that the cluster set imports through the Multi-Cluster Services API (ServiceImport):
   *  used before a peer's. */
  serviceImports?: ImportedServiceInfo[];
  /** Targets whose Service lives in a peer cluster (operator/peers/), used where this cluster lacks the Service. */
  peerTargets?: PeerTargetInfo[];
  /** The zones the operator signs: apex → the key tags of their keys in the key Secret (operator/dnssec/). Without
   *  it (compiled without the operator), a GeoZone with spec.dnssec.enabled is marked signed by any key of it. */
  signed?: Record<string, number[]>;
  /** Of signed zones: apex → the DNSKEYs their peers sign with (operator/peers/), which the DNS pods publish beside
   *  this cluster's own (RFC 8901 model 2). */
  publishedKeys?: Record<string, readonly CompiledPublishedKey[]>;
  /** Compile-time health by target id; a missing id is healthy. */
  health: Record<string, boolean>;
  /** The serial and content hash last published per zone apex. */
  previous: Record<string, { serial: number; contentHash: string }>;
  now: Date;
}
