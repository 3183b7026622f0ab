// A real control plane as the operator meets it in a cluster (started by ./suite-plane.ts): our CRDs applied with
// kubectl, the namespaces `geodns-system` (the operator's) and `web` (an application team's), deploy/rbac/*.yaml
// applied with kubectl, and real ServiceAccount-token kubeconfigs for the operator (`geodns-operator`) and the DNS server (`geodns-dns`), so
// both run with exactly the RBAC a user installs. The test itself is the administrator.
//
// One control plane serves a test file; reset() between its tests deletes what the tests made (our resources,
// Services, Pods, slices, Events, the operator's ConfigMaps and Lease), as envtest suites share one API server.
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { DOCUMENT_LABEL } from '../../api/configmaps.ts';
import type { ControlPlane } from '../../tools/control-plane/control-plane.ts';
import { DNS_ACCOUNT, kubeConfigFrom, OPERATOR_ACCOUNT, startSuitePlane, SYSTEM_NAMESPACE } from './suite-plane.ts';

export interface Cluster {
  plane: ControlPlane;
  /** The administrator's kubeconfig file and client configuration. */
  adminKubeconfig: string;
  admin: KubeConfig;
  /** The operator's ServiceAccount (deploy/rbac/operator.yaml): kubeconfig file and client configuration. */
  operatorKubeconfig: string;
  operator: KubeConfig;
  /** The DNS server's ServiceAccount (deploy/rbac/dnsserver.yaml). */
  dnsKubeconfig: string;
  stop(): Promise<void>;
  /** Deletes what a test made, so that the next one starts from the state start gave. */
  reset(): Promise<void>;
}

export function startCluster(options: { audit?: boolean; name?: string } = {}): Promise<Cluster> {
  const name = options.name ?? 'geodns-operator-test';
  return startSuitePlane({ name, audit: options.audit, crds: true, namespaces: ['web'] }, async (plane) => {
    const operatorKubeconfig = await plane.serviceAccountKubeconfig(
      SYSTEM_NAMESPACE,
      OPERATOR_ACCOUNT,
      path.join(plane.dir, 'operator.kubeconfig'),
    );
    const dnsKubeconfig = await plane.serviceAccountKubeconfig(
      SYSTEM_NAMESPACE,
      DNS_ACCOUNT,
      path.join(plane.dir, 'dns.kubeconfig'),
    );
    const admin = plane.admin();
    return {
      plane,
      adminKubeconfig: plane.adminKubeconfig,
      admin,
      operatorKubeconfig,
      operator: kubeConfigFrom(operatorKubeconfig),
      dnsKubeconfig,
      stop: () => plane.stop(),
      reset: () => reset(plane, admin),
    };
  });
}

async function reset(plane: ControlPlane, admin: KubeConfig): Promise<void> {
  // Pods bound to a Node wait for a kubelet to confirm their deletion: there is none, so they go at once.
  await plane.kubectl([
    'delete',
    'geozones,geoendpoints,healthprobes,services,pods,endpointslices,events',
    '-n',
    'web',
    '--all',
    '--grace-period=0',
    '--force',
    '--wait=true',
  ]);
  await plane.kubectl(['delete', 'configmaps,leases,events', '-n', SYSTEM_NAMESPACE, '--all', '--wait=true']);
  await plane.kubectl(['delete', 'events', '-n', 'default', '--all', '--wait=true']);
  // Nothing of ours is left in any namespace (a test that made another namespace deletes it itself).
  const custom = admin.makeApiClient(CustomObjectsApi);
  for (const plural of ['geozones', 'geoendpoints', 'healthprobes']) {
    const list = (await custom.listClusterCustomObject({ group: 'geodns.io', version: 'v1alpha1', plural })) as {
      items: unknown[];
    };
    if (list.items.length > 0) throw new Error(`reset left ${list.items.length} ${plural}`);
  }
  const core = admin.makeApiClient(CoreV1Api);
  const configMaps = await core.listNamespacedConfigMap({
    namespace: SYSTEM_NAMESPACE,
    labelSelector: DOCUMENT_LABEL,
  });
  if (configMaps.items.length > 0) throw new Error(`reset left the operator's ConfigMaps in ${SYSTEM_NAMESPACE}`);
}

/** Writes `status` into an object's status subresource (a merge patch with kubectl), as its controller would: a load
 *  balancer, a Gateway controller, an MCS implementation. */
export async function patchStatus(
  cluster: Pick<Cluster, 'plane'>,
  kind: string,
  namespace: string,
  name: string,
  status: object,
): Promise<void> {
  await cluster.plane.kubectl([
    'patch',
    kind,
    name,
    '-n',
    namespace,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}
