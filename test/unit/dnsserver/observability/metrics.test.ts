import { afterEach, describe, expect, it } from 'vitest';
import {
  GeodnsMetrics,
  aggregateMetrics,
  qtypeLabel,
  rcodeLabel,
  workerMetricsSnapshot,
} from '../../../../dnsserver/observability/metrics.ts';
import { startHttpServer, type ObservabilityServer } from '../../../../lib/http-endpoint.ts';

/** The value of one sample line, e.g. sample(text, 'geodns_dns_requests_total{zone="a",type="A",transport="udp"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const servers: ObservabilityServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(metrics: () => Promise<string>, ready: () => boolean = () => true): Promise<string> {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, metrics, ready });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe('labels', () => {
  it('keeps query types and rcodes to a bounded set', () => {
    expect(qtypeLabel('aaaa')).toBe('AAAA');
    expect(qtypeLabel(28)).toBe('AAAA');
    expect(qtypeLabel('TYPE65280')).toBe('other');
    expect(qtypeLabel(4242)).toBe('other');
    expect(rcodeLabel(3)).toBe('NXDOMAIN');
    expect(rcodeLabel('refused')).toBe('REFUSED');
    expect(rcodeLabel(11)).toBe('other');
  });
});

describe('GeodnsMetrics over HTTP', () => {
  it('serves the counters, gauges and histograms after increments', async () => {
    const metrics = new GeodnsMetrics({ defaultMetrics: true });
    metrics.setZones([{ zone: 'geo.example.com', serial: 42 }]);
    metrics.countRequest('geo.example.com', 'A', 'udp');
    metrics.countRequest('geo.example.com', 'A', 'udp');
    metrics.countRequest('unknown.org', 'TYPE999', 'tcp');
    metrics.countResponse('geo.example.com', 0);
    metrics.countResponse(undefined, 'REFUSED');
    metrics.observeRequestDuration('udp', 0.0002);
    metrics.countAnswer('geo.example.com', 'failover', 'apps/www/eu');
    metrics.countEcsRequest('geo.example.com');
    metrics.countReload('dir');
    metrics.countReloadFailure('dir');
    metrics.setTargetHealth({ 'apps/www/eu': { up: true }, 'apps/www/us': { up: false } });
    metrics.observeProbe(0.012, true);

    const url = await serve(() => metrics.text());
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(sample(text, 'geodns_dns_requests_total{zone="geo.example.com",type="A",transport="udp"}')).toBe(2);
    expect(sample(text, 'geodns_dns_requests_total{zone="other",type="other",transport="tcp"}')).toBe(1);
    expect(sample(text, 'geodns_dns_responses_total{zone="geo.example.com",rcode="NOERROR"}')).toBe(1);
    expect(sample(text, 'geodns_dns_responses_total{zone="other",rcode="REFUSED"}')).toBe(1);
    expect(sample(text, 'geodns_dns_request_duration_seconds_bucket{le="0.0001",transport="udp"}')).toBe(0);
    expect(sample(text, 'geodns_dns_request_duration_seconds_bucket{le="0.00025",transport="udp"}')).toBe(1);
    expect(sample(text, 'geodns_answers_total{zone="geo.example.com",policy="failover",target="apps/www/eu"}')).toBe(1);
    expect(sample(text, 'geodns_ecs_requests_total{zone="geo.example.com"}')).toBe(1);
    expect(sample(text, 'geodns_reloads_total{source="dir"}')).toBe(1);
    expect(sample(text, 'geodns_reload_failures_total{source="dir"}')).toBe(1);
    expect(sample(text, 'geodns_zone_serial{zone="geo.example.com"}')).toBe(42);
    expect(sample(text, 'geodns_target_up{target="apps/www/eu"}')).toBe(1);
    expect(sample(text, 'geodns_target_up{target="apps/www/us"}')).toBe(0);
    expect(sample(text, 'geodns_probe_duration_seconds_count{result="success"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');

    // A zone that is no longer loaded loses its serial and becomes "other".
    metrics.setZones([{ zone: 'new.example.com', serial: 1 }]);
    metrics.countRequest('geo.example.com', 'A', 'udp');
    const after = await metrics.text();
    expect(sample(after, 'geodns_zone_serial{zone="geo.example.com"}')).toBeUndefined();
    expect(sample(after, 'geodns_dns_requests_total{zone="other",type="A",transport="udp"}')).toBe(1);
  });

  it('sums worker counters and histograms when aggregating snapshots', async () => {
    const main = new GeodnsMetrics({ defaultMetrics: true });
    const workers = [new GeodnsMetrics(), new GeodnsMetrics()];
    for (const [i, worker] of workers.entries()) {
      worker.setZones([{ zone: 'geo.example.com', serial: 7 }]);
      for (let n = 0; n <= i; n += 1) worker.countRequest('geo.example.com', 'AAAA', 'udp');
      worker.observeRequestDuration('udp', 0.0004);
    }
    main.setZones([{ zone: 'geo.example.com', serial: 7 }]);
    main.countReload('dir');
    const snapshots = await Promise.all([main, ...workers].map((m) => workerMetricsSnapshot(m)));
    // Snapshots must survive the structured clone of postMessage between threads.
    const text = await aggregateMetrics(snapshots.map((s) => structuredClone(s)));
    expect(sample(text, 'geodns_dns_requests_total{zone="geo.example.com",type="AAAA",transport="udp"}')).toBe(3);
    expect(sample(text, 'geodns_dns_request_duration_seconds_count{transport="udp"}')).toBe(2);
    expect(sample(text, 'geodns_dns_request_duration_seconds_bucket{le="0.0005",transport="udp"}')).toBe(2);
    expect(sample(text, 'geodns_zone_serial{zone="geo.example.com"}')).toBe(7); // max, not a sum
    expect(sample(text, 'geodns_reloads_total{source="dir"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');

    const url = await serve(async () =>
      aggregateMetrics(await Promise.all([main, ...workers].map(workerMetricsSnapshot))),
    );
    expect(
      sample(
        await (await fetch(`${url}/metrics`)).text(),
        'geodns_dns_requests_total{zone="geo.example.com",type="AAAA",transport="udp"}',
      ),
    ).toBe(3);
  });
});

describe('health and readiness endpoints', () => {
  it('answers /healthz always and /readyz only when ready and not draining', async () => {
    let ready = false;
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, metrics: async () => '', ready: () => ready });
    servers.push(server);
    const url = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    server.setDraining();
    const draining = await fetch(`${url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.text()).toBe('draining\n');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 500 with the reason when metrics cannot be produced', async () => {
    const errors: string[] = [];
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: () => Promise.reject(new Error('worker 2 did not answer')),
      ready: () => true,
      onError: (message) => errors.push(message),
    });
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('metrics: worker 2 did not answer\n');
    expect(errors).toEqual(['metrics: worker 2 did not answer']);
  });
});
