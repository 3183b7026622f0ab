import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer } from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_FORMAT, type HealthTable } from '../../../api/health.ts';
import { openGeoDatabase, type GeoDatabase } from '../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState, type QueryEvent } from '../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../support/documents.ts';
import { query, type QueryOptions } from '../../../tools/dns-query.ts';
import { CITY_MMDB } from '../../support/serve.ts';

const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };

interface Reply {
  packet: DecodedPacket;
  rcode: number;
  aa: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  ecsScope: number | undefined;
  /** The data of the reply's EDNS option `code`, if the reply has one. */
  option: (code: number) => Buffer | undefined;
}

function decode(buffer: Buffer | null): Reply {
  if (!buffer) throw new Error('no response');
  const packet = dnsPacket.decode(buffer);
  const opt = packet.additionals?.find((r): r is OptAnswer => r.type === 'OPT');
  const ecs = opt?.options?.find((o) => o.code === 8) as { scopePrefixLength?: number } | undefined;
  return {
    packet,
    rcode: (buffer[3] ?? 0) & 0x0f,
    aa: packet.flag_aa,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: (packet.additionals ?? []).filter((r) => r.type !== 'OPT'),
    ecsScope: ecs?.scopePrefixLength,
    option: (code) => (opt?.options.find((o) => (o.code as number) === code) as { data?: Buffer } | undefined)?.data,
  };
}

const data = (records: Answer[]) => records.map((r) => ('data' in r ? r.data : undefined));
const health = (targets: HealthTable['targets']): HealthTable => ({ format: HEALTH_FORMAT, targets });

let geoip: GeoDatabase;
beforeAll(async () => {
  geoip = await openGeoDatabase(CITY_MMDB);
});

function setup(random = () => 0) {
  const state = new ServerState({ zones: [exampleZone()], geoip });
  const events: QueryEvent[] = [];
  const handler = createHandler(state, { random, observe: (event) => events.push(event) });
  const ask = (name: string, options?: QueryOptions, info: ClientInfo = client) =>
    decode(handler(query(name, options), info));
  return { state, handler, ask, events };
}

