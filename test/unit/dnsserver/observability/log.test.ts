import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledZone } from '../../../../api/compiled.ts';
import { compile } from '../../../../operator/compile/index.ts';
import { loadResources } from '../../../../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../../../../operator/inputs/snapshot.ts';
import { embeddedDatabasePath, openGeoDatabase, type GeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createHandler, ServerState, type QueryEvent } from '../../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { query, type QueryOptions } from '../../../../tools/dns-query.ts';
import {
  QueryLog,
  createLogger,
  parseLogLevel,
  parseSampleRate,
  queryLogEntry,
  type QueryLogEntry,
} from '../../../../dnsserver/observability/log.ts';

function memory(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

const entry: QueryLogEntry = {
  client: '192.0.2.1',
  qname: 'www.geo.example.com',
  qtype: 'A',
  rcode: 'NOERROR',
  policy: 'geo',
  target: 'apps/www/eu',
  durationMs: 0.12,
};

describe('createLogger', () => {
  it('writes JSON lines with the level name, honouring the level option over the environment', () => {
    const out = memory();
    const logger = createLogger({
      level: 'warn',
      name: 'dns',
      destination: out.stream,
      env: { GEODNS_LOG_LEVEL: 'debug' },
    });
    logger.info('hidden');
    logger.warn({ zone: 'geo.example.com' }, 'shown');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'warn', name: 'dns', zone: 'geo.example.com', msg: 'shown' }),
    ]);
  });

  it('takes the level from GEODNS_LOG_LEVEL and refuses unknown levels, naming where they came from', () => {
    const out = memory();
    const logger = createLogger({ destination: out.stream, env: { GEODNS_LOG_LEVEL: 'debug' } });
    logger.debug('seen');
    expect(out.lines()).toHaveLength(1);
    expect(() => createLogger({ env: { GEODNS_LOG_LEVEL: 'loud' } })).toThrow(
      'GEODNS_LOG_LEVEL: unknown log level "loud"',
    );
    expect(() => parseLogLevel('verbose', '--log-level')).toThrow('--log-level: unknown log level "verbose"');
  });
});

describe('QueryLog', () => {
  function run(rate: number, count: number, random?: () => number): Record<string, unknown>[] {
    const out = memory();
    const log = new QueryLog(createLogger({ level: 'info', destination: out.stream, env: {} }), rate, random);
    for (let i = 0; i < count; i += 1) log.log(entry);
    return out.lines();
  }

  it('logs nothing at 0 and every query at 1, with the query fields', () => {
    expect(run(0, 1000)).toHaveLength(0);
    const all = run(1, 1000);
    expect(all).toHaveLength(1000);
    expect(all[0]).toMatchObject({ msg: 'query', ...entry });
  });

  it('logs the sampled fraction', () => {
    let n = 0;
    const evenlySpread = (): number => (n++ % 10) / 10; // 0.0, 0.1, ... 0.9
    expect(run(0.3, 1000, evenlySpread)).toHaveLength(300);
  });

  it('parses the sample rate and refuses what is not in 0..1', () => {
    expect(parseSampleRate('0')).toBe(0);
    expect(parseSampleRate('0.25')).toBe(0.25);
    expect(parseSampleRate('1')).toBe(1);
    for (const bad of ['', '-0.1', '1.5', 'half', 'NaN']) {
      expect(() => parseSampleRate(bad)).toThrow(`--query-log-sample: expected a number from 0 to 1, got "${bad}"`);
    }
  });
});

