// What the in-cluster source tests share: the real kube-apiserver (one control plane per test file, started by
// ./suite-plane.ts) with deploy/rbac/ applied, a kubeconfig with a real token of the DNS pods' ServiceAccount (exactly
// deploy/rbac/dnsserver.yaml) that reaches the API server through the fault proxy, an administrator's client straight
// to the API server to write the operator's ConfigMaps, and the ConfigMaps that carry compiled documents
// (./documents.ts).
import path from 'node:path';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import type { CompiledZone } from '../../api/compiled.ts';
import {
  DOCUMENT_LABEL,
  encodeZoneDocument,
  HEALTH_CONFIGMAP,
  HEALTH_DOCUMENT,
  HEALTH_KEY,
  REVISION_ANNOTATION,
  ZONE_DOCUMENT,
  zoneConfigMapName,
} from '../../api/configmaps.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ControlPlane } from '../../tools/control-plane/control-plane.ts';
import { FaultProxy } from '../../tools/control-plane/fault-proxy.ts';
import { healthDoc } from './documents.ts';
import { DNS_ACCOUNT, kubeConfigFrom, startSuitePlane, SYSTEM_NAMESPACE } from './suite-plane.ts';

export interface Cluster {
  plane: ControlPlane;
  /** Between the DNS server and the API server. */
  proxy: FaultProxy;
  /** The administrator's view (the operator's stand-in), straight to the API server. */
  core: CoreV1Api;
  /** The DNS server's service account's view, through the proxy. */
  dnsCore: CoreV1Api;
  /** A kubeconfig file for the DNS server's service account, through the proxy. */
  kubeconfig: string;
  stop(): Promise<void>;
}

/** A real control plane with deploy/rbac/ applied, and the proxy in front of it. */
export function startCluster(): Promise<Cluster> {
  // On SIGTERM the API server ends its open watches within a second and exits; without this it waits for them
  // until stopApiServer() kills it (10 s).
  const apiServerArgs = ['--shutdown-watch-termination-grace-period=1s'];
  return startSuitePlane({ name: 'geodns-serve-kube', apiServerArgs }, async (plane) => {
    const proxy = await FaultProxy.start(plane);
    const kubeconfig = await proxy.serviceAccountKubeconfig(
      SYSTEM_NAMESPACE,
      DNS_ACCOUNT,
      path.join(plane.dir, 'dns.kubeconfig'),
    );
    return {
      plane,
      proxy,
      core: plane.admin().makeApiClient(CoreV1Api),
      dnsCore: kubeConfigFrom(kubeconfig).makeApiClient(CoreV1Api),
      kubeconfig,
      stop: async () => {
        await proxy.close();
        await plane.stop();
      },
    };
  });
}

export function zoneConfigMap(zone: CompiledZone): V1ConfigMap {
  const encoded = encodeZoneDocument(zone.zone, JSON.stringify(zone));
  return {
    metadata: {
      name: zoneConfigMapName(zone.zone),
      namespace: SYSTEM_NAMESPACE,
      labels: { [DOCUMENT_LABEL]: ZONE_DOCUMENT },
      annotations: { 'geodns.io/zone': zone.zone, 'geodns.io/serial': String(zone.serial) },
    },
    ...(encoded.data ? { data: encoded.data } : {}),
    ...(encoded.binaryData ? { binaryData: encoded.binaryData } : {}),
  };
}

const since = '2026-01-01T00:00:00Z';

/** The health ConfigMap at `revision`, with the given targets down. */
export function healthConfigMap(revision: number, down: string[]): V1ConfigMap {
  const targets: HealthTable['targets'] = {};
  for (const id of ['apps/www/eu', 'apps/www/us']) targets[id] = { up: !down.includes(id), since };
  return {
    metadata: {
      name: HEALTH_CONFIGMAP,
      namespace: SYSTEM_NAMESPACE,
      labels: { [DOCUMENT_LABEL]: HEALTH_DOCUMENT },
      annotations: { [REVISION_ANNOTATION]: String(revision) },
    },
    data: { [HEALTH_KEY]: JSON.stringify(healthDoc(targets)) },
  };
}

/** Creates or replaces a ConfigMap (the operator's write). */
export async function put(core: CoreV1Api, body: V1ConfigMap): Promise<void> {
  const name = body.metadata?.name ?? '';
  try {
    await core.readNamespacedConfigMap({ name, namespace: SYSTEM_NAMESPACE });
  } catch {
    await core.createNamespacedConfigMap({ namespace: SYSTEM_NAMESPACE, body });
    return;
  }
  await core.replaceNamespacedConfigMap({ name, namespace: SYSTEM_NAMESPACE, body });
}

/** The value of an unlabelled metric in Prometheus text, or undefined. */
export function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
