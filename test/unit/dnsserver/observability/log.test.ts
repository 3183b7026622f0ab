import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  QueryLog,
  createLogger,
  parseLogLevel,
  parseSampleRate,
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
