// Whether a GeoEndpoint's zone admits its name: the zone exists and is accepted, admits the namespace, holds the
// hostname, has not delegated it away, and has no static data at it that a routed name would contradict.
import type { GeoEndpoint } from '../../api/geoendpoint.ts';
import type { AcceptedZone, ZoneVerdict } from './geozone.ts';
import { canonicalName, isInZone, nameProblem } from './names.ts';
import { describeAllowed, namespaceAllowed } from './namespaces.ts';

export interface Refusal {
  reason: string;
  message: string;
}

export interface Admission {
  /** The accepted zone the endpoint names, even when it is refused there (for the zone's refused count). */
  claimedZone?: AcceptedZone;
  /** Set with hostname when the name is admitted. */
  zone?: AcceptedZone;
  hostname?: string;
  refusal?: Refusal;
}

/** Zone, namespace and hostname checks: a refusal, or the zone and the canonical hostname the name is served as. */
export function admit(
  endpoint: GeoEndpoint,
  namespace: string,
  zoneVerdicts: ReadonlyMap<string, ZoneVerdict>,
  labels: ReadonlyMap<string, Record<string, string>>,
): Admission {
  const zoneName = endpoint.spec?.zoneRef?.name ?? '';
  const verdict = zoneVerdicts.get(zoneName);
  if (!verdict) {
    return { refusal: { reason: 'ZoneNotFound', message: `GeoZone ${zoneName} not found` } };
  }
  if ('refused' in verdict) {
    return {
      refusal: {
        reason: 'ZoneNotAccepted',
        message: `GeoZone ${zoneName} is not accepted (${verdict.refused.reason}: ${verdict.refused.message})`,
      },
    };
  }
  const zone = verdict.accepted;
  const refused = (refusal: Refusal): Admission => ({ claimedZone: zone, refusal });
  const allowed = zone.resource.spec.allowedNamespaces;
  if (!namespaceAllowed(allowed, namespace, labels)) {
    return refused({
      reason: 'NotAllowedByZone',
      message: `GeoZone ${zoneName} admits ${describeAllowed(allowed)}; namespace ${namespace} is not one of them`,
    });
  }
  const hostname = canonicalName(endpoint.spec.hostname ?? '');
  const problem = hostname === '' ? 'hostname is empty' : nameProblem(hostname);
  if (problem || !isInZone(hostname, zone.apex)) {
    return refused({
      reason: 'HostnameOutsideZone',
      message: problem
        ? `spec.hostname "${endpoint.spec.hostname}": ${problem}`
        : `hostname ${hostname} is outside the zone ${zone.apex} of GeoZone ${zoneName}`,
    });
  }
  const cut = zone.static.delegationCovering(hostname);
  if (cut) {
    return refused({
      reason: 'HostnameDelegated',
      message: `hostname ${hostname} is at or below ${cut}, which GeoZone ${zoneName} delegates with NS records`,
    });
  }
  const types = zone.static.typesAt(hostname);
  const cname = types.get('CNAME');
  if (cname) {
    return refused({
      reason: 'CNAMEConflict',
      message: `GeoZone ${zoneName} has a CNAME at ${hostname} (spec.${cname}); no other data may sit beside it`,
    });
  }
  const address = types.has('A') ? 'A' : types.has('AAAA') ? 'AAAA' : undefined;
  if (address) {
    return refused({
      reason: 'RecordConflict',
      message: `GeoZone ${zoneName} has static ${address} records at ${hostname} (${types.get(address)}); a routed name owns its addresses`,
    });
  }
  return { claimedZone: zone, zone, hostname };
}
