// The signing budget: new signatures for UDP queries beyond it get TC=1; cached ones and TCP are not limited.
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { SigningBudget } from '../../../../dnsserver/dnssec/budget.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';
import { CITY_MMDB } from '../../../support/serve.ts';
import { query } from '../../../../tools/dns-query.ts';

const udp: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
const tcp: ClientInfo = { ...udp, transport: 'tcp' };

const ask = (name: string): Buffer => query(name, { flags: 0, do: true });
const tc = (reply: Buffer | null) => ((reply as Buffer).readUInt16BE(2) & 0x0200) !== 0;
const ancount = (reply: Buffer | null) => (reply as Buffer).readUInt16BE(6) + (reply as Buffer).readUInt16BE(8);

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

describe('SigningBudget', () => {
  it('gives `rate` at once, then `rate` a second', () => {
    const budget = new SigningBudget(2);
    expect([budget.take(100), budget.take(100), budget.take(100)]).toEqual([true, true, false]);
    expect([budget.take(100.5), budget.take(100.5)]).toEqual([true, false]);
    expect([budget.take(110), budget.take(110), budget.take(110)]).toEqual([true, true, false]);
    expect(() => new SigningBudget(0)).toThrow(/positive rate/);
  });
});

describe('signing budget in the handler', () => {
  it('answers made-up names TC=1 over UDP once spent, while cached answers and TCP are served', () => {
    const state = new ServerState({ zones: [exampleZone()], geoip });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [generateSigningKey('geo.example')])]]));
    let now = 1_800_000_000;
    const handler = createHandler(state, { now: () => now, signingBudget: new SigningBudget(3) });
    // static: one signature (A). nope-1: SOA + NSEC, two. The budget (3) is spent.
    expect(tc(handler(ask('static.geo.example'), udp))).toBe(false);
    expect(tc(handler(ask('nope-1.geo.example'), udp))).toBe(false);
    const flooded = handler(ask('nope-2.geo.example'), udp);
    expect(tc(flooded)).toBe(true);
    expect(ancount(flooded)).toBe(0);
    // Already signed: no budget needed.
    expect(tc(handler(ask('static.geo.example'), udp))).toBe(false);
    expect(ancount(handler(ask('nope-1.geo.example'), udp))).toBe(4);
    // Over TCP the made-up name is signed anyway.
    const overTcp = handler(ask('nope-2.geo.example'), tcp);
    expect(tc(overTcp)).toBe(false);
    expect(ancount(overTcp)).toBe(4);
    // Made: static's A, nope-1's SOA and NSEC, nope-2's NSEC over TCP. From the cache: the SOA for nope-2, twice
    // (the refused UDP attempt, then TCP); repeated questions come from the signed answers, not the signer.
    expect(state.takeDnssecCounts()).toEqual({
      zones: [{ zone: 'geo.example', made: 4, ahead: 0, refreshed: 0, hits: 2 }],
      budgetExceeded: 1,
    });
    // A second later the budget is back.
    now += 1;
    expect(tc(handler(ask('nope-3.geo.example'), udp))).toBe(false);
    expect(state.takeDnssecCounts().budgetExceeded).toBe(0);
  });
});
