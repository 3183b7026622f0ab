// The GeoZone's PeersReachable condition from what its peers' polls gave. Pure. The message names each stale peer
// and when it was last heard (a time, not an age, so that the status does not change while nothing happens; the
// age is geodns_operator_peer_age_seconds).
import type { PeerReport } from './exchange.ts';

/** What stands for the reports when this operator shares nothing (no --cluster-name) but the GeoZone lists peers. */
export const PEERING_DISABLED = 'disabled';

export function peersCondition(reports: readonly PeerReport[] | typeof PEERING_DISABLED): {
  ok: boolean;
  reason: string;
  message: string;
} {
  if (reports === PEERING_DISABLED) {
    return {
      ok: false,
      reason: 'PeeringDisabled',
      message:
        'spec.peers is not used: this operator runs without --cluster-name (chart: operator.peers.clusterName), so it neither polls the peers nor serves them; Service targets of other clusters are not found here',
    };
  }
  const stale = reports.filter((r) => r.stale);
  if (stale.length === 0) {
    return {
      ok: true,
      reason: 'PeersReachable',
      message: `documents from ${reports.map((r) => r.peer).join(', ')}, each within its peerTimeout`,
    };
  }
  const described = stale.map((r) => {
    const since = r.heardAt
      ? `no document since ${r.heardAt} (peerTimeout ${r.timeout}): its targets keep their last known addresses and health`
      : 'no document yet: its targets are served as the zone already published them, if it did';
    return `peer ${r.peer}: ${since}${r.error ? ` (last poll: ${r.error})` : ''}`;
  });
  return { ok: false, reason: 'PeersStale', message: described.join('; ') };
}
