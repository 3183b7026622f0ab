import { describe, expect, it } from 'vitest';
import type { PeerDocument, PeerTarget } from '../../../../operator/peers/protocol.ts';
import {
  isStale,
  LAST_PUBLISHED,
  lastPublished,
  localClaims,
  localTargets,
  remoteTargets,
  type LocalView,
  type PeerState,
} from '../../../../operator/peers/targets.ts';
import { endpoint, target, zone } from '../../../support/resources.ts';

const VIEW: LocalView = {
  zones: [zone('geo', { apex: 'Geo.Example.com.' })],
  endpoints: [
    endpoint('web', 'www', {
      targets: [
        target('eu', { service: { name: 'www-eu' } }),
        target('us', { service: { name: 'www-us' } }),
        target('internal', { service: { name: 'www-us', useClusterIP: true } }),
        target('dc', { addresses: ['203.0.113.7'] }),
      ],
    }),
    endpoint('web', 'elsewhere', {
      zoneRef: { name: 'other' },
      targets: [target('us', { service: { name: 'www-us' } })],
    }),
  ],
  services: [{ namespace: 'web', name: 'www-us', addresses: ['198.51.100.80', 'not-an-ip'], ready: true }],
};

const remote = (fields: Partial<PeerTarget> = {}): PeerTarget => ({
  namespace: 'web',
  endpoint: 'www',
  target: 'eu',
  service: { namespace: 'web', name: 'www-eu' },
  addresses: ['192.0.2.80'],
  ready: true,
  ...fields,
});

const document = (cluster: string, targets: PeerTarget[], zone = 'geo.example.com'): PeerDocument => ({
  version: 1,
  cluster,
  zone,
  sequence: 1,
  generatedAt: '2026-12-06T10:00:00.000Z',
  targets,
});

const state = (peer: string, targets: PeerTarget[], heardAtMs: number | undefined = 1000): PeerState => ({
  peer,
  zone: 'geo.example.com',
  document: document(peer, targets),
  ...(heardAtMs !== undefined ? { heardAtMs } : {}),
  timeoutMs: 30_000,
});

describe('peers: local targets', () => {
  it("publishes the zone's Service targets this cluster has, with their readiness, and nothing else", () => {
    expect(localTargets(VIEW, 'geo.example.com', new Map())).toEqual([
      {
        namespace: 'web',
        endpoint: 'www',
        target: 'us',
        service: { namespace: 'web', name: 'www-us' },
        addresses: ['198.51.100.80'],
        ready: true,
      },
    ]);
    const down = new Map([['web/www/us', 'no ready endpoints']]);
    expect(localTargets(VIEW, 'geo.example.com', down)[0]?.ready).toBe(false);
    expect(localTargets(VIEW, 'other.example.com', new Map())).toEqual([]);
  });
});

