// Routed answers from a live `geodns serve`, steered with EDNS Client Subnet (dig +subnet).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CITY_MMDB, EXAMPLES, startServe, type ServeProcess, SERVE_UDP_IOS } from '../../support/serve.ts';

const FRANKFURT = ['192.0.2.10', '192.0.2.11'];
const VIRGINIA = ['198.51.100.10', '198.51.100.11'];
const TOKYO = ['203.0.113.10'];
const SYDNEY = ['203.0.113.20'];
const PARIS = ['192.0.2.20'];

describe.each(SERVE_UDP_IOS)('geo routing with the test city database (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], { udpIo, geoip: CITY_MMDB });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const ask = async (subnet: string) => {
    const result = await server.dig(['www.geo.example.com', 'A', `+subnet=${subnet}`]);
    expect(result.status).toBe('NOERROR');
    return {
      addresses: result.answer.map((r) => r.data).sort(),
      ecs: result.ecs,
    };
  };

  test.each([
    // GeoIP networks (test/fixtures/mmdb/make.pl)
    ['198.51.100.0/24', FRANKFURT, 24], // DE/BY: country DE → eu-frankfurt
    ['198.51.100.7/32', FRANKFURT, 24], // scope is the deciding network, not the source
    ['203.0.113.0/24', TOKYO, 24], // JP
    ['192.0.2.0/24', [...VIRGINIA, '198.51.100.20'].sort(), 24], // US/CA: both US targets, no subdivision match
    ['2001:db8:100::/48', PARIS, 48], // FR
    ['2001:db8:200::/48', SYDNEY, 40], // AU, deciding network /40
    // the zone's custom networks
    ['10.1.5.0/24', FRANKFURT, 16],
    ['10.2.0.0/16', VIRGINIA, 16],
    ['10.3.0.0/24', TOKYO, 17], // 10.3/16 minus its 10.3.128/17: the answer holds for 10.3.0.0/17
    ['10.3.128.0/24', SYDNEY, 17], // the more specific 10.3.128/17
  ])('+subnet=%s → %j with scope /%i', async (subnet, expected, scope) => {
    const { addresses, ecs } = await ask(subnet);
    expect(addresses).toEqual([...expected].sort());
    expect(ecs?.source).toBe(Number(subnet.split('/')[1]));
    expect(ecs?.scope).toBe(scope);
  });

  test.each([
    ['2001:db8:200::/39', SYDNEY], // inside the AU /40, which is longer than the source
    ['10.2.0.0/15', VIRGINIA], // inside 10.2/16
  ])('the scope never exceeds the source prefix (+subnet=%s)', async (subnet, expected) => {
    const { addresses, ecs } = await ask(subnet);
    expect(addresses).toEqual(expected);
    const source = Number(subnet.split('/')[1]);
    expect(ecs?.source).toBe(source);
    expect(ecs?.scope).toBe(source);
  });

  test('AAAA is routed the same way', async () => {
    const result = await server.dig(['www.geo.example.com', 'AAAA', '+subnet=10.1.0.0/16']);
    expect(result.answer.map((r) => r.data)).toEqual(['2001:db8:10::10']);
    expect(result.ecs?.scope).toBe(16);
  });

  test('proximity picks the nearest target to the client location', async () => {
    const result = await server.dig(['near.geo.example.com', 'A', '+subnet=203.0.113.0/24']);
    expect(result.answer.map((r) => r.data)).toEqual(['203.0.113.30']);
  });

  test('a weighted name does not depend on the client: scope 0', async () => {
    const result = await server.dig(['canary.geo.example.com', 'A', '+subnet=10.1.0.0/16']);
    expect(result.status).toBe('NOERROR');
    expect(result.answer).toHaveLength(1);
    expect(['192.0.2.40', '192.0.2.41']).toContain(result.answer[0]?.data);
    expect(result.ecs).toEqual({ address: '10.1.0.0', source: 16, scope: 0 });
  });

  test('an in-zone CNAME is followed within the zone, routed at its target', async () => {
    const result = await server.dig(['docs.geo.example.com', 'A', '+subnet=10.3.0.0/16']);
    expect(result.status).toBe('NOERROR');
    expect(result.answer.map((r) => [r.name, r.type, r.data])).toEqual([
      ['docs.geo.example.com.', 'CNAME', 'www.geo.example.com.'],
      ['www.geo.example.com.', 'A', '203.0.113.10'],
    ]);
    expect(result.flags).toContain('aa');
  });

  test('a name below the delegation lab.geo.example.com gets a referral with glue, AA=0', async () => {
    const result = await server.dig(['host.lab.geo.example.com', 'A']);
    expect(result.status).toBe('NOERROR');
    expect(result.flags).not.toContain('aa');
    expect(result.answer).toEqual([]);
    expect(result.authority.map((r) => [r.name, r.type, r.data])).toEqual([
      ['lab.geo.example.com.', 'NS', 'ns1.lab.geo.example.com.'],
    ]);
    expect(result.additional.map((r) => [r.name, r.type, r.data])).toEqual([
      ['ns1.lab.geo.example.com.', 'A', '192.0.2.153'],
    ]);
  });
});

describe.each(SERVE_UDP_IOS)('the embedded default database (no --geoip) (udp-io %s)', (udpIo) => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe(['--resources', EXAMPLES], { udpIo });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('the README quick start: www.geo.example.com +subnet=203.0.113.0/24 gets a routed answer', async () => {
    const unrouted = await server.dig(['www.geo.example.com', 'A']);
    const routed = await server.dig(['www.geo.example.com', 'A', '+subnet=203.0.113.0/24']);
    expect(routed.status).toBe('NOERROR');
    expect(routed.answer.length).toBeGreaterThan(0);
    // A routed answer is a proper subset of the unrouted (everything) answer, and its ECS scope is set.
    expect(routed.answer.length).toBeLessThan(unrouted.answer.length);
    expect(routed.ecs?.source).toBe(24);
    expect(routed.ecs?.scope).toBeGreaterThan(0);
    expect(routed.ecs?.scope).toBeLessThanOrEqual(24);
  });
});