describe('handler', () => {
  it('answers static data authoritatively, echoing the id', () => {
    const { ask } = setup();
    const reply = ask('Static.Geo.Example');
    expect(reply.rcode).toBe(0);
    expect(reply.aa).toBe(true);
    expect(reply.packet.id).toBe(4242);
    expect(data(reply.answers)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(reply.packet.questions?.[0]?.name).toBe('Static.Geo.Example');
  });

  it('refuses names outside its zones and classes other than IN', () => {
    const { ask, events } = setup();
    const outside = ask('www.example.org');
    expect(outside.rcode).toBe(5);
    expect(outside.aa).toBe(false);
    expect(ask('static.geo.example', { klass: 'CH' }).rcode).toBe(5);
    expect(ask('geo.example', { type: 'AXFR' }).rcode).toBe(5);
    expect(events[0]).toMatchObject({ zone: null, rcode: 5, transport: 'udp' });
  });

  it('says why it refuses with an Extended DNS Error (RFC 8914) when the query has EDNS, as Knot does', () => {
    const { ask } = setup();
    const extendedError = (reply: Reply) => reply.option(15)?.readUInt16BE(0);
    expect(extendedError(ask('www.example.org', { edns: true }))).toBe(20); // Not Authoritative
    expect(extendedError(ask('geo.example', { type: 'AXFR', edns: true }))).toBe(18); // Prohibited
    expect(extendedError(ask('static.geo.example', { edns: true }))).toBeUndefined();
    const withoutEdns = ask('www.example.org');
    expect(withoutEdns.packet.additionals ?? []).toEqual([]);
  });

  it('answers NXDOMAIN and NODATA with the SOA at TTL min(SOA ttl, minimum)', () => {
    const { ask } = setup();
    const nx = ask('missing.geo.example');
    expect(nx.rcode).toBe(3);
    expect(nx.aa).toBe(true);
    expect(nx.answers).toEqual([]);
    expect(nx.authorities).toHaveLength(1);
    expect(nx.authorities[0]).toMatchObject({ type: 'SOA', ttl: 60, name: 'geo.example' });
    const nodata = ask('static.geo.example', { type: 'MX' });
    expect(nodata.rcode).toBe(0);
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities[0]).toMatchObject({ type: 'SOA', ttl: 60 });
    // An unknown type at an existing name is NODATA too.
    const unknown = decode(
      setup().handler(
        Buffer.from(
          dnsPacket.encode({
            type: 'query',
            id: 1,
            questions: [{ name: 'static.geo.example', type: 'TYPE65280' as 'A' }],
          }),
        ),
        client,
      ),
    );
    expect(unknown.rcode).toBe(0);
    expect(unknown.authorities[0]?.type).toBe('SOA');
  });

  it('refers delegated names without AA, with glue', () => {
    const { ask } = setup();
    const reply = ask('host.sub.geo.example');
    expect(reply.rcode).toBe(0);
    expect(reply.aa).toBe(false);
    expect(reply.answers).toEqual([]);
    expect(data(reply.authorities)).toEqual(['ns.sub.geo.example', 'ns.other.example']);
    expect(reply.additionals).toEqual([expect.objectContaining({ name: 'ns.sub.geo.example', data: '192.0.2.99' })]);
  });

  it('follows a CNAME into a delegation: AA, the CNAME, the delegation NS in authority, glue', () => {
    const { ask } = setup();
    const reply = ask('to-sub.geo.example');
    expect(reply.rcode).toBe(0);
    expect(reply.aa).toBe(true);
    expect(data(reply.answers)).toEqual(['host.sub.geo.example']);
    expect(reply.authorities.map((r) => `${r.name} ${r.type}`)).toEqual(['sub.geo.example NS', 'sub.geo.example NS']);
    expect(data(reply.authorities)).toEqual(['ns.sub.geo.example', 'ns.other.example']);
    expect(data(reply.additionals)).toEqual(['192.0.2.99']);
  });

  it('answers from a wildcard with the client-cased query name as owner', () => {
    const { ask } = setup();
    const reply = ask('X.Wild.geo.example');
    expect(reply.rcode).toBe(0);
    expect(reply.aa).toBe(true);
    expect(reply.answers).toEqual([
      expect.objectContaining({ name: 'X.Wild.geo.example', type: 'A', data: '192.0.2.88' }),
    ]);
  });

  it('answers a wildcard routed name with the query name as owner', () => {
    const www = exampleZone().routed.find((r) => r.name === 'www.geo.example')!;
    const state = new ServerState({ zones: [exampleZone({ routed: [{ ...www, name: '*.geo.geo.example' }] })], geoip });
    const reply = decode(
      createHandler(state, { random: () => 0 })(
        query('Eu.geo.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } }),
        client,
      ),
    );
    expect(reply.answers).toEqual([
      expect.objectContaining({ name: 'Eu.geo.geo.example', type: 'A', data: '198.51.100.1' }),
    ]);
  });

  it('follows CNAMEs into routed names', () => {
    const { ask } = setup();
    const reply = ask('to-www.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } });
    expect(reply.answers.map((r) => r.type)).toEqual(['CNAME', 'A']);
    expect(data(reply.answers)).toEqual(['www.geo.example', '198.51.100.1']);
  });

  it('routes geo names by the ECS subnet and echoes ECS with the location scope', () => {
    const { ask, events } = setup();
    const eu = ask('www.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } });
    expect(data(eu.answers)).toEqual(['198.51.100.1']);
    expect(eu.answers[0]).toMatchObject({ ttl: 30 });
    expect(eu.ecsScope).toBe(24);
    const us = ask('www.geo.example', { ecs: { ip: '192.0.2.0', prefix: 24 } });
    expect(data(us.answers)).toEqual(['203.0.113.1']);
    expect(us.ecsScope).toBe(24);
    // The scope is never wider than the source prefix the resolver sent.
    const narrow = ask('www.geo.example', { ecs: { ip: '198.51.0.0', prefix: 16 } });
    expect(narrow.ecsScope).toBeLessThanOrEqual(16);
    expect(events.at(-1)).toMatchObject({ zone: 'geo.example', policy: 'geo', ecs: true, rcode: 0 });
  });

  it('routes by the source address without ECS, and by custom networks', () => {
    const { ask } = setup();
    expect(data(ask('www.geo.example', {}, { ...client, address: '198.51.100.77' }).answers)).toEqual(['198.51.100.1']);
    // 10.0.0.0/8 is a custom network in NA.
    const corp = ask('www.geo.example', { ecs: { ip: '10.1.0.0', prefix: 16 } });
    expect(data(corp.answers)).toEqual(['203.0.113.1']);
    expect(corp.ecsScope).toBe(8);
  });

  it('locates by the source address when the ECS source prefix is 0, and returns scope 0', () => {
    const { ask } = setup();
    const reply = ask('www.geo.example', { ecs: { ip: '0.0.0.0', prefix: 0 } }, { ...client, address: '192.0.2.7' });
    expect(data(reply.answers)).toEqual(['203.0.113.1']);
    expect(reply.ecsScope).toBe(0);
  });

  it('reports policy and target to the metrics hook', () => {
    const { ask, events } = setup();
    ask('lb.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } });
    ask('static.geo.example');
    ask('static.geo.example');
    expect(events).toEqual([
      {
        zone: 'geo.example',
        qname: 'lb.geo.example',
        qtype: 1,
        rcode: 0,
        transport: 'udp',
        policy: 'weighted',
        target: 'web/lb/a',
        ecs: true,
        answer: expect.any(Object),
      },
      {
        zone: 'geo.example',
        qname: 'static.geo.example',
        qtype: 1,
        rcode: 0,
        transport: 'udp',
        ecs: false,
        answer: expect.any(Object),
      },
      expect.any(Object),
    ]);
    // Queries answered alike carry the very same answer object; different answers carry different ones.
    expect(events[2]?.answer).toBe(events[1]?.answer);
    expect(events[0]?.answer).not.toBe(events[1]?.answer);
  });

  it('answers SERVFAIL when answering fails, reports the error, keeps the cookie, and goes on answering', () => {
    const state = new ServerState({ zones: [exampleZone()], geoip });
    const errors: unknown[] = [];
    const handler = createHandler(state, {
      // Weighted names draw a random number: a failing generator makes answering them throw.
      random: () => {
        throw new Error('no randomness today');
      },
      serverCookie: () => Buffer.alloc(16, 7),
      onError: (error) => errors.push(error),
    });
    const clientCookie = Buffer.from('0123456789abcdef', 'hex');
    const reply = decode(handler(query('lb.geo.example', { cookie: clientCookie }), client));
    expect(reply.rcode).toBe(2);
    expect(String(errors[0])).toContain('no randomness today');
    expect(reply.option(10)).toEqual(Buffer.concat([clientCookie, Buffer.alloc(16, 7)]));
    expect(decode(handler(query('static.geo.example'), client)).rcode).toBe(0);
  });

  it('answers weighted names with ECS scope 0', () => {
    const { ask } = setup();
    const reply = ask('lb.geo.example', { ecs: { ip: '198.51.100.0', prefix: 24 } });
    expect(data(reply.answers)).toEqual(['192.0.2.101']);
    expect(reply.ecsScope).toBe(0);
  });

  it('answers AAAA from IPv6 target addresses, NODATA when a policy has none', () => {
    const { ask } = setup();
    expect(data(ask('www.geo.example', { type: 'AAAA', ecs: { ip: '198.51.100.0', prefix: 24 } }).answers)).toEqual([
      '2001:db8:e::1',
    ]);
    const none = ask('lb.geo.example', { type: 'AAAA' });
    expect(none.rcode).toBe(0);
    expect(none.answers).toEqual([]);
    expect(none.authorities[0]?.type).toBe('SOA');
  });

  it('flips the answer on a health change and invalidates only the names it touches', () => {
    const { state, ask } = setup();
    const ecs = { ip: '198.51.100.0', prefix: 24 };
    expect(data(ask('www.geo.example', { ecs }).answers)).toEqual(['198.51.100.1']);
    ask('static.geo.example');
    ask('lb.geo.example');
    // Routed bodies live in the tagged cache (static answers are kept with their plan, untouched by health).
    const before = state.cache.size;
    expect(before).toBe(2);

    const touched = state.setHealth(health({ 'web/www/eu': { up: false, since: '2026-01-01T00:00:00Z' } }));
    expect(touched).toEqual(['geo.example|www.geo.example']);
    expect(state.cache.size).toBe(1);
    expect(data(ask('www.geo.example', { ecs }).answers)).toEqual(['203.0.113.1']);

    // Same table again: nothing changes, nothing is dropped.
    expect(state.setHealth(health({ 'web/www/eu': { up: false, since: '2026-01-01T00:00:01Z' } }))).toEqual([]);
    expect(data(ask('www.geo.example', { ecs }).answers)).toEqual(['203.0.113.1']);

    state.setHealth(health({}));
    expect(data(ask('www.geo.example', { ecs }).answers)).toEqual(['198.51.100.1']);
  });

  it('swaps zones atomically', () => {
    const { state, ask } = setup();
    expect(ask('static.geo.example').rcode).toBe(0);
    state.setZones([exampleZone({ zone: 'other.example', records: [], routed: [], networks: [] })]);
    expect(ask('static.geo.example').rcode).toBe(5);
    expect(ask('other.example', { type: 'SOA' }).answers[0]).toMatchObject({ type: 'SOA' });
  });

  it('answers FORMERR for a broken packet and drops responses', () => {
    const { handler } = setup();
    const broken = query('static.geo.example').subarray(0, 20);
    expect(((handler(broken, client) ?? Buffer.alloc(4))[3] ?? 0) & 0x0f).toBe(1);
    const response = Buffer.from(query('static.geo.example'));
    response[2] = (response[2] ?? 0) | 0x80;
    expect(handler(response, client)).toBeNull();
  });

  it('answers from the cache with the client question case kept', () => {
    const { ask } = setup();
    ask('static.geo.example');
    const cached = ask('STATIC.geo.example');
    expect(cached.packet.questions?.[0]?.name).toBe('STATIC.geo.example');
    expect(data(cached.answers)).toEqual(['192.0.2.10', '192.0.2.11']);
  });
});
