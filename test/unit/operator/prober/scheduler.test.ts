import { afterEach, describe, expect, it } from 'vitest';
import { ProbeScheduler, type ProbeChangeEvent, type ProbeResultEvent } from '../../../../operator/prober/scheduler.ts';
import { applyResult, initialHealth, type AddressHealth } from '../../../../operator/prober/thresholds.ts';
import { buildHealthTable } from '../../../../operator/prober/health-table.ts';
import { SilentTcpServer, spec, startHttp, type TestHttpServer } from '../../../support/probe-targets.ts';
import { until } from '../../../support/until.ts';

describe('thresholds', () => {
  const thresholds = { failureThreshold: 3, successThreshold: 2 };
  const run = (oks: boolean[]): AddressHealth['state'][] => {
    let health = initialHealth(0);
    return oks.map((ok, i) => {
      health = applyResult(health, ok ? { ok, latencyMs: 1 } : { ok, latencyMs: 1, error: 'x' }, thresholds, i).next;
      return health.state;
    });
  };

  it('starts Unknown and turns Up on the first success', () => {
    expect(initialHealth(0).state).toBe('Unknown');
    expect(run([true])).toEqual(['Up']);
  });
  it('turns Down only after failureThreshold consecutive failures', () => {
    expect(run([true, false, false, true, false, false, false])).toEqual(['Up', 'Up', 'Up', 'Up', 'Up', 'Up', 'Down']);
    expect(run([false, false, false])).toEqual(['Unknown', 'Unknown', 'Down']);
  });
  it('turns Up again only after successThreshold consecutive successes', () => {
    expect(run([false, false, false, true, false, true, true])).toEqual([
      'Unknown',
      'Unknown',
      'Down',
      'Down',
      'Down',
      'Down',
      'Up',
    ]);
  });
  it('records the time of the change and the last error', () => {
    let health = initialHealth(0);
    health = applyResult(health, { ok: true, latencyMs: 2 }, thresholds, 10).next;
    expect(health).toMatchObject({ state: 'Up', lastChange: 10, latencyMs: 2, probes: 1 });
    const step = applyResult(health, { ok: false, latencyMs: 3, error: 'boom' }, thresholds, 20);
    expect(step.changed).toBe(false);
    expect(step.next).toMatchObject({ state: 'Up', lastChange: 10, lastError: 'boom', consecutiveFailures: 1 });
  });
});

describe('buildHealthTable', () => {
  it('keeps a target up while any address is not Down and lists the Down ones', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const table = buildHealthTable(
      [
        { targetId: 'ns/www/eu', address: '10.0.0.1', state: 'Down', lastError: 'HTTP 503 not in 200-399' },
        { targetId: 'ns/www/eu', address: '10.0.0.2', state: 'Unknown' },
        { targetId: 'ns/www/us', address: '10.0.1.1', state: 'Down', lastError: 'timeout after 2000ms' },
      ],
      null,
      now,
    );
    expect(table).toEqual({
      format: 'geodns.io/health/v1',
      targets: {
        'ns/www/eu': {
          up: true,
          since: now.toISOString(),
          downAddresses: ['10.0.0.1'],
          reason: '10.0.0.1: HTTP 503 not in 200-399',
        },
        'ns/www/us': {
          up: false,
          since: now.toISOString(),
          downAddresses: ['10.0.1.1'],
          reason: '10.0.1.1: timeout after 2000ms',
        },
      },
    });
    const later = buildHealthTable(
      [
        { targetId: 'ns/www/eu', address: '10.0.0.1', state: 'Up' },
        { targetId: 'ns/www/us', address: '10.0.1.1', state: 'Down', lastError: 'timeout after 2000ms' },
      ],
      table,
      new Date('2026-01-01T00:01:00Z'),
    );
    expect(later.targets['ns/www/eu']).toEqual({ up: true, since: '2026-01-01T00:01:00.000Z' });
    expect(later.targets['ns/www/us']?.since).toBe(now.toISOString());
  });
});

