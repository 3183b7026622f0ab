// Health per address family: a probe that failed for want of a route from the prober (probe.ts noRoute) is no
// verdict on the target. The real no-route connect errors come from a network namespace without IPv6 in
// test/integration/operator/family-health.test.ts; here the scheduler gets its results from a function the test
// steers, to walk every transition.
import { afterEach, describe, expect, it } from 'vitest';
import { familyOf, familyReach, shownState, summarizeFamilies } from '../../../../operator/prober/families.ts';
import { buildHealthTable } from '../../../../operator/prober/health-table.ts';
import type { ProbeResult } from '../../../../operator/prober/probe.ts';
import { ProbeScheduler, type ProbeChangeEvent } from '../../../../operator/prober/scheduler.ts';
import { applyResult, initialHealth } from '../../../../operator/prober/thresholds.ts';
import { spec } from '../../../support/probe-targets.ts';
import { until } from '../../../support/until.ts';

const NO_ROUTE: ProbeResult = { ok: false, latencyMs: 0, error: 'connect ENETUNREACH', noRoute: true };
const thresholds = { failureThreshold: 3, successThreshold: 1 };

describe('a no-route result', () => {
  it('leaves the state and its counters as they were and counts apart', () => {
    let health = applyResult(initialHealth(0), { ok: true, latencyMs: 1 }, thresholds, 1).next;
    health = applyResult(health, { ok: false, latencyMs: 1, error: 'HTTP 503' }, thresholds, 2).next;
    for (let i = 0; i < 5; i++) {
      const step = applyResult(health, NO_ROUTE, thresholds, 3 + i);
      expect(step.changed).toBe(false);
      health = step.next;
    }
    expect(health).toMatchObject({
      state: 'Up',
      consecutiveFailures: 1,
      noRouteFailures: 5,
      lastError: 'connect ENETUNREACH',
      lastChange: 1,
      probes: 7,
    });
    health = applyResult(health, { ok: false, latencyMs: 1, error: 'timeout' }, thresholds, 9).next;
    expect(health).toMatchObject({ state: 'Up', consecutiveFailures: 2, noRouteFailures: 0 });
  });

  it('shows the address Unknown while its family is unreachable, and as a failure while the family is reached', () => {
    let health = applyResult(initialHealth(0), { ok: true, latencyMs: 1 }, thresholds, 1).next;
    health = applyResult(health, NO_ROUTE, thresholds, 2).next;
    expect(shownState(health, 'Unreachable', 3)).toEqual({ state: 'Unknown', unreachable: true });
    expect(shownState(health, 'Reachable', 3)).toEqual({ state: 'Up', unreachable: false });
    health = applyResult(applyResult(health, NO_ROUTE, thresholds, 3).next, NO_ROUTE, thresholds, 4).next;
    expect(shownState(health, 'Reachable', 3)).toEqual({ state: 'Down', unreachable: false });
    expect(shownState(health, 'Unreachable', 3)).toEqual({ state: 'Unknown', unreachable: true });
  });

  it('makes a family unreachable only while none of its addresses is reached', () => {
    expect(familyReach({ reached: 0, noRoute: 0 })).toBe('Unknown');
    expect(familyReach({ reached: 0, noRoute: 2 })).toBe('Unreachable');
    expect(familyReach({ reached: 1, noRoute: 2 })).toBe('Reachable');
    expect(['192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'].map(familyOf)).toEqual(['IPv4', 'IPv6', 'IPv6']);
  });
});

