// The elector's loop on fake timers against an in-memory Lease API, with client-go's default timings
// (lease 15 s, renew deadline 10 s, retry 2 s).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector, defaultIdentity, type LeaderElectorOptions } from '../../../../operator/kube/leader.ts';
import type { V1Lease } from '@kubernetes/client-node';
import { FakeLeaseApi } from '../../../support/fake-lease-api.ts';

const NS = 'geodns';
const NAME = 'geodns-operator';
const START = 1_000_000;

interface Candidate {
  elector: LeaderElector;
  events: string[];
  signals: AbortSignal[];
}

let fake: FakeLeaseApi;
let running: LeaderElector[];
const byIdentity = new Map<string, Candidate>();
const candidates = (identity: string): Candidate => byIdentity.get(identity) as Candidate;

function candidate(identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const events: string[] = [];
  const signals: AbortSignal[] = [];
  const elector = new LeaderElector({
    api: fake.api,
    watch: fake.watch,
    namespace: NS,
    name: NAME,
    identity,
    now: () => Date.now(),
    random: () => 0,
    onStartedLeading: (signal) => {
      signals.push(signal);
      events.push(`started@${Date.now() - START}`);
    },
    onStoppedLeading: () => events.push(`stopped@${Date.now() - START}`),
    onNewLeader: (holder) => events.push(`leader ${holder}`),
    ...extra,
  });
  running.push(elector);
  const made = { elector, events, signals };
  byIdentity.set(identity, made);
  return made;
}

const tick = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);
const holder = (): string | undefined => fake.get(NS, NAME)?.spec?.holderIdentity;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  fake = new FakeLeaseApi();
  running = [];
});
afterEach(async () => {
  fake.fault = undefined;
  await Promise.all(running.map((elector) => elector.stop({ release: false })));
  vi.useRealTimers();
});

describe('LeaderElector: acquiring', () => {
  it('creates the Lease, leads, and renews it every retry period', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader a', 'started@0']);
    const lease = fake.get(NS, NAME);
    expect(lease?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(lease?.spec?.renewTime).toBe(lease?.spec?.acquireTime);
    const firstRenew = lease?.spec?.renewTime as unknown as string;
    await tick(2000);
    const renewed = fake.get(NS, NAME)?.spec;
    expect(renewed?.renewTime).not.toBe(firstRenew);
    expect(renewed?.acquireTime).toBe(lease?.spec?.acquireTime);
    // The leader renews on top of what it wrote, without reading first.
    expect(fake.requests.slice(-1)).toEqual([{ verb: 'replace', holder: 'a' }]);
    expect(fake.requests.filter((r) => r.verb === 'read')).toHaveLength(1); // the first one, which found nothing
  });

  it('of two candidates exactly one leads, and the other keeps waiting while it renews', async () => {
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    b.elector.start();
    for (let t = 0; t < 60_000; t += 250) {
      await tick(250);
      expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    }
    expect(a.events.filter((e) => e.startsWith('started'))).toHaveLength(1);
    expect(b.events).toEqual(['leader a']);
    expect(b.elector.leader).toBe('a');
  });

  it('a create that loses to another candidate (409) is followed by a read on the next try', async () => {
    fake.put({ metadata: { name: NAME, namespace: NS } }); // appears between our read (404) and our create
    const b = candidate('b');
    fake.put({
      metadata: { name: NAME, namespace: NS },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z' as never },
    });
    b.elector.start();
    await tick(0);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader).toBe('a');
  });
});

