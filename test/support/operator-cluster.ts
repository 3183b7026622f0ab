// A real control plane as the operator meets it in a cluster: our CRDs applied with kubectl, the namespaces
// `geodns-system` (the operator's) and `web` (an application team's), deploy/rbac/*.yaml applied with kubectl, and
// real ServiceAccount-token kubeconfigs for the operator (`geodns-operator`) and the DNS server (`geodns-dns`), so
// both run with exactly the RBAC a user installs. The test itself is the administrator.
//
// One control plane serves a test file; reset() between its tests deletes what the tests made (our resources,
// Services, Pods, slices, Events, the operator's ConfigMaps and Lease), as envtest suites share one API server.
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { DOCUMENT_LABEL } from '../../api/configmaps.ts';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/control-plane.ts';

export const OPERATOR_NAMESPACE = 'geodns-system';
export const OPERATOR_ACCOUNT = 'geodns-operator';
export const DNS_ACCOUNT = 'geodns-dns';

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

const loaded = (file: string): KubeConfig => {
  const config = new KubeConfig();
  config.loadFromFile(file);
  return config;
};

export async function startCluster(options: { audit?: boolean; name?: string } = {}): Promise<Cluster> {
  const plane = await startControlPlane({ name: options.name ?? 'geodns-operator-test', audit: options.audit });
  try {
    await plane.kubectl(['apply', '-f', 'crds/']);
    await plane.kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'crds/']);
    await plane.kubectl(['create', 'namespace', OPERATOR_NAMESPACE]);
    await plane.kubectl(['create', 'namespace', 'web']);
    await plane.kubectl(['apply', '-f', 'deploy/rbac/']);
    const operatorKubeconfig = await plane.serviceAccountKubeconfig(
      OPERATOR_NAMESPACE,
      OPERATOR_ACCOUNT,
      path.join(plane.dir, 'operator.kubeconfig'),
    );
    const dnsKubeconfig = await plane.serviceAccountKubeconfig(
      OPERATOR_NAMESPACE,
      DNS_ACCOUNT,
      path.join(plane.dir, 'dns.kubeconfig'),
    );
    const admin = plane.admin();
    return {
      plane,
      adminKubeconfig: plane.adminKubeconfig,
      admin,
      operatorKubeconfig,
      operator: loaded(operatorKubeconfig),
      dnsKubeconfig,
      stop: () => plane.stop(),
      reset: () => reset(plane, admin),
    };
  } catch (error) {
    await plane.stop();
    throw error;
  }
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
  await plane.kubectl(['delete', 'configmaps,leases,events', '-n', OPERATOR_NAMESPACE, '--all', '--wait=true']);
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
    namespace: OPERATOR_NAMESPACE,
    labelSelector: DOCUMENT_LABEL,
  });
  if (configMaps.items.length > 0) throw new Error(`reset left the operator's ConfigMaps in ${OPERATOR_NAMESPACE}`);
}
