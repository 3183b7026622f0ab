import { describe, expect, it } from 'vitest';
import { PEERING_DISABLED, peersCondition } from '../../../../operator/peers/condition.ts';

describe('PeersReachable', () => {
  it('is True while every peer is fresh, naming them', () => {
    const fresh = { stale: false, timeout: '30s', heardAt: '2026-12-06T10:00:00.000Z' };
    expect(
      peersCondition([
        { peer: 'apac', ...fresh },
        { peer: 'eu', ...fresh },
      ]),
    ).toEqual({
      ok: true,
      reason: 'PeersReachable',
      message: 'documents from apac, eu, each within its peerTimeout',
    });
  });

  it('names each stale peer, when it was last heard (a time, so the message stays put) and the last error', () => {
    const condition = peersCondition([
      { peer: 'apac', stale: false, timeout: '30s', heardAt: '2026-12-06T10:00:00.000Z' },
      { peer: 'eu', stale: true, timeout: '30s', heardAt: '2026-12-06T09:59:00.000Z', error: 'connect ECONNREFUSED' },
      { peer: 'us', stale: true, timeout: '30s' },
    ]);
    expect(condition.ok).toBe(false);
    expect(condition.reason).toBe('PeersStale');
    expect(condition.message).toBe(
      'peer eu: no document since 2026-12-06T09:59:00.000Z (peerTimeout 30s): its targets keep their last known addresses and health (last poll: connect ECONNREFUSED); ' +
        'peer us: no document yet: its targets are served as the zone already published them, if it did',
    );
  });

  it('is False, PeeringDisabled, when the zone lists peers and this operator shares nothing', () => {
    const condition = peersCondition(PEERING_DISABLED);
    expect(condition).toMatchObject({ ok: false, reason: 'PeeringDisabled' });
    expect(condition.message).toMatch(/without --cluster-name/);
  });
});