describe('LeaderElector: taking over', () => {
  it('after a crash (no release) the standby takes over the instant the record has not changed for a lease duration', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    // The longest jitter: b reads the Lease at 0, 4.4 s, 8.8 s ... and none of its reads falls on the expiry.
    const b = candidate('b', { random: () => 0.9999 });
    b.elector.start();
    await tick(5000);
    await a.elector.stop({ release: false }); // a's last renew was at 4 s; b's watch brought it at 4 s
    const stoppedAt = Date.now() - START;
    expect(holder()).toBe('a');
    await tick(4000 + 15_000 - stoppedAt - 1);
    expect(b.elector.isLeader()).toBe(false);
    await tick(1); // 4 s + the lease duration: not b's next read
    expect(b.elector.isLeader()).toBe(true);
    expect(b.events).toEqual(['leader a', 'leader b', 'started@19000']);
    expect(fake.get(NS, NAME)?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('with the watch down, a renewal is dated by the read that saw it, and the standby still tries at the expiry', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    // Reads at 0 and 4.4 s (then 8.8 s ... 22 s): the one at 4.4 s sees a's renew of 4 s.
    const b = candidate('b', { random: () => 0.9999, watch: () => ({ stop: () => Promise.resolve() }) });
    b.elector.start();
    await tick(5000);
    await a.elector.stop({ release: false });
    await tick(19_350 - 5000);
    expect(b.elector.isLeader()).toBe(false);
    await tick(100); // 4.4 s + the lease duration, not b's read at 22 s
    expect(b.elector.isLeader()).toBe(true);
    // a's first; b's every 4.4 s from 0 to 17.6 s; the one at the expiry, before b's write
    expect(fake.requests.filter((r) => r.verb === 'read')).toHaveLength(1 + 5 + 1);
  });

  it('a version the watch brings late (older than one already read) is ignored: it does not move the expiry', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    let deliver: (lease: V1Lease) => void = () => {};
    const b = candidate('b', {
      random: () => 0.9999,
      watch: (_namespace, _name, handlers) => {
        deliver = (lease) => handlers.lease(lease);
        return { stop: () => Promise.resolve() };
      },
    });
    b.elector.start();
    await tick(5000); // b's read at 4.4 s saw a's renew of 4 s
    await a.elector.stop({ release: false });
    const first = fake.get(NS, NAME);
    await tick(1000);
    // a's first version (resourceVersion 1, renewed at 0 s), brought by the watch only now.
    deliver({
      ...first,
      metadata: { ...first?.metadata, resourceVersion: '1' },
      spec: { ...first?.spec, renewTime: 'stale' as never },
    });
    await tick(19_450 - 6000);
    expect(b.elector.isLeader()).toBe(true); // 4.4 s + 15 s, not 6 s + 15 s
  });

  it('a renewal the watch brings between two reads moves the expiry: no takeover while the leader renews', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const b = candidate('b', { random: () => 0.9999 });
    b.elector.start();
    // b reads only every 4.4 s; the lease is 15 s: without the watch's renewals b would still wait, but it must
    // also never try early: its expiry follows each renewal it saw.
    for (let t = 0; t < 60_000; t += 500) {
      await tick(500);
      expect(b.elector.isLeader()).toBe(false);
    }
    expect(fake.conflicts).toEqual([]);
    expect(fake.requests.filter((r) => r.verb === 'replace' && r.holder === 'b')).toEqual([]);
  });

  it('two standbys racing for an expired Lease: one wins, the other gets a 409 and waits', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const b = candidate('b');
    const c = candidate('c');
    b.elector.start();
    c.elector.start(); // the same jitter (random 0): b and c try at the same instants
    fake.latencyMs = 10; // so that both reads are answered before either write
    await tick(1000);
    await a.elector.stop({ release: false });
    for (let t = 0; t < 40_000; t += 100) {
      await tick(100);
      expect([b.elector.isLeader(), c.elector.isLeader()].filter(Boolean).length).toBeLessThanOrEqual(1);
    }
    const winner = holder();
    expect(['b', 'c']).toContain(winner);
    const loser = winner === 'b' ? 'c' : 'b';
    expect(fake.conflicts).toContain(loser);
    expect(fake.get(NS, NAME)?.spec?.leaseTransitions).toBe(1);
    expect(candidates(loser).events).toEqual(['leader a', `leader ${winner}`]);
  });

  it('a clean stop releases the Lease and the standby takes over at once (the watch brings the release)', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const b = candidate('b');
    b.elector.start();
    await tick(3000);
    await a.elector.stop();
    expect(a.events).toEqual(['leader a', 'started@0', 'stopped@3000']);
    expect(fake.get(NS, NAME)?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await tick(0);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.events).toEqual(['leader a', 'leader b', 'started@3000']);
    expect(fake.get(NS, NAME)?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it("judges expiry by the local clock only: a holder's wall clock far ahead or behind changes nothing", async () => {
    for (const skew of [365 * 24 * 3600_000, -30 * 365 * 24 * 3600_000]) {
      fake = new FakeLeaseApi();
      const a = candidate('a', { wallClock: () => Date.now() + skew });
      const b = candidate('b');
      a.elector.start();
      await tick(0);
      b.elector.start();
      await tick(30_000);
      expect(b.elector.isLeader()).toBe(false); // renewing: b waits, however old or new the renewTime looks
      await a.elector.stop({ release: false });
      await tick(14_000);
      expect(b.elector.isLeader()).toBe(false);
      await tick(4000);
      expect(b.elector.isLeader()).toBe(true);
      await b.elector.stop();
    }
  });

  it('a leader that sees another holder in the Lease stops leading at once', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const lease = fake.get(NS, NAME);
    fake.put({ ...lease, spec: { ...lease?.spec, holderIdentity: 'intruder' } });
    await tick(2000); // the renew hits a 409, the read shows the intruder
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['leader a', 'started@0', 'stopped@2000', 'leader intruder']);
    expect(a.signals[0]?.aborted).toBe(true);
  });
});