describe('ProbeScheduler against real servers', { timeout: 20_000 }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function record(scheduler: ProbeScheduler): { results: ProbeResultEvent[]; changes: ProbeChangeEvent[] } {
    const results: ProbeResultEvent[] = [];
    const changes: ProbeChangeEvent[] = [];
    scheduler.onResult((event) => results.push(event));
    scheduler.onChange((event) => changes.push(event));
    return { results, changes };
  }

  it('flips Up → Down → Up only after the thresholds of consecutive results', async () => {
    const server: TestHttpServer = await startHttp();
    cleanups.push(() => server.close());
    const scheduler = new ProbeScheduler([
      { probeKey: 'ns/web', spec: spec({ port: server.port }), address: '127.0.0.1', targetId: 'ns/www/eu' },
    ]);
    cleanups.push(() => scheduler.stop());
    const { results, changes } = record(scheduler);

    await until('a successful probe', () => results.some((r) => r.result.ok), { intervalMs: 10 });
    expect(results.find((r) => r.result.ok)?.state).toBe('Up'); // the first success sets Up at once
    server.status = 503;
    await until('the target Down', () => results.some((r) => r.state === 'Down'), { intervalMs: 10 });
    server.status = 200;
    const downAt = results.findIndex((r) => r.state === 'Down');
    await until('the target Up again', () => results.slice(downAt).some((r) => r.state === 'Up'), { intervalMs: 10 });

    // Down exactly at the third consecutive failure, Up again exactly at the second consecutive success.
    const oks = results.map((r) => r.result.ok);
    expect(oks.slice(downAt - 3, downAt + 1)).toEqual([true, false, false, false]);
    expect(results[downAt - 1]?.state).toBe('Up');
    const upAt = downAt + results.slice(downAt).findIndex((r) => r.state === 'Up');
    expect(oks.slice(upAt - 2, upAt + 1)).toEqual([false, true, true]);
    expect(results[upAt - 1]?.state).toBe('Down');
    expect(results.find((r) => !r.result.ok)?.result.error).toBe('HTTP 503 not in 200-399');

    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['Unknown->Up', 'Up->Down', 'Down->Up']);
    expect(changes[1]).toMatchObject({ probeKey: 'ns/web', address: '127.0.0.1', targetIds: ['ns/www/eu'] });
    expect(changes[1]?.error).toBe('HTTP 503 not in 200-399');
    expect(scheduler.healthTable().targets['ns/www/eu']?.up).toBe(true);
  });

  it('reports the health table and probe status while an address is Down', async () => {
    const good = await startHttp();
    const bad = await startHttp();
    bad.status = 500;
    cleanups.push(
      () => good.close(),
      () => bad.close(),
    );
    const fast = { failureThreshold: 1, successThreshold: 1 };
    const scheduler = new ProbeScheduler([
      { probeKey: 'ns/p', spec: spec({ port: good.port }), address: '127.0.0.1', targetId: 'ns/www/a' },
      { probeKey: 'ns/q', spec: spec({ port: bad.port, ...fast }), address: '127.0.0.1', targetId: 'ns/www/b' },
    ]);
    cleanups.push(() => scheduler.stop());
    const { changes } = record(scheduler);
    expect(scheduler.healthTable().targets['ns/www/b']?.up).toBe(true); // Unknown counts as up
    await until(
      'a change to Down and one to Up',
      () => changes.some((c) => c.to === 'Down') && changes.some((c) => c.to === 'Up'),
      { intervalMs: 10 },
    );

    const table = scheduler.healthTable();
    expect(table.targets['ns/www/a']).toMatchObject({ up: true });
    expect(table.targets['ns/www/b']).toMatchObject({
      up: false,
      downAddresses: ['127.0.0.1'],
      reason: '127.0.0.1: HTTP 500 not in 200-399',
    });
    const status = scheduler.probeStatus('ns/q');
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({
      address: '127.0.0.1',
      target: 'ns/www/b',
      state: 'Down',
      lastError: 'HTTP 500 not in 200-399',
    });
    expect(typeof status[0]?.lastChange).toBe('string');
    expect(status[0]?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('probes a TCP server that is closed and reopened', async () => {
    const server = new SilentTcpServer();
    await server.open();
    cleanups.push(() => server.close());
    const scheduler = new ProbeScheduler([
      {
        probeKey: 'ns/tcp',
        spec: spec({ type: 'TCP', port: server.port, failureThreshold: 2, successThreshold: 1 }),
        address: '127.0.0.1',
        targetId: 'ns/db/main',
      },
    ]);
    cleanups.push(() => scheduler.stop());
    const { changes } = record(scheduler);
    await until('the first change', () => changes.length === 1, { intervalMs: 10 });
    await server.close();
    await until('the second change', () => changes.length === 2, { intervalMs: 10 });
    expect(scheduler.healthTable().targets['ns/db/main']?.up).toBe(false);
    await server.open();
    await until('the third change', () => changes.length === 3, { intervalMs: 10 });
    expect(changes.map((c) => c.to)).toEqual(['Up', 'Down', 'Up']);
    expect(changes[1]?.error).toBe(`connect ECONNREFUSED 127.0.0.1:${server.port}`);
  });

  it('never overlaps runs of one check, even when probes take the whole timeout', async () => {
    const silent = new SilentTcpServer();
    await silent.open();
    cleanups.push(() => silent.close());
    let inFlight = 0;
    let maxInFlight = 0;
    const { probeOnce } = await import('../../../../operator/prober/probe.ts');
    const scheduler = new ProbeScheduler(
      [
        {
          probeKey: 'ns/slow',
          spec: spec({ port: silent.port, timeout: '80ms' }),
          address: '127.0.0.1',
          targetId: 't',
        },
      ],
      {
        probe: async (s, a, signal) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            return await probeOnce(s, a, signal);
          } finally {
            inFlight -= 1;
          }
        },
      },
    );
    cleanups.push(() => scheduler.stop());
    const { results } = record(scheduler);
    await until('four results', () => results.length >= 4, { intervalMs: 10 });
    expect(maxInFlight).toBe(1);
    expect(results.every((r) => r.result.error === 'timeout after 80ms')).toBe(true);
    expect(results.map((r) => r.state)).toEqual([
      'Unknown',
      'Unknown',
      'Down',
      'Down',
      ...results.slice(4).map(() => 'Down'),
    ]);
  });

  it('update() keeps the state of unchanged checks, adds new ones and drops removed ones', async () => {
    const server = await startHttp();
    cleanups.push(() => server.close());
    const check = { probeKey: 'ns/web', spec: spec({ port: server.port }), address: '127.0.0.1', targetId: 'ns/www/a' };
    const probed: string[] = [];
    const { probeOnce } = await import('../../../../operator/prober/probe.ts');
    const scheduler = new ProbeScheduler([check], {
      probe: (s, a, signal) => {
        probed.push(a);
        return probeOnce(s, a, signal);
      },
    });
    cleanups.push(() => scheduler.stop());
    const { changes } = record(scheduler);
    await until('the first change', () => changes.length === 1, { intervalMs: 10 });

    const ipv6 = await startHttp('::1');
    cleanups.push(() => ipv6.close());
    const added = { probeKey: 'ns/web6', spec: spec({ port: ipv6.port }), address: '::1', targetId: 'ns/www/a' };
    scheduler.update([check, added]);
    expect(scheduler.probeStatus('ns/web')[0]?.state).toBe('Up'); // not reset
    expect(scheduler.probeStatus('ns/web6')[0]?.state).toBe('Unknown');
    await until('the second change', () => changes.length === 2, { intervalMs: 10 });
    expect(changes[1]).toMatchObject({ probeKey: 'ns/web6', address: '::1', to: 'Up' });

    scheduler.update([added]);
    expect(scheduler.probeStatus('ns/web')).toEqual([]);
    const countAfterRemoval = probed.filter((a) => a === '127.0.0.1').length;
    const results: ProbeResultEvent[] = [];
    scheduler.onResult((r) => results.push(r));
    await until('three results', () => results.length >= 3, { intervalMs: 10 });
    expect(results.every((r) => r.address === '::1')).toBe(true);
    expect(probed.filter((a) => a === '127.0.0.1').length).toBeLessThanOrEqual(countAfterRemoval + 1);
    expect(Object.keys(scheduler.healthTable().targets)).toEqual(['ns/www/a']);
  });

  it('reports a check with an invalid interval in its status instead of probing', async () => {
    const scheduler = new ProbeScheduler([
      {
        probeKey: 'ns/bad',
        spec: spec({ port: 1, interval: '50ms', timeout: '100ms' }),
        address: '127.0.0.1',
        targetId: 't',
      },
    ]);
    cleanups.push(() => scheduler.stop());
    expect(scheduler.probeStatus('ns/bad')).toEqual([
      {
        address: '127.0.0.1',
        target: 't',
        state: 'Unknown',
        lastError: 'timeout 100ms must be shorter than interval 50ms',
      },
    ]);
  });
});

