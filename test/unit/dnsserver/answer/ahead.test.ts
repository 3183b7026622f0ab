// Signing in advance: after a change, the answers every client can get and those deterministic routing gives are
// signed in the background, so their first DO queries sign nothing inline and take nothing from the budget.
import dnsPacket from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_FORMAT } from '../../../../api/health.ts';
import { aheadJobs, signAhead } from '../../../../dnsserver/answer/ahead.ts';
import { SigningBudget } from '../../../../dnsserver/dnssec/budget.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { exampleZone } from '../../../support/documents.ts';
import { CITY_MMDB } from '../../../support/serve.ts';
import { query } from '../../../../tools/dns-query.ts';

const NOW = 1_800_000_000;
const udp: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };

const ask = (name: string, type: string, ecs?: string): Buffer =>
  query(name, { type, flags: 0, do: true, ...(ecs ? { ecs: { ip: ecs, prefix: 24 } } : {}) });
const decoded = (reply: Buffer | null) => dnsPacket.decode(reply as Buffer);
const truncated = (reply: Buffer | null) => ((decoded(reply).flags ?? 0) & 0x0200) !== 0;
const rrsigs = (reply: Buffer | null) =>
  [...(decoded(reply).answers ?? []), ...(decoded(reply).authorities ?? [])].filter((r) => r.type === 'RRSIG').length;

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

function setup() {
  const state = new ServerState({ zones: [exampleZone()], geoip });
  const signer = new ZoneSigner('geo.example', [generateSigningKey('geo.example')]);
  state.setSigners(new Map([['geo.example', signer]]));
  // A budget of one new signature a second, at a clock that never moves: spent by the first inline signature.
  const handler = createHandler(state, { now: () => NOW, signingBudget: new SigningBudget(1) });
  const drain = (tags?: readonly string[]) => {
    for (const job of aheadJobs(state, () => NOW, tags)) for (const _ of job);
  };
  return { state, signer, handler, drain };
}

/** Questions whose answers every client may get, or deterministic routing gives (EU and US clients, and none). */
const PRESIGNED: [string, string, string?][] = [
  ['geo.example', 'SOA'],
  ['geo.example', 'NS'],
  ['geo.example', 'DNSKEY'],
  ['geo.example', 'CDS'],
  ['geo.example', 'MX'],
  ['static.geo.example', 'A'],
  ['static.geo.example', 'TXT'],
  ['mail.geo.example', 'TXT'],
  ['ent.geo.example', 'A'],
  ['host.sub.geo.example', 'A'],
  ['alias.geo.example', 'A'],
  ['www.geo.example', 'A'],
  ['www.geo.example', 'A', '198.51.100.0'],
  ['www.geo.example', 'A', '10.1.2.0'],
];

describe('signing in advance', () => {
  it('signs what every client can get and what deterministic routing gives, outside the budget', () => {
    const { state, signer, handler, drain } = setup();
    drain();
    expect(signer.ahead).toBeGreaterThan(10);
    expect(signer.made).toBe(0);
    for (const [name, type, ecs] of PRESIGNED) {
      const reply = handler(ask(name, type, ecs), udp);
      expect(truncated(reply), `${name} ${type} ${ecs ?? ''}`).toBe(false);
      expect(rrsigs(reply), `${name} ${type} ${ecs ?? ''}`).toBeGreaterThan(0);
    }
    expect(signer.made).toBe(0);
    // Weighted answers are drawn per query: signed on first use (and the budget of one is then spent).
    handler(ask('lb.geo.example', 'A'), udp);
    expect(signer.made).toBeGreaterThan(0);
    const made = signer.made;
    expect(state.takeDnssecCounts().zones[0]).toMatchObject({ zone: 'geo.example', made, ahead: expect.any(Number) });
  });

  it('after a health change signs the routed names it touched, for the new healthy set', () => {
    const { signer, handler, drain, state } = setup();
    const tags = state.setHealth({
      format: HEALTH_FORMAT,
      targets: { 'web/www/eu': { up: false, since: '2026-01-01T00:00:00Z' } },
    });
    expect(tags).toEqual(['geo.example|www.geo.example']);
    drain(tags);
    // www's answers alone: us for every client, and its NODATA.
    expect(signer.ahead).toBeGreaterThan(0);
    expect(signer.ahead).toBeLessThan(5);
    for (const ecs of [undefined, '198.51.100.0', '10.1.2.0']) {
      const reply = handler(ask('www.geo.example', 'A', ecs), udp);
      expect(truncated(reply)).toBe(false);
      expect(decoded(reply).answers?.flatMap((r) => (r.type === 'A' ? [r.data] : []))).toEqual(['203.0.113.1']);
    }
    expect(signer.made).toBe(0);
    // A name the change did not touch was not signed.
    handler(ask('static.geo.example', 'A'), udp);
    expect(signer.made).toBe(1);
  });

  it('stops at its bounds, and when what it was started for is replaced', () => {
    const { state, signer } = setup();
    const zone = state.snapshot.zones.get('geo.example');
    if (!zone) throw new Error('no zone');
    const run = (input: Partial<Parameters<typeof signAhead>[0]>) => {
      let steps = 0;
      for (const _ of signAhead({ zone, signer, health: () => ({}), clock: () => NOW, current: () => true, ...input }))
        steps++;
      return steps;
    };
    const all = run({});
    const made = signer.ahead;
    expect(all).toBeGreaterThan(10);
    signer.ahead = 0;
    // A fresh signer for each bounded run: nothing cached.
    const fresh = () => new ZoneSigner('geo.example', signer.keys);
    expect(run({ maxAnswers: 3, signer: fresh() })).toBe(3);
    const bounded = fresh();
    expect(run({ maxSignatures: 5, signer: bounded })).toBeLessThan(all);
    // Checked before each answer: it stops once one answer's signatures reach the bound.
    expect(bounded.ahead).toBeGreaterThanOrEqual(5);
    expect(bounded.ahead).toBeLessThan(made);
    expect(run({ current: () => false })).toBe(0);
  });
});
