// The handler's ReuseHint: which replies it says the same query bytes would get again (and from which sources),
// for the native UDP path's reply cache; and that a reply it says so of is indeed the reply it gives again.
import dnsPacket, { type OptAnswer } from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_FORMAT } from '../../../api/health.ts';
import { openGeoDatabase, type GeoDatabase } from '../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState, type HandlerOptions, type QueryEvent } from '../../../dnsserver/handler.ts';
import { ZoneSigner } from '../../../dnsserver/dnssec/signer.ts';
import { generateSigningKey } from '../../../lib/dnssec/keys.ts';
import { RRL_DEFAULTS, ResponseRateLimiter } from '../../../dnsserver/rrl/limiter.ts';
import type { ClientInfo, ReuseHint } from '../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../support/documents.ts';
import { query, type QueryOptions } from '../../../tools/dns-query.ts';
import { CITY_MMDB } from '../../support/serve.ts';

const udp: ClientInfo = { address: '198.51.100.7', port: 5300, family: 4, transport: 'udp' };
const EU_SUBNET = { ip: '198.51.100.0', prefix: 24 };

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

function setup(options: HandlerOptions = {}) {
  const state = new ServerState({ zones: [exampleZone()], geoip });
  const events: QueryEvent[] = [];
  const handler = createHandler(state, { random: () => 0, observe: (event) => events.push(event), ...options });
  /** The reply and the hint for one query. */
  const ask = (name: string, queryOptions: QueryOptions = {}, client: ClientInfo = udp) => {
    const hint: ReuseHint<QueryEvent> = { sourcePrefix: 99, holdsForMs: -5, counted: undefined };
    const reply = handler(query(name, queryOptions), client, hint);
    return { reply, hint };
  };
  return { state, handler, ask, events };
}

function ecsScope(reply: Buffer | null): number | undefined {
  const opt = dnsPacket.decode(reply as Buffer).additionals?.find((r): r is OptAnswer => r.type === 'OPT');
  return (opt?.options.find((o) => o.code === 8) as { scopePrefixLength?: number } | undefined)?.scopePrefixLength;
}

describe('the handler says which replies may be reused', () => {
  it('a static answer, a referral and NXDOMAIN: for every source', () => {
    const { ask, events } = setup();
    for (const name of ['static.geo.example', 'host.sub.geo.example', 'missing.geo.example']) {
      const { hint } = ask(name);
      expect(hint.sourcePrefix, name).toBe(0);
      expect(hint.holdsForMs, name).toBe(Infinity);
      expect(hint.counted).toBe(events.at(-1));
    }
  });

  it('a routed answer placed by the source address: for the network that placed it, as its ECS scope says', () => {
    const { ask } = setup();
    const scope = ecsScope(ask('www.geo.example', { ecs: { ip: udp.address, prefix: 32 } }).reply);
    expect(scope).toBeGreaterThan(0);
    const { reply, hint } = ask('www.geo.example');
    expect(hint.sourcePrefix).toBe(scope);
    // Asked again from another address of that network, the reply is the same.
    const neighbour = { ...udp, address: '198.51.100.200' };
    expect(ask('www.geo.example', {}, neighbour).reply?.subarray(2)).toEqual(reply?.subarray(2));
  });

  it('a routed answer placed by the ECS subnet: for every source (the subnet is in the query bytes)', () => {
    const { ask } = setup();
    const first = ask('www.geo.example', { ecs: EU_SUBNET });
    expect(first.hint.sourcePrefix).toBe(0);
    const elsewhere = ask('www.geo.example', { ecs: EU_SUBNET }, { ...udp, address: '203.0.113.9' });
    expect(elsewhere.reply?.subarray(2)).toEqual(first.reply?.subarray(2));
  });

  it('never a random choice (weighted), a cookie, TCP, FORMERR or a refusal', () => {
    const { ask } = setup();
    expect(ask('lb.geo.example').hint.sourcePrefix).toBe(-1);
    expect(ask('static.geo.example', { cookie: Buffer.alloc(8, 1) }).hint.sourcePrefix).toBe(-1);
    expect(ask('static.geo.example', {}, { ...udp, transport: 'tcp' }).hint.sourcePrefix).toBe(-1);
    expect(ask('www.example.org').hint.sourcePrefix).toBe(-1);
    const { handler } = setup();
    const hint: ReuseHint<QueryEvent> = { sourcePrefix: 99, holdsForMs: -5, counted: undefined };
    const garbled = Buffer.from(query('static.geo.example')).subarray(0, 20);
    handler(garbled, udp, hint);
    expect(hint.sourcePrefix).toBe(-1);
    const response = Buffer.from(query('static.geo.example'));
    response[2] = (response[2] as number) | 0x80;
    handler(response, udp, hint);
    expect(hint).toEqual({ sourcePrefix: -1, holdsForMs: 0, counted: undefined });
  });

  it('never with a rate limiter or the query log, which must see every query', () => {
    const limiter = new ResponseRateLimiter({ ...RRL_DEFAULTS, rate: 1_000_000 }, { now: () => 0 });
    expect(setup({ rateLimiter: limiter }).ask('static.geo.example').hint.sourcePrefix).toBe(-1);
    expect(setup({ queryDetail: true }).ask('static.geo.example').hint.sourcePrefix).toBe(-1);
  });

  it('a signed zone: a signed answer until its signatures are due for refresh; without DO, until answers change', () => {
    let now = 1_800_000_000;
    const { state, ask } = setup({ now: () => now });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [generateSigningKey('geo.example')])]]));
    const signed = ask('static.geo.example', { do: true });
    expect(signed.hint.sourcePrefix).toBe(0);
    expect(signed.hint.holdsForMs).toBeGreaterThan(3600_000);
    expect(signed.hint.holdsForMs).toBeLessThan(30 * 86400_000);
    // Later, the same answer (remembered) holds for that much less; past it, it is signed anew and holds again.
    now += 3600;
    const later = ask('static.geo.example', { do: true });
    expect(later.reply?.subarray(2)).toEqual(signed.reply?.subarray(2));
    expect(later.hint.holdsForMs).toBe(signed.hint.holdsForMs - 3600_000);
    now += later.hint.holdsForMs / 1000;
    const renewed = ask('static.geo.example', { do: true });
    expect(renewed.hint.holdsForMs).toBeGreaterThan(0);
    // Routed by the ECS subnet and signed: for every source; a random choice signed: never.
    expect(ask('www.geo.example', { do: true, ecs: EU_SUBNET }).hint.sourcePrefix).toBe(0);
    expect(ask('lb.geo.example', { do: true }).hint.sourcePrefix).toBe(-1);
    expect(ask('static.geo.example').hint).toMatchObject({ sourcePrefix: 0, holdsForMs: Infinity });
    expect(ask('geo.example', { type: 'DNSKEY' }).hint).toMatchObject({ sourcePrefix: 0, holdsForMs: Infinity });
  });

  it('a failover answer changes with health: the hint holds for one state of the answers', () => {
    const { state, ask } = setup();
    const before = ask('www.geo.example', { ecs: EU_SUBNET });
    let changes = 0;
    state.onAnswersChanged(() => changes++);
    state.setHealth({ format: HEALTH_FORMAT, targets: { 'web/www/eu': { up: false, since: '2026-01-01T00:00:00Z' } } });
    expect(changes).toBe(1);
    const after = ask('www.geo.example', { ecs: EU_SUBNET });
    expect(after.reply?.subarray(2)).not.toEqual(before.reply?.subarray(2));
  });
});