describe('the query log line of an answered query', () => {
  let zones: CompiledZone[];
  let geoip: GeoDatabase;
  beforeAll(async () => {
    const loaded = await loadResources(['examples/standalone', 'examples/regional']);
    zones = compile(compileInputOf(snapshotFromFiles(loaded), {}, new Date())).zones;
    geoip = await openGeoDatabase(embeddedDatabasePath());
  });

  const udp: ClientInfo = { address: '192.0.2.77', port: 5300, family: 4, transport: 'udp' };

  /** Answers one query with the handler the server runs, and returns the line the query log would write. */
  function logged(name: string, options: QueryOptions, client = udp, queryDetail = true) {
    let event: QueryEvent | undefined;
    const handler = createHandler(new ServerState({ zones, geoip }), {
      observe: (e) => (event = e),
      random: () => 0,
      queryDetail,
    });
    const response = handler(query(name, options), client);
    if (!event) throw new Error('no event');
    return { event, entry: queryLogEntry(event, client, response, 0.1) };
  }

  it('says where an ECS subnet placed the client, the policy, the targets and the addresses answered', () => {
    const { entry } = logged('www.geo.example.com', { ecs: { ip: '10.1.0.0', prefix: 24 } });
    expect(entry).toEqual({
      client: '192.0.2.77',
      transport: 'udp',
      qname: 'www.geo.example.com',
      qtype: 'A',
      rcode: 'NOERROR',
      ecs: '10.1.0.0/24',
      placedBy: 'ecs',
      location: {
        continent: 'EU',
        country: 'DE',
        region: 'dc-frankfurt',
        source: 'network',
        network: '10.1.0.0/16',
        prefix: 16,
      },
      policy: 'geo',
      target: 'web/www/eu-frankfurt',
      targets: ['web/www/eu-frankfurt'],
      answers: ['192.0.2.10', '192.0.2.11'],
      scope: 16,
      durationMs: 0.1,
    });
  });

  it('places a client without ECS by its source address, and names the region of a regional answer', () => {
    const tokyo: ClientInfo = { address: '10.3.0.9', port: 5300, family: 4, transport: 'tcp' };
    const { entry } = logged('app.geo.example.com', { type: 'AAAA' }, tokyo);
    expect(entry).toMatchObject({
      client: '10.3.0.9',
      transport: 'tcp',
      qtype: 'AAAA',
      placedBy: 'address',
      // /17: 10.3.128.0/17 elsewhere in 10.3.0.0/16 places its clients in Australia.
      location: {
        continent: 'AS',
        country: 'JP',
        region: 'dc-tokyo',
        source: 'network',
        network: '10.3.0.0/16',
        prefix: 17,
      },
      policy: 'regional',
      region: 'apac',
    });
    expect(entry.ecs).toBeUndefined();
    expect(entry.targets).toHaveLength(2);
    expect(entry.targets?.every((t) => t.startsWith('web/app/apac-'))).toBe(true);
    expect(entry.answers).toHaveLength(2);
    expect(entry.answers?.every((a) => a.startsWith('2001:db8:'))).toBe(true);
  });

  it('says when neither a custom network nor the GeoIP database knows the client', () => {
    const { entry } = logged('www.geo.example.com', { ecs: { ip: '127.0.0.0', prefix: 24 } });
    expect(entry.location).toMatchObject({ source: 'none' });
    expect(entry.placedBy).toBe('ecs');
    expect(entry.answers?.length).toBeGreaterThan(0);
  });

  it('gives the addresses of a static answer, with no placement (a static answer does not depend on it)', () => {
    const { entry } = logged('geo.example.com', { type: 'NS' });
    expect(entry).toMatchObject({ qtype: 'NS', rcode: 'NOERROR', placedBy: 'address', answers: [] });
    expect(entry.location).toBeUndefined();
    expect(entry.policy).toBeUndefined();
    const refused = logged('www.example.org', { ecs: { ip: '10.1.0.0', prefix: 24 } }).entry;
    expect(refused).toMatchObject({ rcode: 'REFUSED', ecs: '10.1.0.0/24', placedBy: 'ecs' });
    expect(refused.location).toBeUndefined();
  });

  it('costs the answer path nothing while the log is off: the event carries no detail', () => {
    const { event } = logged('www.geo.example.com', { ecs: { ip: '10.1.0.0', prefix: 24 } }, udp, false);
    expect(event.detail).toBeUndefined();
    expect(Object.keys(event).sort()).toEqual([
      'answer',
      'ecs',
      'policy',
      'qname',
      'qtype',
      'rcode',
      'target',
      'transport',
      'zone',
    ]);
  });

  it('is built only for the queries the sample picks', () => {
    const out = memory();
    const log = new QueryLog(createLogger({ level: 'info', destination: out.stream, env: {} }), 0.5, () => 0.9);
    const { event } = logged('www.geo.example.com', {});
    log.logQuery(event, udp, null, 1);
    expect(out.lines()).toHaveLength(0);
    const every = new QueryLog(createLogger({ level: 'info', destination: out.stream, env: {} }), 1);
    every.logQuery(event, udp, null, 1);
    expect(out.lines()).toEqual([expect.objectContaining({ msg: 'query', dropped: true, policy: 'geo' })]);
  });
});
