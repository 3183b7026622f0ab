// The operator's gauges that are replaced whole from a state: what a scrape shows after each replacement.
import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../../../operator/observability/metrics.ts';

describe('geodns_operator_probe_family_reachable', () => {
  it('is 1 for a reached family, 0 for one without a route, and absent before a result', async () => {
    const metrics = new OperatorMetrics();
    const series = async () =>
      (await metrics.text()).split('\n').filter((line) => line.startsWith('geodns_operator_probe_family_reachable{'));
    metrics.setProbeFamilies({ IPv4: 'Reachable', IPv6: 'Unreachable' });
    expect(await series()).toEqual([
      'geodns_operator_probe_family_reachable{family="IPv4"} 1',
      'geodns_operator_probe_family_reachable{family="IPv6"} 0',
    ]);
    // The checks of IPv6 went away (or have no result yet): no series rather than a stale 0.
    metrics.setProbeFamilies({ IPv4: 'Reachable', IPv6: 'Unknown' });
    expect(await series()).toEqual(['geodns_operator_probe_family_reachable{family="IPv4"} 1']);
  });
});
