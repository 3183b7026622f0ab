// Targets whose Service lives in another cluster: compile serves the addresses a peer published where this cluster
// lacks the Service, says so in status.targets, and never lets a peer stand in for a Service this cluster has.
import { describe, expect, it } from 'vitest';
import { compile, type CompileInput, type PeerTargetInfo } from '../../../../operator/compile/index.ts';
import { endpoint, input, target } from '../../../support/resources.ts';
import { doc } from '../../../support/compile-output.ts';

const PEER: PeerTargetInfo = {
  id: 'web/www/eu',
  peer: 'eu',
  service: { namespace: 'web', name: 'www-eu' },
  addresses: ['192.0.2.80'],
};
const TARGETS = [target('eu', { service: { name: 'www-eu' } }), target('us', { addresses: ['198.51.100.80'] })];

function compiled(fields: Partial<CompileInput> = {}) {
  return compile(
    input({
      endpoints: [endpoint('web', 'www', { policy: 'multivalue', targets: TARGETS })],
      peerTargets: [PEER],
      ...fields,
    }),
  );
}

const served = (out: ReturnType<typeof compile>) =>
  Object.fromEntries((doc(out).routed[0]?.targets ?? []).map((t) => [t.name, t.addresses]));
const summary = (out: ReturnType<typeof compile>) =>
  out.results.find((r) => r.kind === 'GeoEndpoint' && r.name === 'www')?.summary;

describe('targets published by a peer cluster', () => {
  it("serves a peer's addresses for a Service this cluster does not have, and says where they came from", () => {
    const out = compiled();
    expect(served(out)).toEqual({ eu: ['192.0.2.80'], us: ['198.51.100.80'] });
    expect(summary(out)?.targets).toContainEqual({
      name: 'eu',
      source: 'Peer eu: Service web/www-eu',
      addresses: ['192.0.2.80'],
    });
  });

  it('keeps the local Service when this cluster has it, whatever a peer says', () => {
    const out = compiled({
      services: [{ namespace: 'web', name: 'www-eu', addresses: ['203.0.113.9'], ready: true }],
    });
    expect(served(out)).toMatchObject({ eu: ['203.0.113.9'] });
    expect(summary(out)?.targets).toContainEqual({
      name: 'eu',
      source: 'Service web/www-eu',
      addresses: ['203.0.113.9'],
    });
  });

  it('takes no peer entry for another Service, and none without one: the Service is not found', () => {
    for (const peerTargets of [[{ ...PEER, service: { namespace: 'web', name: 'other' } }], []]) {
      const out = compiled({ peerTargets });
      expect(served(out)).toEqual({ us: ['198.51.100.80'] });
      const accepted = out.results.find((r) => r.name === 'www')?.conditions.find((c) => c.type === 'ResolvedRefs');
      expect(accepted?.reason).toBe('ServiceNotFound');
    }
  });
});
