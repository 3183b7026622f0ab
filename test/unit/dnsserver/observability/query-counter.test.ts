import { describe, expect, it } from 'vitest';
import { QueryCounter } from '../../../../dnsserver/observability/query-counter.ts';
import { GeodnsMetrics } from '../../../../dnsserver/observability/metrics.ts';
import type { QueryEvent } from '../../../../dnsserver/handler.ts';

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('query counter', () => {
  it('tallies per answer and per key, and moves the counts into the registry only on flush', async () => {
    const metrics = new GeodnsMetrics();
    metrics.setZones([{ zone: 'geo.example', serial: 1 }]);
    const counter = new QueryCounter();
    const answer = {};
    const routed: QueryEvent = {
      zone: 'geo.example',
      qname: 'www.geo.example',
      qtype: 1,
      rcode: 0,
      transport: 'udp',
      ecs: true,
      policy: 'geo',
      target: 'web/www/eu',
      answer,
    };
    for (let i = 0; i < 3; i++) counter.count(routed);
    counter.count({ ...routed, transport: 'tcp', ecs: false });
    // No answer object (e.g. REFUSED): counted by its labels.
    const refused: QueryEvent = { zone: null, qname: 'x.org', qtype: 28, rcode: 5, transport: 'udp', ecs: false };
    counter.count(refused);
    counter.count(refused);

    expect(
      sample(await metrics.text(), 'geodns_dns_requests_total', 'zone="geo.example",type="A",transport="udp"'),
    ).toBeUndefined();
    counter.flushInto(metrics);
    let text = await metrics.text();
    expect(sample(text, 'geodns_dns_requests_total', 'zone="geo.example",type="A",transport="udp"')).toBe(3);
    expect(sample(text, 'geodns_dns_requests_total', 'zone="geo.example",type="A",transport="tcp"')).toBe(1);
    expect(sample(text, 'geodns_dns_requests_total', 'zone="other",type="AAAA",transport="udp"')).toBe(2);
    expect(sample(text, 'geodns_dns_responses_total', 'zone="other",rcode="REFUSED"')).toBe(2);
    expect(sample(text, 'geodns_answers_total', 'zone="geo.example",policy="geo",target="web/www/eu"')).toBe(4);
    expect(sample(text, 'geodns_ecs_requests_total', 'zone="geo.example"')).toBe(3);

    // A second flush adds only what came since the first.
    counter.count(routed);
    counter.flushInto(metrics);
    counter.flushInto(metrics);
    text = await metrics.text();
    expect(sample(text, 'geodns_dns_requests_total', 'zone="geo.example",type="A",transport="udp"')).toBe(4);
    expect(sample(text, 'geodns_dns_responses_total', 'zone="geo.example",rcode="NOERROR"')).toBe(5);
  });
});
