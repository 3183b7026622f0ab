// Pods without a kubelet: a test creates a Node object and Pods bound to it, then sets their status (pod IPs, the
// Ready condition) as a kubelet would; the real EndpointSlice controller turns them into slices.
//
// Addresses: a Pod's IP ends up in an EndpointSlice, where Kubernetes refuses loopback. An address that something
// contacts belongs to a pod host (pod-host.ts); any other pod IP is taken from 192.0.2.0/24 (TEST-NET-1, RFC 5737)
// and is never contacted by any test.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';

export const NODE_NAME = 'test-node';

/** An address for a Pod nothing contacts: TEST-NET-1, one per index (1..254). */
export const uncontactedAddress = (index: number): string => `192.0.2.${index}`;

export async function ensureNode(core: CoreV1Api, name = NODE_NAME): Promise<void> {
  try {
    await core.createNode({ body: { metadata: { name, labels: { 'topology.kubernetes.io/zone': 'test-a' } } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
  ready: boolean;
  /** Container ports (named ports for Services whose targetPort is a name). */
  ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
}

/** Creates a Pod bound to the test Node and sets its status: Running, its IP, Ready as asked. */
export async function createPod(core: CoreV1Api, spec: PodSpec): Promise<V1Pod> {
  await ensureNode(core);
  await core.createNamespacedPod({
    namespace: spec.namespace,
    body: {
      metadata: { name: spec.name, labels: spec.labels },
      spec: {
        nodeName: NODE_NAME,
        automountServiceAccountToken: false,
        containers: [{ name: 'main', image: 'registry.invalid/none:1', ports: spec.ports ?? [] }],
      },
    },
  });
  return setPodReady(core, spec.namespace, spec.name, spec.ready, spec.ip);
}

/** Sets a Pod's status as a kubelet would report a running container that is (or is not) ready. */
export async function setPodReady(
  core: CoreV1Api,
  namespace: string,
  name: string,
  ready: boolean,
  ip?: string,
): Promise<V1Pod> {
  const pod = await core.readNamespacedPodStatus({ namespace, name });
  const now = new Date();
  const address = ip ?? pod.status?.podIP;
  if (!address) throw new Error(`pod ${namespace}/${name} has no IP: give one`);
  const status = ready ? 'True' : 'False';
  pod.status = {
    ...pod.status,
    phase: 'Running',
    hostIP: '192.0.2.254',
    podIP: address,
    podIPs: [{ ip: address }],
    startTime: pod.status?.startTime ?? now,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status, lastTransitionTime: now },
      { type: 'Ready', status, lastTransitionTime: now },
    ],
  };
  return core.replaceNamespacedPodStatus({ namespace, name, body: pod });
}
