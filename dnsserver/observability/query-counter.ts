// Per-query counting on the hot path is an increment on a tally found by the answer object (or, for queries
// without one, by a composed key); the tallies reach prom-client only when /metrics is scraped (flushInto), so
// label handling is paid per scrape, not per query.
import type { QueryEvent } from '../handler.ts';
import type { GeodnsMetrics } from './metrics.ts';

interface Tally {
  zone: string | undefined;
  qtype: number;
  rcode: number;
  policy: string | undefined;
  target: string | undefined;
  udp: number;
  tcp: number;
  ecs: number;
}

const SEP = '\u0000';

export class QueryCounter {
  #byAnswer = new WeakMap<object, Tally>();
  #byKey = new Map<string, Tally>();
  /** Tallies counted into since the last flush. */
  #touched = new Set<Tally>();

  /** Counts `times` queries (default 1) that ended as `event` says. */
  count(event: QueryEvent, times = 1): void {
    let tally = event.answer ? this.#byAnswer.get(event.answer) : undefined;
    if (!tally) {
      const key = `${event.zone ?? ''}${SEP}${event.qtype}${SEP}${event.rcode}${SEP}${event.policy ?? ''}${SEP}${event.target ?? ''}`;
      tally = this.#byKey.get(key);
      if (!tally) {
        tally = {
          zone: event.zone ?? undefined,
          qtype: event.qtype,
          rcode: event.rcode,
          policy: event.policy,
          target: event.target,
          udp: 0,
          tcp: 0,
          ecs: 0,
        };
        this.#byKey.set(key, tally);
      }
      if (event.answer) this.#byAnswer.set(event.answer, tally);
    }
    if (event.transport === 'tcp') tally.tcp += times;
    else tally.udp += times;
    if (event.ecs) tally.ecs += times;
    this.#touched.add(tally);
  }

  /** Moves the counts gathered since the last flush into the metrics registry. */
  flushInto(metrics: GeodnsMetrics): void {
    for (const tally of this.#touched) {
      const { zone, qtype, rcode, policy, target, udp, tcp, ecs } = tally;
      if (udp > 0) metrics.countRequest(zone, qtype, 'udp', udp);
      if (tcp > 0) metrics.countRequest(zone, qtype, 'tcp', tcp);
      metrics.countResponse(zone, rcode, udp + tcp);
      if (policy !== undefined && target !== undefined) metrics.countAnswer(zone, policy, target, udp + tcp);
      if (ecs > 0) metrics.countEcsRequest(zone, ecs);
      tally.udp = tally.tcp = tally.ecs = 0;
    }
    this.#touched.clear();
    // Tallies of answers gone with an old zone snapshot would otherwise pile up here.
    if (this.#byKey.size > 10_000) this.#byKey.clear();
  }
}
