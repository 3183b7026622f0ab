// How many names of each zone have not one healthy target now (the alert GeoDNSNameWithoutHealthyTarget): pure.
import { describe, expect, it } from 'vitest';
import { HEALTH_FORMAT, type HealthTable } from '../../../../api/health.ts';
import { compile } from '../../../../operator/compile/index.ts';
import { namesWithoutHealthyTarget } from '../../../../operator/status/desired.ts';
import { endpoint, input, target } from '../../../support/resources.ts';

const SINCE = '2026-12-06T00:00:00Z';
const table = (targets: Record<string, boolean>): HealthTable => ({
  format: HEALTH_FORMAT,
  targets: Object.fromEntries(Object.entries(targets).map(([id, up]) => [id, { up, since: SINCE }])),
});

// www: two targets; api: one; both in zone geo (geo.example.com).
const { zones } = compile(
  input({
    endpoints: [
      endpoint('web', 'www', { targets: [target('eu-1'), target('us-1', { addresses: ['192.0.2.2'] })] }),
      endpoint('web', 'api'),
    ],
  }),
);

describe('namesWithoutHealthyTarget', () => {
  it('lists every zone, with 0 while each name has a healthy target', () => {
    expect(namesWithoutHealthyTarget(zones, table({}))).toEqual(new Map([['geo.example.com', 0]]));
    expect(namesWithoutHealthyTarget(zones, table({ 'web/www/eu-1': false }))).toEqual(
      new Map([['geo.example.com', 0]]),
    );
  });

  it('counts a name once when all its targets are down, by the health table', () => {
    const down = table({ 'web/www/eu-1': false, 'web/www/us-1': false });
    expect(namesWithoutHealthyTarget(zones, down)).toEqual(new Map([['geo.example.com', 1]]));
    const both = table({ 'web/www/eu-1': false, 'web/www/us-1': false, 'web/api/eu-1': false });
    expect(namesWithoutHealthyTarget(zones, both)).toEqual(new Map([['geo.example.com', 2]]));
  });

  it('takes compile-time health where the table is silent, and the table over it', () => {
    // A target the table does not list (no probe, no Service) keeps the health compile gave it: up.
    expect(namesWithoutHealthyTarget(zones, table({ 'web/api/eu-1': true }))).toEqual(
      new Map([['geo.example.com', 0]]),
    );
    const [zone] = zones;
    const unhealthy = [
      {
        ...zone!,
        routed: zone!.routed.map((r) => ({ ...r, targets: r.targets.map((t) => ({ ...t, healthy: false })) })),
      },
    ];
    expect(namesWithoutHealthyTarget(unhealthy, table({}))).toEqual(new Map([['geo.example.com', 2]]));
    expect(namesWithoutHealthyTarget(unhealthy, table({ 'web/www/us-1': true }))).toEqual(
      new Map([['geo.example.com', 1]]),
    );
  });
});
