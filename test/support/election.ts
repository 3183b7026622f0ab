// Electors on the real @kubernetes/client-node against the real kube-apiserver, one control plane per test file
// (./suite-plane.ts) and a fresh Lease per test. The electors are the operator's ServiceAccount (exactly
// deploy/rbac/operator.yaml) and reach the API server through the fault proxy, which a test makes fail, slow or go
// away; the test reads and writes the Lease as the administrator, directly. Real clock, short timings (lease 1.5 s,
// renew deadline 1.2 s, retry 0.2 s, request timeout 0.5 s).
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaderElectorOptions, type WatchLease } from '../../operator/kube/leader.ts';
import { leaseWatch } from '../../operator/kube/api.ts';
import type { ControlPlane } from '../../tools/control-plane/control-plane.ts';
import { FaultProxy } from '../../tools/control-plane/fault-proxy.ts';
import { kubeConfigFrom, OPERATOR_ACCOUNT, startSuitePlane, SYSTEM_NAMESPACE } from './suite-plane.ts';

export const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1200, retryPeriodMs: 200, requestTimeoutMs: 500 };

export interface Election {
  plane: ControlPlane;
  proxy: FaultProxy;
  /** The Lease API as the electors use it: the operator's ServiceAccount, through the proxy. */
  api: CoordinationV1Api;
  /** The Lease watch as the electors use it: the operator's ServiceAccount, through the proxy. */
  watch: WatchLease;
  /** The Lease API as the administrator, straight to the API server. */
  admin: CoordinationV1Api;
  /** This test's Lease. */
  name: string;
  /** Every callback of every elector, in the order they happened ("a started", "a stopped"). */
  events: string[];
  elector(identity: string, extra?: Partial<LeaderElectorOptions>): LeaderElector;
  lease(): Promise<V1Lease>;
  /** The electors whose isLeader() is true now. */
  leaders(): string[];
}

/** Registers the hooks that start and stop the control plane, the proxy and the electors. */
export function electionOnControlPlane(): Election {
  const electors: LeaderElector[] = [];
  let serial = 0;
  const world: Election = {
    plane: undefined as unknown as ControlPlane,
    proxy: undefined as unknown as FaultProxy,
    api: undefined as unknown as CoordinationV1Api,
    watch: undefined as unknown as WatchLease,
    admin: undefined as unknown as CoordinationV1Api,
    name: '',
    events: [],
    elector(identity, extra = {}) {
      const created = new LeaderElector({
        api: world.api,
        watch: world.watch,
        namespace: SYSTEM_NAMESPACE,
        name: world.name,
        identity,
        ...FAST,
        onStartedLeading: () => world.events.push(`${identity} started`),
        onStoppedLeading: () => world.events.push(`${identity} stopped`),
        ...extra,
      });
      electors.push(created);
      return created;
    },
    lease: () => world.admin.readNamespacedLease({ name: world.name, namespace: SYSTEM_NAMESPACE }),
    leaders: () => electors.filter((e) => e.isLeader()).map((e) => e.identity),
  };
  beforeAll(async () => {
    await startSuitePlane({ name: 'geodns-election' }, async (plane) => {
      world.plane = plane;
      world.proxy = await FaultProxy.start(plane);
      const file = path.join(plane.dir, 'operator.kubeconfig');
      const kubeconfig = await world.proxy.serviceAccountKubeconfig(SYSTEM_NAMESPACE, OPERATOR_ACCOUNT, file);
      const config = kubeConfigFrom(kubeconfig);
      world.api = config.makeApiClient(CoordinationV1Api);
      world.watch = leaseWatch(config);
      world.admin = plane.admin().makeApiClient(CoordinationV1Api);
    });
  }, 120_000);
  afterAll(async () => {
    await world.proxy?.close();
    await world.plane?.stop();
  });
  beforeEach(() => {
    serial += 1;
    world.name = `geodns-operator-${serial}`;
    world.events = [];
  });
  afterEach(async () => {
    world.proxy.clear();
    await world.proxy.comeBack();
    await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
  });
  return world;
}