describe('LeaderElector: failing to renew', () => {
  it('API errors for longer than the renew deadline: isLeader turns false at the deadline and onStoppedLeading fires', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(4000); // last successful renew started at 4 s: deadline 14 s
    fake.fault = { kind: 'error', code: 500 };
    await tick(9999);
    expect(a.elector.isLeader()).toBe(true);
    await tick(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['leader a', 'started@0', 'stopped@14000']);
    expect(a.signals[0]?.aborted).toBe(true);
  });

  it('isLeader is false after the deadline even before any timer has run', async () => {
    let now = 0;
    const a = candidate('a', { now: () => now });
    a.elector.start();
    await tick(0);
    expect(a.elector.isLeader()).toBe(true);
    now = 9999;
    expect(a.elector.isLeader()).toBe(true);
    now = 10_000; // no timer has fired: the event loop could be busy
    expect(a.elector.isLeader()).toBe(false);
  });

  it('requests that never answer count as failed attempts (each abandoned after the request timeout)', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    fake.fault = { kind: 'hang' };
    await tick(10_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toContain('stopped@10000');
    // Renew attempts kept going after each timeout instead of waiting on the hung request.
    expect(fake.requests.filter((r) => r.verb === 'replace').length).toBeGreaterThanOrEqual(2);
  });

  it('a short outage within the renew deadline keeps the leadership', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    fake.fault = { kind: 'error', code: 429 };
    await tick(6000);
    fake.fault = undefined;
    await tick(2000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader a', 'started@0']);
  });

  it('once the API is back, a leader that lost by the deadline leads again if nobody took the Lease', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    fake.fault = { kind: 'error', code: 503 };
    await tick(12_000);
    expect(a.elector.isLeader()).toBe(false);
    fake.fault = undefined;
    await tick(2000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events.filter((e) => !e.startsWith('leader'))).toEqual(['started@0', 'stopped@10000', 'started@14000']);
    expect(a.signals).toHaveLength(2);
    expect(a.signals[1]?.aborted).toBe(false);
  });

  it('a conflict on renew (someone touched the Lease) is resolved by reading it again', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const lease = fake.get(NS, NAME);
    fake.put({ ...lease, metadata: { ...lease?.metadata, labels: { touched: 'yes' } } }); // a new resourceVersion
    await tick(2000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events).toEqual(['leader a', 'started@0']);
    expect(fake.requests.slice(-3).map((r) => r.verb)).toEqual(['replace', 'read', 'replace']);
    expect(fake.get(NS, NAME)?.metadata?.labels).toEqual({ touched: 'yes' });
  });
});

