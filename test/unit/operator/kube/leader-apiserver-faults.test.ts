// Leader election through the real @kubernetes/client-node against the real kube-apiserver behind the fault proxy:
// errors, going away, slow answers. Real clock, short timings; assertions are about order and outcome.
import { describe, expect, it } from 'vitest';
import { until } from '../../../support/until.ts';
import { electionOnControlPlane } from '../../../support/election.ts';

const w = electionOnControlPlane();

describe('leader election against a failing API server', () => {
  it('API errors for longer than the renew deadline stop the leader; when they end one elector leads', async () => {
    const signals: AbortSignal[] = [];
    const a = w.elector('a', {
      onStartedLeading: (signal) => {
        signals.push(signal);
        w.events.push('a started');
      },
    });
    a.start();
    await until('a leads', () => a.isLeader());
    const b = w.elector('b');
    b.start();
    await until('b sees a', () => b.leader === 'a');
    w.proxy.fail({ status: 500 });
    await until('a stops leading', () => w.events.includes('a stopped'));
    expect(a.isLeader()).toBe(false);
    expect(signals[0]?.aborted).toBe(true);
    expect(w.leaders()).toEqual([]);
    w.proxy.clear();
    const next = await until('a leader again', () => w.leaders()[0]);
    expect(w.leaders()).toEqual([next]);
    expect(w.events.slice(0, 3)).toEqual(['a started', 'a stopped', `${next} started`]);
  });

  it('an API server that goes away stops the leader; when it comes back someone leads', async () => {
    const a = w.elector('a');
    const b = w.elector('b');
    a.start();
    b.start();
    const first = await until('a leader', () => w.leaders()[0]);
    await w.proxy.goAway();
    await until('the leader stops', () => w.events.includes(`${first} stopped`));
    expect(w.leaders()).toEqual([]);
    await w.proxy.comeBack();
    const next = await until('a leader again', () => w.leaders()[0]);
    expect(w.leaders()).toEqual([next]);
    expect(w.events.slice(0, 2)).toEqual([`${first} started`, `${first} stopped`]);
  });

  it('answers slower than the request timeout count as failed renews', async () => {
    const a = w.elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const slow = w.proxy.delay({ ms: 1000 }); // above the 500 ms request timeout
    await until('a stops leading', () => w.events.includes('a stopped'));
    expect(a.isLeader()).toBe(false);
    slow.clear();
    await until('a leads again', () => a.isLeader());
  });
});
