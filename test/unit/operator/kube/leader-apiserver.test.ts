// Leader election through the real @kubernetes/client-node against the real kube-apiserver, as the operator's
// ServiceAccount: who leads, takeover after a crash and after a release, conflicts. Real clock, short timings;
// assertions are about order and outcome.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { until } from '../../../support/until.ts';
import { electionOnControlPlane } from '../../../support/election.ts';
import { SYSTEM_NAMESPACE } from '../../../support/suite-plane.ts';

const w = electionOnControlPlane();

describe('leader election against the real API server', () => {
  it('of two electors exactly one leads, and the Lease names it in MicroTime', async () => {
    const a = w.elector('a');
    const b = w.elector('b');
    a.start();
    b.start();
    const first = await until('a leader', () => w.leaders()[0]);
    // Watch for a while: never two leaders at once.
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      expect(w.leaders().length).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(w.events[0]).toBe(`${first} started`);
    const { spec } = await w.lease();
    expect(spec?.holderIdentity).toBe(first);
    expect(spec?.leaseDurationSeconds).toBe(2); // 1.5 s rounded up
    expect(spec?.leaseTransitions).toBe(0);
    expect(String(spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(String(spec?.acquireTime)).toMatch(/\.\d{6}Z$/);
  });

  it('a leader that dies without releasing is replaced once its lease has expired', async () => {
    const a = w.elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const b = w.elector('b');
    b.start();
    await until('b sees a', () => b.leader === 'a');
    await a.stop({ release: false }); // a crash: timers stop, the Lease still names a
    expect((await w.lease()).spec?.holderIdentity).toBe('a');
    expect(b.isLeader()).toBe(false); // far less than a lease duration since b saw a renew
    await until('b leads', () => b.isLeader());
    expect(w.events).toEqual(['a started', 'a stopped', 'b started']);
    const { spec } = await w.lease();
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a crashed leader is replaced at the expiry of the renewal the watch brought, not at the next jittered read', async () => {
    // a renews every 0.4 s; b reads the Lease only every 2.9 s × 2.2 (the longest jitter) = 6.4 s, and the lease
    // lasts 4 s. Reading alone, b would date a's last renewal by its first read after the crash and take over a
    // lease duration after that: at least 6.4 s + 4 s after it began.
    const lease = { leaseDurationMs: 4000, renewDeadlineMs: 3500 };
    const a = w.elector('a', { ...lease, retryPeriodMs: 400 });
    a.start();
    await until('a leads', () => a.isLeader());
    const b = w.elector('b', { ...lease, retryPeriodMs: 2900, requestTimeoutMs: 1000, random: () => 0.9999 });
    b.start();
    await until('b sees a', () => b.leader === 'a');
    await sleep(1000); // a renews meanwhile: b's first read is out of date
    await a.stop({ release: false });
    const crashed = performance.now();
    const last = (await w.lease()).spec;
    expect(last?.holderIdentity).toBe('a');
    await until('b leads', () => b.isLeader(), { timeoutMs: 20_000, intervalMs: 10 });
    const elapsed = performance.now() - crashed;
    const taken = (await w.lease()).spec;
    expect(taken).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // Never before the lease expired: a's last renewal and b's acquisition, both stamped by this machine's clock.
    expect(Date.parse(String(taken?.acquireTime)) - Date.parse(String(last?.renewTime))).toBeGreaterThanOrEqual(
      lease.leaseDurationMs,
    );
    // And well before b's next read could have done it: within the lease plus less than one of b's retry periods.
    expect(elapsed).toBeLessThan(lease.leaseDurationMs + 2900);
    expect(w.events).toEqual(['a started', 'a stopped', 'b started']);
  });

  it('a leader that stops cleanly releases the Lease, and the standby takes it without waiting for expiry', async () => {
    // A lease of a minute: b could not get it within the test's time unless a released it.
    const slow = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000 };
    const a = w.elector('a', slow);
    a.start();
    await until('a leads', () => a.isLeader());
    const b = w.elector('b', slow);
    b.start();
    await until('b sees a', () => b.leader === 'a');
    await a.stop();
    const released = (await w.lease()).spec;
    // Unless b was quicker still and has already taken it.
    if (released?.holderIdentity !== 'b')
      expect(released).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await until('b leads', () => b.isLeader(), { timeoutMs: 5000 });
    expect(w.events).toEqual(['a started', 'a stopped', 'b started']);
    expect((await w.lease()).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a Lease changed by someone else (409 on the next renew) is read again and renewed, leadership kept', async () => {
    const a = w.elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    // Read and replace, again if a renewed in between (the real server's 409 for the administrator too).
    const touched = await until('the Lease touched', async () => {
      const current = await w.lease();
      return w.admin
        .replaceNamespacedLease({
          name: w.name,
          namespace: SYSTEM_NAMESPACE,
          body: { ...current, metadata: { ...current.metadata, labels: { touched: 'yes' } } },
        })
        .catch((error: { code?: number }) => {
          if (error.code === 409) return undefined;
          throw error;
        });
    });
    const touchedVersion = touched.metadata?.resourceVersion;
    // a's next renew is on top of the version it wrote, now stale: it must read and renew on the new one.
    const renewed = await until('a renews after the conflict', async () => {
      const now = await w.lease();
      return now.metadata?.resourceVersion !== touchedVersion && now;
    });
    expect(renewed.spec?.holderIdentity).toBe('a');
    // The real server refused the renew on the stale version: a 409 from it, not one injected.
    const updates = w.proxy.requests.filter((r) => r.verb === 'update' && r.name === w.name);
    expect(updates.some((r) => r.code === 409 && !r.injected)).toBe(true);
    expect(renewed.metadata?.labels).toEqual({ touched: 'yes' });
    expect(a.isLeader()).toBe(true);
    expect(w.events).toEqual(['a started']);
  });
});
