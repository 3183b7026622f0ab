// The hostname resolver on the operator's lanes: a new hostname is resolved before want() returns, again as its
// (clamped) TTL says as a key of the `resolve` lane, a change calls back and an unchanged answer does not, a
// failure keeps the last good addresses, and a hostname no longer wanted is dropped.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Answers } from '../../../../operator/resolve/decide.ts';
import { HostnameResolver } from '../../../../operator/resolve/hostnames.ts';
import type { HostnameLookup } from '../../../../operator/resolve/lookup.ts';
import { OperatorMetrics } from '../../../../operator/observability/metrics.ts';
import { Lanes } from '../../../../operator/queue/lanes.ts';
import { until } from '../../../support/until.ts';

const HOST = 'lb-1.elb.example.com';

class FakeLookup implements HostnameLookup {
  readonly resolver = '127.0.0.1:5353';
  answers = new Map<string, Answers>();
  asked: string[] = [];
  /** Holds every lookup until released. */
  hold: Promise<void> | undefined;

  async lookup(hostname: string): Promise<Answers> {
    this.asked.push(hostname);
    await this.hold;
    return this.answers.get(hostname) ?? { A: { kind: 'none' }, AAAA: { kind: 'none' } };
  }
}

const a = (address: string, ttl = 0): Answers => ({
  A: { kind: 'records', records: [{ address, ttl }] },
  AAAA: { kind: 'none' },
});
const failing: Answers = {
  A: { kind: 'error', error: `queryA ESERVFAIL ${HOST}` },
  AAAA: { kind: 'error', error: `queryAaaa ESERVFAIL ${HOST}` },
};

let lanes: Lanes | undefined;

afterEach(async () => {
  await lanes?.shutDown();
  lanes = undefined;
});

function resolver(lookup: FakeLookup, minTtlMs = 10) {
  lanes = new Lanes();
  const changes: string[] = [];
  const hostnames = new HostnameResolver({
    lookup,
    lanes,
    log: pino({ level: 'silent' }),
    policy: { minTtlMs, maxTtlMs: 1000, retryMinMs: 10, retryMaxMs: 50, keepLastGoodMs: 60_000 },
  });
  hostnames.onChange(() => changes.push(JSON.stringify(hostnames.report(HOST).addresses)));
  return { hostnames, changes };
}

describe('HostnameResolver', () => {
  it('resolves a new hostname before want() returns, without a change callback for it', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, a('127.0.0.2'));
    const { hostnames, changes } = resolver(lookup, 60_000);
    expect(hostnames.report(HOST)).toMatchObject({ pending: true, addresses: [] });
    await hostnames.want([HOST]);
    expect(hostnames.report(HOST)).toEqual({ hostname: HOST, resolver: '127.0.0.1:5353', addresses: ['127.0.0.2'] });
    expect(changes).toEqual([]);
    // Known hostnames are not asked again by want(): their own schedule asks.
    await hostnames.want([HOST]);
    expect(lookup.asked).toEqual([HOST]);
  });

  it('asks again as the TTL says and calls back when the answer changed, not when it stayed', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, a('127.0.0.2'));
    const { hostnames, changes } = resolver(lookup);
    await hostnames.want([HOST]);
    await until('asked again', () => lookup.asked.length >= 3);
    expect(changes).toEqual([]);
    lookup.answers.set(HOST, a('127.0.0.3'));
    await until('the new address', () => changes.includes('["127.0.0.3"]'));
    expect(hostnames.report(HOST).addresses).toEqual(['127.0.0.3']);
  });

  it('keeps the last good addresses while resolution fails, and reports the failure', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, a('127.0.0.2'));
    const { hostnames, changes } = resolver(lookup);
    await hostnames.want([HOST]);
    lookup.answers.set(HOST, failing);
    const report = await until('the failure reported', () => {
      const r = hostnames.report(HOST);
      return r.error !== undefined ? r : undefined;
    });
    expect(report.addresses).toEqual(['127.0.0.2']);
    expect(report.error).toContain(`ESERVFAIL ${HOST}`);
    expect(report.kept).toBeDefined();
    expect(changes.length).toBeGreaterThan(0);
  });

  it('keeps what the published zone served (a new leader) when the first resolution fails, and says so', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, failing);
    const { hostnames } = resolver(lookup);
    hostnames.seed(HOST, ['127.0.0.9', '::9']);
    expect(hostnames.report(HOST).pending).toBe(true);
    await hostnames.want([HOST]);
    const report = hostnames.report(HOST);
    expect(report.addresses).toEqual(['127.0.0.9', '::9']);
    expect(report.error).toContain('ESERVFAIL');
    expect(report.kept).toBeDefined();
  });

  it('a seed gives way to the first answer', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, a('127.0.0.2'));
    const { hostnames } = resolver(lookup, 60_000);
    hostnames.seed(HOST, ['127.0.0.9']);
    await hostnames.want([HOST]);
    expect(hostnames.report(HOST)).toEqual({ hostname: HOST, resolver: '127.0.0.1:5353', addresses: ['127.0.0.2'] });
  });

  it('drops a hostname no longer wanted when its key comes up', async () => {
    const lookup = new FakeLookup();
    lookup.answers.set(HOST, a('127.0.0.2'));
    const { hostnames } = resolver(lookup);
    await hostnames.want([HOST]);
    await hostnames.want([]);
    await until('dropped', () => hostnames.report(HOST).pending === true);
    const asked = lookup.asked.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lookup.asked.length).toBe(asked);
  });

  it('close() releases a want() waiting for a first resolution', async () => {
    const lookup = new FakeLookup();
    let release: () => void = () => undefined;
    lookup.hold = new Promise((resolve) => (release = resolve));
    const { hostnames } = resolver(lookup);
    const waiting = hostnames.want([HOST]);
    await until('asked', () => lookup.asked.length === 1);
    hostnames.close();
    await waiting;
    expect(hostnames.report(HOST).pending).toBe(true);
    release();
  });

  it('counts each resolution by result in geodns_operator_hostname_resolutions_total, as the operator wires it', async () => {
    const lookup = new FakeLookup();
    const metrics = new OperatorMetrics();
    lanes = new Lanes();
    const hostnames = new HostnameResolver({
      lookup,
      lanes,
      log: pino({ level: 'silent' }),
      policy: { minTtlMs: 60_000, maxTtlMs: 60_000, retryMinMs: 60_000, retryMaxMs: 60_000, keepLastGoodMs: 60_000 },
      onResolved: (result) => metrics.hostnameResolutions.inc({ result }),
    });
    lookup.answers.set('ok.example.com', a('127.0.0.2'));
    lookup.answers.set('failing.example.com', failing);
    // empty.example.com: NXDOMAIN for both families, an answer without addresses.
    await hostnames.want(['ok.example.com', 'empty.example.com', 'failing.example.com']);
    const text = await metrics.text();
    expect(text).toContain('geodns_operator_hostname_resolutions_total{result="ok"} 1');
    expect(text).toContain('geodns_operator_hostname_resolutions_total{result="empty"} 1');
    expect(text).toContain('geodns_operator_hostname_resolutions_total{result="failed"} 1');
  });
});