describe('peers: remote targets', () => {
  it("takes a peer's target for a Service this cluster lacks, with its readiness as health", () => {
    const taken = remoteTargets(VIEW, [state('eu', [remote({ ready: false })])], 2000);
    expect(taken.targets).toEqual([
      { id: 'web/www/eu', peer: 'eu', service: { namespace: 'web', name: 'www-eu' }, addresses: ['192.0.2.80'] },
    ]);
    expect(taken.down.get('web/www/eu')).toMatch(/^Peer eu: Service web\/www-eu has no ready endpoints$/);
  });

  it("keeps a stale peer's targets and readiness as last heard", () => {
    const old = state('eu', [remote({ ready: false })], 1000);
    expect(isStale(old, 1000 + 30_001)).toBe(true);
    const taken = remoteTargets(VIEW, [old], 1000 + 60_000);
    expect(taken.targets.map((t) => t.addresses)).toEqual([['192.0.2.80']]);
    expect(taken.down.get('web/www/eu')).toMatch(/as last heard/);
  });

  it('rejects a claim on a local Service, and ignores targets this cluster has no GeoEndpoint, zone or ref for', () => {
    const lies = [
      remote({ target: 'us', service: { namespace: 'web', name: 'www-us' }, addresses: ['192.0.2.66'] }),
      remote({ endpoint: 'nowhere' }),
      remote({ service: { namespace: 'web', name: 'not-the-ref' } }),
      remote({ target: 'internal', service: { namespace: 'web', name: 'www-us' } }),
    ];
    expect(remoteTargets(VIEW, [state('eu', lies)], 2000).targets).toEqual([]);
    expect(localClaims(VIEW, document('eu', lies))).toEqual([
      'target web/www/us: Service web/www-us exists in this cluster; its own view wins',
    ]);
    const otherZone = remoteTargets(
      VIEW,
      [{ ...state('eu', []), document: document('eu', [remote()], 'x.example.com') }],
      2000,
    );
    expect(otherZone.targets).toEqual([]);
  });

  it('takes nothing for a Service the cluster set imports here through MCS, and counts no claim', () => {
    const view: LocalView = { ...VIEW, serviceImports: [{ namespace: 'web', name: 'www-eu' }] };
    const fromEu = [remote()];
    expect(remoteTargets(VIEW, [state('eu', fromEu)], 2000).targets).toHaveLength(1);
    expect(remoteTargets(view, [state('eu', fromEu)], 2000)).toEqual({ targets: [], down: new Map() });
    expect(localClaims(view, document('eu', fromEu))).toEqual([]);
    // Never published either: only the Services this cluster has are.
    expect(localTargets(view, 'geo.example.com', new Map()).map((t) => t.target)).toEqual(['us']);
  });

  it('prefers a fresh peer over a stale one, then the first by name', () => {
    const a = state('apac', [remote({ addresses: ['192.0.2.1'] })], 0);
    const b = state('eu', [remote({ addresses: ['192.0.2.2'] })], 50_000);
    const c = state('zz', [remote({ addresses: ['192.0.2.3'] })], 50_000);
    expect(remoteTargets(VIEW, [c, a, b], 60_000).targets[0]?.peer).toBe('eu');
    expect(remoteTargets(VIEW, [c, a, b], 1000).targets[0]?.peer).toBe('apac');
  });
});

describe('peers: what a new leader keeps from the published zone', () => {
  const published = {
    addresses: new Map([
      ['web/www/eu', ['192.0.2.80']],
      ['web/www/us', ['198.51.100.80']],
      ['web/www/dc', ['203.0.113.7']],
    ]),
    down: new Set(['web/www/eu']),
  };
  const none = { targets: [], down: new Map<string, string>() };

  it("keeps a not-yet-heard zone's published addresses and health for the Services that are not here", () => {
    const kept = lastPublished(VIEW, new Set(['geo.example.com']), published, none);
    expect(kept.targets).toEqual([
      {
        id: 'web/www/eu',
        peer: LAST_PUBLISHED,
        service: { namespace: 'web', name: 'www-eu' },
        addresses: ['192.0.2.80'],
      },
    ]);
    expect(kept.down.get('web/www/eu')).toBe('Service web/www-eu: down as last published');
  });

  it('keeps nothing for a Service imported through MCS', () => {
    const view: LocalView = { ...VIEW, serviceImports: [{ namespace: 'web', name: 'www-eu' }] };
    expect(lastPublished(view, new Set(['geo.example.com']), published, none).targets).toEqual([]);
  });

  it('keeps nothing for zones whose peers all answered, nor where a peer gave the target', () => {
    expect(lastPublished(VIEW, new Set(), published, none).targets).toEqual([]);
    const taken = remoteTargets(VIEW, [state('eu', [remote({ addresses: ['192.0.2.99'] })])], 2000);
    const kept = lastPublished(VIEW, new Set(['geo.example.com']), published, taken);
    expect(kept.targets.map((t) => [t.peer, t.addresses])).toEqual([['eu', ['192.0.2.99']]]);
    expect(kept.down.size).toBe(0);
  });
});