describe('the health table with a family the prober cannot reach', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('takes the target health from the other family', () => {
    const table = buildHealthTable(
      [
        { targetId: 'ns/www/eu', address: '10.0.0.1', state: 'Up' },
        { targetId: 'ns/www/eu', address: '2001:db8::1', state: 'Unknown', unreachable: true, known: 'Down' },
        { targetId: 'ns/www/us', address: '10.0.1.1', state: 'Down', lastError: 'HTTP 503 not in 200-399' },
        { targetId: 'ns/www/us', address: '2001:db8::2', state: 'Unknown', unreachable: true, known: 'Up' },
      ],
      null,
      now,
    );
    expect(table.targets).toEqual({
      'ns/www/eu': { up: true, since: now.toISOString() },
      'ns/www/us': {
        up: false,
        since: now.toISOString(),
        downAddresses: ['10.0.1.1'],
        reason: '10.0.1.1: HTTP 503 not in 200-399',
      },
    });
  });

  it('keeps what the addresses last showed when no family of the target is reachable', () => {
    const table = buildHealthTable(
      [
        { targetId: 'ns/www/eu', address: '10.0.0.1', state: 'Unknown', unreachable: true, known: 'Down' },
        { targetId: 'ns/www/eu', address: '2001:db8::1', state: 'Unknown', unreachable: true, known: 'Down' },
        { targetId: 'ns/www/us', address: '2001:db8::2', state: 'Unknown', unreachable: true, known: 'Up' },
      ],
      null,
      now,
    );
    expect(table.targets['ns/www/eu']).toMatchObject({ up: false, downAddresses: ['10.0.0.1', '2001:db8::1'] });
    expect(table.targets['ns/www/us']).toEqual({ up: true, since: now.toISOString() });
  });
});

describe('summarizeFamilies', () => {
  it('counts each family of a probe and says what an unreachable one means', () => {
    const summary = summarizeFamilies(
      [
        { address: '127.0.0.1', state: 'Up' },
        { address: '2001:db8::1', state: 'Unknown', lastError: 'connect ENETUNREACH 2001:db8::1:80' },
        { address: '2001:db8::1', state: 'Unknown', lastError: 'connect ENETUNREACH 2001:db8::1:80' },
      ],
      { IPv4: 'Reachable', IPv6: 'Unreachable' },
    );
    expect(summary).toEqual([
      { family: 'IPv4', reachable: 'True', addresses: 1, up: 1, down: 0, unknown: 0 },
      {
        family: 'IPv6',
        reachable: 'False',
        addresses: 1,
        up: 0,
        down: 0,
        unknown: 1,
        message:
          'the prober has no route to IPv6 (connect ENETUNREACH 2001:db8::1:80): these addresses are Unknown, ' +
          "not Down, and their targets' health follows their IPv4 addresses",
      },
    ]);
    expect(summarizeFamilies([], { IPv4: 'Unknown', IPv6: 'Unknown' })).toEqual([]);
  });
});

