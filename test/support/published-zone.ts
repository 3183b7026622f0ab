// What the operator published for the suites' GeoZone geo-example (geo.example.com), read back from its ConfigMap as
// a DNS pod reads it, and the status of a GeoEndpoint: the readers the operator suites on the real API server share.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { decodeDocuments, zoneConfigMapName } from '../../api/configmaps.ts';
import type { CompiledZone } from '../../api/compiled.ts';
import { SYSTEM_NAMESPACE } from './suite-plane.ts';

/** The published document of geo.example.com (undefined: not published yet). */
export async function geoExampleDocument(
  core: CoreV1Api,
  namespace = SYSTEM_NAMESPACE,
): Promise<CompiledZone | undefined> {
  const cm = await core
    .readNamespacedConfigMap({ namespace, name: zoneConfigMapName('geo-example') })
    .catch(() => undefined);
  if (!cm) return undefined;
  const text = decodeDocuments({ data: cm.data, binaryData: cm.binaryData }).documents.get('geo.example.com.json');
  return text ? (JSON.parse(text) as CompiledZone) : undefined;
}

/** The addresses each target of the first routed name serves (target name → addresses). */
export async function servedTargets(core: CoreV1Api, namespace?: string): Promise<Record<string, string[]>> {
  const doc = await geoExampleDocument(core, namespace);
  return Object.fromEntries((doc?.routed[0]?.targets ?? []).map((t) => [t.name, t.addresses]));
}

export interface EndpointStatus {
  conditions?: { type: string; status: string; reason: string; message: string }[];
  targets?: { name: string; source: string; addresses: string[] }[];
}

export async function endpointStatus(
  custom: CustomObjectsApi,
  namespace = 'web',
  name = 'www',
): Promise<EndpointStatus> {
  const object = (await custom.getNamespacedCustomObject({
    group: 'geodns.io',
    version: 'v1alpha1',
    namespace,
    plural: 'geoendpoints',
    name,
  })) as { status?: EndpointStatus };
  return object.status ?? {};
}

export const resolvedRefs = (status: EndpointStatus) => status.conditions?.find((c) => c.type === 'ResolvedRefs');

/** The status of the GeoZone geo-example, as the suite types it. */
export async function geoExampleStatus<T>(custom: CustomObjectsApi): Promise<Partial<T>> {
  const zone = (await custom.getClusterCustomObject({
    group: 'geodns.io',
    version: 'v1alpha1',
    plural: 'geozones',
    name: 'geo-example',
  })) as { status?: Partial<T> };
  return zone.status ?? {};
}
