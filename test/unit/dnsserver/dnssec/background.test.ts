// Signing off the query path: the refresh replaces signatures falling due (jittered), in slices, without the
// signing budget; queries keep serving a due signature until it stops being servable.
import { beforeAll, describe, expect, it } from 'vitest';
import { BackgroundSigning } from '../../../../dnsserver/dnssec/background.ts';
import { SigningBudget } from '../../../../dnsserver/dnssec/budget.ts';
import { canonicalRdata } from '../../../../dnsserver/dnssec/canonical.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { exampleZone } from '../../../support/documents.ts';
import { CITY_MMDB } from '../../../support/serve.ts';
import { query } from '../../../../tools/dns-query.ts';

const LIFETIME = 3600;
const T0 = 1_800_000_000;
const key = generateSigningKey('example.com');
const rrset = (i: number) => ({
  name: `n${i}.example.com`,
  type: 1,
  ttl: 60,
  rdata: [canonicalRdata('A', `192.0.2.${i}`)],
});
/** RRSIG inception (RFC 4034 §3.1.5). */
const inception = (rrsig: Buffer | undefined) => (rrsig as Buffer).readUInt32BE(12);

/** Draws 0, 1/n, 2/n, … in turn: a known spread of refresh points. */
function evenly(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

describe('ZoneSigner refresh points', () => {
  it('spreads signatures made together between 40% and 50% of their lifetime', () => {
    const signer = new ZoneSigner('example.com', [key], { lifetimeSeconds: LIFETIME });
    const points = Array.from({ length: 100 }, (_, i) => signer.sign(rrset(i), T0).refreshAt);
    for (const at of points) {
      expect(at).toBeGreaterThanOrEqual(T0 + 0.4 * LIFETIME);
      expect(at).toBeLessThanOrEqual(T0 + 0.5 * LIFETIME);
    }
    // 100 draws over 360 s: far more than a handful of distinct points.
    expect(new Set(points).size).toBeGreaterThan(20);
  });

  it('serves a due signature until half its lifetime, then a query signs', () => {
    const signer = new ZoneSigner('example.com', [key], { lifetimeSeconds: LIFETIME, random: () => 0 });
    const first = signer.sign(rrset(1), T0);
    expect(first.refreshAt).toBe(T0 + 1440);
    // Past its refresh point: still served, and an answer holding it may be kept until it stops being servable.
    const due = signer.sign(rrset(1), T0 + 1500);
    expect(due.rrsigs[0]).toBe(first.rrsigs[0]);
    expect(due.refreshAt).toBe(T0 + 1800);
    expect(signer.made).toBe(1);
    const late = signer.sign(rrset(1), T0 + 1800);
    expect(inception(late.rrsigs[0])).toBe(inception(first.rrsigs[0]) + 1800);
    expect(signer.made).toBe(2);
  });
});

describe('BackgroundSigning', () => {
  it('re-signs the signatures due before the sweep after next, and only those', async () => {
    let now = T0;
    const signer = new ZoneSigner('example.com', [key], { lifetimeSeconds: LIFETIME, random: evenly(10) });
    const signers = new Map([['example.com', signer]]);
    const made = Array.from({ length: 10 }, (_, i) => signer.sign(rrset(i), now));
    const background = new BackgroundSigning({ signers: () => signers, clock: () => now, intervalMs: 60_000 });
    try {
      // Refresh points T0 + 1440 + 36 i; at T0 + 1500 the horizon is T0 + 1620: i = 0…4 are due.
      now = T0 + 1500;
      await background.refresh();
      expect(signer.refreshed).toBe(5);
      expect(signer.made).toBe(10);
      for (let i = 0; i < 10; i++) {
        const served = signer.sign(rrset(i), now).rrsigs[0];
        if (i < 5) expect(inception(served)).toBe(inception(made[i]?.rrsigs[0]) + 1500);
        else expect(served).toBe(made[i]?.rrsigs[0]);
      }
      expect(signer.made).toBe(10);
      // Nothing more is due before the next sweep finds it.
      await background.refresh();
      expect(signer.refreshed).toBe(5);
    } finally {
      background.close();
    }
  });

  it('yields to the event loop between slices', async () => {
    const signer = new ZoneSigner('example.com', [key], { lifetimeSeconds: LIFETIME });
    for (let i = 0; i < 50; i++) signer.sign(rrset(i), T0);
    const background = new BackgroundSigning({
      signers: () => new Map([['example.com', signer]]),
      clock: () => T0 + LIFETIME,
      sliceMs: 0,
    });
    let turns = 0;
    const spin = () => {
      turns++;
      if (signer.refreshed < 50) setImmediate(spin);
    };
    setImmediate(spin);
    try {
      await background.refresh();
      expect(signer.refreshed).toBe(50);
      // With no time per slice, one signature a slice: other callbacks ran between them.
      expect(turns).toBeGreaterThanOrEqual(25);
    } finally {
      background.close();
    }
  });
});

describe('background signing and the signing budget', () => {
  let geoip: GeoDatabase;
  beforeAll(async () => {
    geoip = await openGeoDatabase(CITY_MMDB);
  });
  const udp: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
  const ask = (name: string) => query(name, { flags: 0, do: true });
  const truncated = (reply: Buffer | null) => ((reply as Buffer).readUInt16BE(2) & 0x0200) !== 0;

  it('refreshes without taking from it, and queries serve due signatures without signing', async () => {
    let now = T0;
    const state = new ServerState({ zones: [exampleZone()], geoip });
    const signer = new ZoneSigner('geo.example', [generateSigningKey('geo.example')], { lifetimeSeconds: LIFETIME });
    state.setSigners(new Map([['geo.example', signer]]));
    const budget = new SigningBudget(2);
    const handler = createHandler(state, { now: () => now, signingBudget: budget });
    expect(truncated(handler(ask('static.geo.example'), udp))).toBe(false);
    // The A, then nope-1's SOA: the budget (2 a second) is spent before its NSEC.
    expect(truncated(handler(ask('nope-1.geo.example'), udp))).toBe(true);
    // Past every refresh point, before half the lifetime: the cached answer's signature is still served.
    now = T0 + 1700;
    const background = new BackgroundSigning({ signers: () => state.signers, clock: () => now });
    try {
      expect(truncated(handler(ask('static.geo.example'), udp))).toBe(false);
      await background.refresh();
      expect(signer.refreshed).toBeGreaterThan(0);
      // The budget refilled over the 1,700 s and the refresh (the A and the SOA) took none of it: two new NSEC
      // signatures fit, not three.
      expect(truncated(handler(ask('nope-2.geo.example'), udp))).toBe(false);
      expect(truncated(handler(ask('nope-3.geo.example'), udp))).toBe(false);
      expect(truncated(handler(ask('nope-4.geo.example'), udp))).toBe(true);
      const [counts] = state.takeDnssecCounts().zones;
      expect(counts).toMatchObject({ zone: 'geo.example', made: 4, ahead: 0, refreshed: 2 });
    } finally {
      background.close();
    }
  });
});
