// Leader election through the real @kubernetes/client-node against the API test server, on the real clock with
// short timings (lease 1.5 s, renew deadline 1.2 s, retry 0.2 s). Assertions are about order and outcome.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaderElectorOptions } from '../../operator/kube/leader.ts';
import { ApiServer } from '../apiserver/server.ts';
import { until } from '../apiserver/harness.ts';

const NS = 'default';
const NAME = 'geodns-operator';
const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1200, retryPeriodMs: 200, requestTimeoutMs: 500 };

let server: ApiServer;
let api: CoordinationV1Api;
let electors: LeaderElector[];
/** Every callback of every elector, in the order they happened. */
let events: string[];

function elector(identity: string, extra: Partial<LeaderElectorOptions> = {}): LeaderElector {
  const created = new LeaderElector({
    api,
    namespace: NS,
    name: NAME,
    identity,
    ...FAST,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
    ...extra,
  });
  electors.push(created);
  return created;
}

const lease = (): Promise<V1Lease> => api.readNamespacedLease({ name: NAME, namespace: NS });
const leaders = (): string[] => electors.filter((e) => e.isLeader()).map((e) => e.identity);

beforeEach(async () => {
  server = await ApiServer.start();
  const config = new KubeConfig();
  config.loadFromString(server.kubeconfig());
  api = config.makeApiClient(CoordinationV1Api);
  electors = [];
  events = [];
});

afterEach(async () => {
  server.faults.clear();
  await server.comeBack();
  await Promise.all(electors.map((e) => e.stop({ release: false })));
  await server.close();
});

describe('leader election against the API test server', () => {
  it('of two electors exactly one leads, and the Lease names it in MicroTime', async () => {
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    const first = await until('a leader', () => leaders()[0]);
    // Watch for a while: never two leaders at once.
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      expect(leaders().length).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(events[0]).toBe(`${first} started`);
    const { spec } = await lease();
    expect(spec?.holderIdentity).toBe(first);
    expect(spec?.leaseDurationSeconds).toBe(2); // 1.5 s rounded up
    expect(spec?.leaseTransitions).toBe(0);
    expect(String(spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(String(spec?.acquireTime)).toMatch(/\.\d{6}Z$/);
  });

  it('a leader that dies without releasing is replaced once its lease has expired', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b');
    b.start();
    await until('b sees a', () => b.leader === 'a');
    await a.stop({ release: false }); // a crash: timers stop, the Lease still names a
    expect((await lease()).spec?.holderIdentity).toBe('a');
    expect(b.isLeader()).toBe(false); // far less than a lease duration since b saw a renew
    await until('b leads', () => b.isLeader());
    expect(events).toEqual(['a started', 'a stopped', 'b started']);
    const { spec } = await lease();
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that stops cleanly releases the Lease, and the standby takes it without waiting for expiry', async () => {
    // A lease of a minute: b could not get it within the test's time unless a released it.
    const slow = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000 };
    const a = elector('a', slow);
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b', slow);
    b.start();
    await until('b sees a', () => b.leader === 'a');
    await a.stop();
    const released = (await lease()).spec;
    // Unless b was quicker still and has already taken it.
    if (released?.holderIdentity !== 'b')
      expect(released).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await until('b leads', () => b.isLeader(), 5000);
    expect(events).toEqual(['a started', 'a stopped', 'b started']);
    expect((await lease()).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('API errors for longer than the renew deadline stop the leader; when they end one elector leads', async () => {
    const signals: AbortSignal[] = [];
    const a = elector('a', {
      onStartedLeading: (signal) => {
        signals.push(signal);
        events.push('a started');
      },
    });
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b');
    b.start();
    await until('b sees a', () => b.leader === 'a');
    server.faults.fail({ status: 500, count: Infinity });
    await until('a stops leading', () => events.includes('a stopped'));
    expect(a.isLeader()).toBe(false);
    expect(signals[0]?.aborted).toBe(true);
    expect(leaders()).toEqual([]);
    server.faults.clear();
    const next = await until('a leader again', () => leaders()[0]);
    expect(leaders()).toEqual([next]);
    expect(events.slice(0, 3)).toEqual(['a started', 'a stopped', `${next} started`]);
  });

  it('an API server that goes away stops the leader; when it comes back someone leads', async () => {
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    const first = await until('a leader', () => leaders()[0]);
    await server.goAway();
    await until('the leader stops', () => events.includes(`${first} stopped`));
    expect(leaders()).toEqual([]);
    await server.comeBack();
    const next = await until('a leader again', () => leaders()[0]);
    expect(leaders()).toEqual([next]);
    expect(events.slice(0, 2)).toEqual([`${first} started`, `${first} stopped`]);
  });

  it('answers slower than the request timeout count as failed renews', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    server.faults.delayMs = 1000; // above the 500 ms request timeout
    await until('a stops leading', () => events.includes('a stopped'));
    expect(a.isLeader()).toBe(false);
    server.faults.delayMs = 0;
    await until('a leads again', () => a.isLeader());
  });

  it('a Lease changed by someone else (409 on the next renew) is read again and renewed, leadership kept', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const current = await lease();
    const touched = await api.replaceNamespacedLease({
      name: NAME,
      namespace: NS,
      body: { ...current, metadata: { ...current.metadata, labels: { touched: 'yes' } } },
    });
    const touchedVersion = touched.metadata?.resourceVersion;
    // a's next renew is on top of the version it wrote, now stale: it must read and renew on the new one.
    const renewed = await until('a renews after the conflict', async () => {
      const now = await lease();
      return now.metadata?.resourceVersion !== touchedVersion && now;
    });
    expect(renewed.spec?.holderIdentity).toBe('a');
    expect(renewed.metadata?.labels).toEqual({ touched: 'yes' });
    expect(a.isLeader()).toBe(true);
    expect(events).toEqual(['a started']);
  });
});