describe('LeaderElector: options and lifecycle', () => {
  const base = {
    api: {} as FakeLeaseApi['api'],
    watch: () => ({ stop: () => Promise.resolve() }),
    namespace: NS,
    name: NAME,
    identity: 'a',
  };
  const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };

  it('refuses timings that break the guarantees, with the numbers in the message', () => {
    expect(
      () => new LeaderElector({ ...base, ...callbacks, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
    ).toThrow(/leaseDurationMs \(10000\) must be greater than renewDeadlineMs \(10000\)/);
    expect(() => new LeaderElector({ ...base, ...callbacks, retryPeriodMs: 9000 })).toThrow(
      /renewDeadlineMs \(10000\) must be greater than 1.2 × retryPeriodMs \(9000\)/,
    );
    expect(() => new LeaderElector({ ...base, ...callbacks, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
  });

  it('the default identity is the host name and a random suffix, different each time', () => {
    const one = defaultIdentity();
    expect(one).toMatch(/^.+_[0-9a-f-]{36}$/);
    expect(defaultIdentity()).not.toBe(one);
  });

  it('refuses an empty identity, name or namespace', () => {
    expect(() => new LeaderElector({ ...base, ...callbacks, identity: '' })).toThrow(/non-empty identity/);
    expect(() => new LeaderElector({ ...base, ...callbacks, name: '' })).toThrow(/non-empty name/);
    expect(() => new LeaderElector({ ...base, ...callbacks, namespace: '' })).toThrow(/non-empty namespace/);
  });

  it('starts once, and stop before start or twice is harmless', async () => {
    const a = candidate('a');
    await a.elector.stop();
    expect(() => a.elector.start()).toThrow(/starts once/);
    const b = candidate('b');
    b.elector.start();
    await tick(0);
    await Promise.all([b.elector.stop(), b.elector.stop()]);
    expect(b.events).toEqual(['leader b', 'started@0', 'stopped@0']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('isLeader is false as soon as stop is called, before the release is written', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    fake.latencyMs = 50;
    const stopping = a.elector.stop();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['leader a', 'started@0', 'stopped@0']);
    expect(holder()).toBe('a');
    await tick(50);
    await stopping;
    expect(holder()).toBe('');
  });

  it('releases even when the renew stop() abandoned reached the server (409 on release, read, release)', async () => {
    fake.latencyMs = 50;
    const a = candidate('a');
    a.elector.start();
    await tick(100); // read (404), create: leading from 100
    await tick(2020); // the renew sent at 2100 is applied at 2150
    const stopping = a.elector.stop();
    await tick(500);
    await stopping;
    expect(fake.requests.map((r) => r.verb)).toEqual(['read', 'create', 'replace', 'replace', 'read', 'replace']);
    expect(fake.get(NS, NAME)?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
  });

  it('a callback that throws does not break the loop', async () => {
    const a = candidate('a', {
      onStartedLeading: () => {
        throw new Error('boom');
      },
    });
    a.elector.start();
    await tick(4000);
    expect(a.elector.isLeader()).toBe(true);
  });

  it('a standby stopped with release leaves the Lease alone', async () => {
    const a = candidate('a');
    a.elector.start();
    await tick(0);
    const b = candidate('b');
    b.elector.start();
    await tick(1000);
    const before = fake.get(NS, NAME)?.metadata?.resourceVersion;
    await b.elector.stop();
    expect(fake.get(NS, NAME)?.metadata?.resourceVersion).toBe(before);
    expect(holder()).toBe('a');
  });
});
