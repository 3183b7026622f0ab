// Per-query counting on the hot path is a Map increment; the counts reach prom-client only when /metrics is
// scraped (flushInto), so label hashing is paid per scrape, not per query.
import type { QueryEvent } from '../handler.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';

const SEP = '\u0000';

export class QueryCounter {
  #counts = new Map<string, number>();

  count(event: QueryEvent): void {
    const key =
      (event.zone ?? '') +
      SEP +
      event.qtype +
      SEP +
      event.transport +
      SEP +
      event.rcode +
      SEP +
      (event.policy ?? '') +
      SEP +
      (event.target ?? '') +
      SEP +
      (event.ecs ? '1' : '');
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Moves the counts gathered since the last flush into the metrics registry. */
  flushInto(metrics: GeodnsMetrics): void {
    const counts = this.#counts;
    this.#counts = new Map();
    for (const [key, n] of counts) {
      const [zoneText = '', qtype = '0', transport = 'udp', rcode = '0', policy = '', target = '', ecs = ''] =
        key.split(SEP);
      const zone = zoneText === '' ? undefined : zoneText;
      const via = transport === 'tcp' ? 'tcp' : 'udp';
      metrics.countRequest(zone, Number(qtype), via, n);
      metrics.countResponse(zone, Number(rcode), n);
      if (policy !== '' && target !== '') metrics.countAnswer(zone, policy, target, n);
      if (ecs !== '') metrics.countEcsRequest(zone, n);
    }
  }
}
