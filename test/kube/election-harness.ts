// Electors on the real @kubernetes/client-node against a fresh API test server per test, on the real clock with
// short timings (lease 1.5 s, renew deadline 1.2 s, retry 0.2 s, request timeout 0.5 s).
import { afterEach, beforeEach } from 'vitest';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaderElectorOptions } from '../../operator/kube/leader.ts';
import { ApiServer } from '../apiserver/server.ts';

export const NS = 'default';
export const NAME = 'geodns-operator';
export const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1200, retryPeriodMs: 200, requestTimeoutMs: 500 };

export interface Election {
  server: ApiServer;
  api: CoordinationV1Api;
  /** Every callback of every elector, in the order they happened ("a started", "a stopped"). */
  events: string[];
  elector(identity: string, extra?: Partial<LeaderElectorOptions>): LeaderElector;
  lease(): Promise<V1Lease>;
  /** The electors whose isLeader() is true now. */
  leaders(): string[];
}

/** Registers the hooks that start and stop the server and the electors; the fields are fresh in each test. */
export function electionOnApiServer(): Election {
  const electors: LeaderElector[] = [];
  const world: Election = {
    server: undefined as unknown as ApiServer,
    api: undefined as unknown as CoordinationV1Api,
    events: [],
    elector(identity, extra = {}) {
      const created = new LeaderElector({
        api: world.api,
        namespace: NS,
        name: NAME,
        identity,
        ...FAST,
        onStartedLeading: () => world.events.push(`${identity} started`),
        onStoppedLeading: () => world.events.push(`${identity} stopped`),
        ...extra,
      });
      electors.push(created);
      return created;
    },
    lease: () => world.api.readNamespacedLease({ name: NAME, namespace: NS }),
    leaders: () => electors.filter((e) => e.isLeader()).map((e) => e.identity),
  };
  beforeEach(async () => {
    world.server = await ApiServer.start();
    const config = new KubeConfig();
    config.loadFromString(world.server.kubeconfig());
    world.api = config.makeApiClient(CoordinationV1Api);
    world.events = [];
  });
  afterEach(async () => {
    world.server.faults.clear();
    await world.server.comeBack();
    await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
    await world.server.close();
  });
  return world;
}
