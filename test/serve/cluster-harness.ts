// What the in-cluster source tests share: the API test server with RBAC on and the DNS pods' Role (exactly
// deploy/rbac/dnsserver.yaml), a kubeconfig for the DNS server's service account, an administrator's client to write
// the operator's ConfigMaps, and small compiled zones to put in them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
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
import type { ApiServer } from '../apiserver/server.ts';
import { ADMIN_TOKEN, DNS_TOKEN, OPERATOR_NAMESPACE, startCluster as startApiCluster } from '../operator/cluster.ts';
import { healthDoc, zoneDoc } from '../config/fixtures.ts';

export const NAMESPACE = OPERATOR_NAMESPACE;

export interface Cluster {
  api: ApiServer;
  /** The administrator's view (the operator's stand-in). */
  core: CoreV1Api;
  /** The DNS server's service account's view. */
  dnsCore: CoreV1Api;
  /** A kubeconfig file for the DNS server's service account. */
  kubeconfig: string;
}

/** The API test server with RBAC on and the DNS pods bound to exactly deploy/rbac/dnsserver.yaml. */
export async function startCluster(dir: string): Promise<Cluster> {
  const api = await startApiCluster({ bookmarkIntervalMs: 200 });
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, api.kubeconfig(DNS_TOKEN));
  const client = (token: string) => {
    const kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig(token));
    return kc.makeApiClient(CoreV1Api);
  };
  return { api, core: client(ADMIN_TOKEN), dnsCore: client(DNS_TOKEN), kubeconfig };
}

export const EU = '192.0.2.10';
export const US = '198.51.100.10';

/** A zone with www failing over from eu (priority 0) to us (priority 1), and `extra` records. */
export function failoverZone(apex: string, serial: number, eu = EU, extra: CompiledZone['records'] = []): CompiledZone {
  const base = zoneDoc(apex, serial);
  const target = base.routed[0]?.targets[0];
  if (!target) throw new Error('fixture zone without a target');
  return {
    ...base,
    records: [...base.records, ...extra],
    routed: [
      {
        ...(base.routed[0] as CompiledZone['routed'][number]),
        targets: [
          { ...target, id: 'apps/www/eu', name: 'eu', addresses: [eu], priority: 0 },
          { ...target, id: 'apps/www/us', name: 'us', addresses: [US], location: { continent: 'NA' }, priority: 1 },
        ],
      },
    ],
  };
}

export function zoneConfigMap(zone: CompiledZone): V1ConfigMap {
  const encoded = encodeZoneDocument(zone.zone, JSON.stringify(zone));
  return {
    metadata: {
      name: zoneConfigMapName(zone.zone),
      namespace: NAMESPACE,
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
      namespace: NAMESPACE,
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
    await core.readNamespacedConfigMap({ name, namespace: NAMESPACE });
  } catch {
    await core.createNamespacedConfigMap({ namespace: NAMESPACE, body });
    return;
  }
  await core.replaceNamespacedConfigMap({ name, namespace: NAMESPACE, body });
}

/** The value of an unlabelled metric in Prometheus text, or undefined. */
export function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