describe('ProbeScheduler per family', { timeout: 20_000 }, () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  /** A scheduler whose probe of each address answers as `outcome` says at the time. */
  function steered(addresses: Record<string, string>, outcome: Map<string, 'ok' | 'fail' | 'noRoute'>) {
    const checks = Object.entries(addresses).map(([address, targetId]) => ({
      probeKey: 'ns/web',
      spec: spec({ interval: '100ms', timeout: '50ms', failureThreshold: 3, successThreshold: 1 }),
      address,
      targetId,
    }));
    const scheduler = new ProbeScheduler(checks, {
      probe: (_spec, address) => {
        const wanted = outcome.get(address) ?? 'ok';
        return Promise.resolve(
          wanted === 'ok'
            ? { ok: true, latencyMs: 1 }
            : wanted === 'fail'
              ? { ok: false, latencyMs: 1, error: 'HTTP 503 not in 200-399' }
              : { ...NO_ROUTE, error: `connect ENETUNREACH ${address}:80` },
        );
      },
    });
    stops.push(() => scheduler.stop());
    const changes: ProbeChangeEvent[] = [];
    scheduler.onChange((event) => changes.push(event));
    return { scheduler, changes };
  }

  const stateOf = (scheduler: ProbeScheduler, address: string) =>
    scheduler.probeStatus('ns/web').find((a) => a.address === address)?.state;

  it('shows an unreachable family Unknown, keeps AAAA targets with their IPv4 health, and follows the route back', async () => {
    const outcome = new Map<string, 'ok' | 'fail' | 'noRoute'>([
      ['2001:db8::1', 'noRoute'],
      ['2001:db8::2', 'noRoute'],
    ]);
    const { scheduler, changes } = steered(
      { '127.0.0.1': 'ns/www/eu', '2001:db8::1': 'ns/www/eu', '127.0.0.2': 'ns/www/us', '2001:db8::2': 'ns/www/us' },
      outcome,
    );
    await until('both families judged', () => scheduler.families(), {
      accept: (f) => f.IPv4 === 'Reachable' && f.IPv6 === 'Unreachable',
    });
    await until('the IPv4 addresses Up', () => stateOf(scheduler, '127.0.0.2'), { accept: (s) => s === 'Up' });
    // More no-route results than failureThreshold later, nothing went Down: IPv6 is Unknown, the targets up.
    let unrouted = 0;
    scheduler.onResult((event) => {
      if (event.result.noRoute) unrouted += 1;
    });
    await until('eight more no-route results', () => unrouted, { accept: (n) => n >= 8 });
    expect(
      changes
        .filter((c) => c.noRoute)
        .map((c) => [c.address, c.to])
        .sort(),
    ).toEqual([
      ['2001:db8::1', 'Unknown'],
      ['2001:db8::2', 'Unknown'],
    ]);
    const status = scheduler.probeStatus('ns/web');
    expect(status.filter((a) => a.address.includes(':')).map((a) => [a.state, a.lastError])).toEqual([
      ['Unknown', 'connect ENETUNREACH 2001:db8::1:80'],
      ['Unknown', 'connect ENETUNREACH 2001:db8::2:80'],
    ]);
    expect(status.every((a) => a.lastChange !== undefined || a.state === 'Unknown')).toBe(true);
    expect(scheduler.healthTable().targets).toEqual({
      'ns/www/eu': { up: true, since: expect.any(String) },
      'ns/www/us': { up: true, since: expect.any(String) },
    });

    // The IPv4 address of one target fails: its target goes down with it, IPv6 included (routing reads `up`).
    outcome.set('127.0.0.2', 'fail');
    await until('us down', () => scheduler.healthTable().targets['ns/www/us'], { accept: (t) => t?.up === false });
    expect(scheduler.healthTable().targets['ns/www/us']?.downAddresses).toEqual(['127.0.0.2']);
    expect(scheduler.healthTable().targets['ns/www/eu']?.up).toBe(true);

    // The route comes back: IPv6 is probed again and its addresses show what they say.
    outcome.set('2001:db8::1', 'ok');
    outcome.set('2001:db8::2', 'ok');
    await until('IPv6 reachable and Up', () => [scheduler.families().IPv6, stateOf(scheduler, '2001:db8::2')], {
      accept: ([reach, state]) => reach === 'Reachable' && state === 'Up',
    });
    expect(scheduler.healthTable().targets['ns/www/us']).toMatchObject({ up: true, downAddresses: ['127.0.0.2'] });
  });

  it('counts a no-route failure against the target while other addresses of its family are reached', async () => {
    const outcome = new Map<string, 'ok' | 'fail' | 'noRoute'>([['2001:db8::9', 'noRoute']]);
    const { scheduler } = steered(
      { '::1': 'ns/www/eu', '2001:db8::9': 'ns/www/us', '127.0.0.1': 'ns/www/us' },
      outcome,
    );
    await until('the unrouted address Down', () => stateOf(scheduler, '2001:db8::9'), { accept: (s) => s === 'Down' });
    expect(scheduler.families().IPv6).toBe('Reachable');
    expect(scheduler.healthTable().targets['ns/www/us']).toMatchObject({ up: true, downAddresses: ['2001:db8::9'] });

    // The reached address goes away: nothing of IPv6 is reached any more, so the family is unreachable.
    scheduler.update([
      {
        probeKey: 'ns/web',
        spec: spec({ interval: '100ms', timeout: '50ms', failureThreshold: 3, successThreshold: 1 }),
        address: '2001:db8::9',
        targetId: 'ns/www/us',
      },
    ]);
    expect(scheduler.families().IPv6).toBe('Unreachable');
    expect(stateOf(scheduler, '2001:db8::9')).toBe('Unknown');
    // All of the target's addresses unreachable: it keeps what they last showed (Down).
    expect(scheduler.healthTable().targets['ns/www/us']).toMatchObject({ up: false, downAddresses: ['2001:db8::9'] });
  });
});