describe('checksForZones', () => {
  it('plans one check per address of every probed target and reports unknown probes', async () => {
    const { checksForZones } = await import('../../../../operator/prober/checks.ts');
    const { zoneDoc } = await import('../../../support/documents.ts');
    const zone = zoneDoc('geo.example.com', 1);
    const routed = zone.routed[0];
    if (!routed?.targets[0]) throw new Error('fixture changed');
    routed.targets[0] = { ...routed.targets[0], addresses: ['192.0.2.10', '2001:db8::10'], probe: 'apps/web' };
    routed.targets.push({ ...routed.targets[0], id: 'apps/www/us', name: 'us', probe: 'apps/gone' });
    routed.targets.push({ ...routed.targets[0], id: 'apps/www/ap', name: 'ap', probe: undefined });
    const web = spec({ port: 8080 });
    const planned = checksForZones([zone], new Map([['apps/web', web]]));
    expect(planned.checks).toEqual([
      { probeKey: 'apps/web', spec: web, address: '192.0.2.10', targetId: 'apps/www/eu' },
      { probeKey: 'apps/web', spec: web, address: '2001:db8::10', targetId: 'apps/www/eu' },
    ]);
    expect(planned.missing).toEqual(['target apps/www/us (www.geo.example.com): HealthProbe apps/gone not found']);
  });
});

describe('ProbeScheduler concurrency', () => {
  it('keeps at most maxConcurrent probes in flight and lets the others wait their turn', async () => {
    let inFlight = 0;
    let most = 0;
    const seen = new Set<string>();
    const probe = async (_spec: unknown, address: string) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      seen.add(address);
      return { ok: true, latencyMs: 20 };
    };
    const checks = Array.from({ length: 12 }, (_, i) => ({
      probeKey: 'web/p',
      spec: spec({ interval: '10s', timeout: '1s' }),
      address: `127.0.0.${i + 1}`,
      targetId: `web/www/t${i}`,
    }));
    // random 0: every check starts at once, so only the limit keeps them apart.
    const scheduler = new ProbeScheduler(checks, { probe, random: () => 0, maxConcurrent: 3 });
    try {
      await until('every address probed', () => seen.size === 12, { intervalMs: 10 });
      expect(most).toBe(3);
    } finally {
      await scheduler.stop();
    }
  });
});
