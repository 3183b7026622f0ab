// The query log of a real `geodns serve` (answering on a worker thread): a query sent with dig shows where the
// client was placed, by what, and which addresses were answered.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, REPO_ROOT, startServe, type LogLine, type ServeProcess } from '../../support/serve.ts';

let server: ServeProcess;

beforeAll(async () => {
  server = await startServe(['--resources', EXAMPLES, '--resources', path.join(REPO_ROOT, 'examples/regional')], {
    args: ['--query-log-sample', '1'],
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

const queryLine = (qname: string, qtype: string) => (l: LogLine) =>
  l.msg === 'query' && l.qname === qname && l.qtype === qtype;

describe('geodns serve --query-log-sample 1', { timeout: 30_000 }, () => {
  it('logs the ECS placement, the policy, the target and the addresses a geo answer gave', async () => {
    const answered = await server.addresses('www.geo.example.com', ['A', '+subnet=10.1.0.0/24']);
    const line = await server.waitForLog(queryLine('www.geo.example.com', 'A'), 'query www A');
    expect(line).toMatchObject({
      level: 'info',
      transport: 'udp',
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
      scope: 16,
    });
    expect([...(line.answers as string[])].sort()).toEqual(answered);
  });

  it('logs the region of a regional answer and its addresses, over TCP', async () => {
    const answered = await server.addresses('app.geo.example.com', ['AAAA', '+tcp', '+subnet=10.3.0.0/24']);
    const line = await server.waitForLog(queryLine('app.geo.example.com', 'AAAA'), 'query app AAAA');
    expect(line).toMatchObject({
      transport: 'tcp',
      placedBy: 'ecs',
      location: { continent: 'AS', country: 'JP', region: 'dc-tokyo', source: 'network' },
      policy: 'regional',
      region: 'apac',
    });
    expect(answered).toHaveLength(2);
    expect([...(line.answers as string[])].sort()).toEqual(answered);
    expect((line.targets as string[]).every((t) => t.startsWith('web/app/apac-'))).toBe(true);
  });
});
