// The three kinds together: the union of their resources and the list the CRD generator, the validator, the
// resource-file loader and the informers walk.
import { GeoEndpointKind, type GeoEndpoint } from './geoendpoint.ts';
import { GeoZoneKind, type GeoZone } from './geozone.ts';
import { HealthProbeKind, type HealthProbe } from './healthprobe.ts';
import type { KindInfo } from './meta.ts';

export type GeoResource = GeoZone | GeoEndpoint | HealthProbe;
export type ResourceKind = GeoResource['kind'];

export const KINDS: readonly KindInfo<ResourceKind>[] = [GeoZoneKind, GeoEndpointKind, HealthProbeKind];
