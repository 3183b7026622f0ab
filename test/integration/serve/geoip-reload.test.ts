// A new GeoIP database under a live server: replaced the way geoipupdate replaces it (a new file renamed over the
// old), it is swapped in without a restart while queries keep coming, and none of them goes unanswered; a file
// that does not open is refused, said why, and the last good database keeps answering.
import dgram from 'node:dgram';
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { query } from '../../../tools/dns-query.ts';
import { EXAMPLES, REPO_ROOT, startServe, type LogLine, type ServeProcess } from '../../support/serve.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

// test/fixtures/mmdb/make.pl: one database in two versions, 198.51.100.0/24 and 127/8 in DE (EU), then in JP (AS).
const VERSIONS = {
  eu: path.join(REPO_ROOT, 'test/fixtures/mmdb/swap-eu.mmdb'),
  as: path.join(REPO_ROOT, 'test/fixtures/mmdb/swap-as.mmdb'),
} as const;
type Placement = keyof typeof VERSIONS;
// examples/standalone: www routes DE to eu-frankfurt, JP to apac-tokyo.
const ANSWERS: Record<Placement, string> = { eu: '192.0.2.10,192.0.2.11', as: '203.0.113.10' };
const NAME = 'www.geo.example.com';
const SOCKETS = 4;
const IN_FLIGHT = 4;
const REPLY_TIMEOUT_MS = 5000; // as dnsperf: a reply later than this counts as lost

interface Reply {
  /** Order of sending: queries sent after a swap was logged must carry its placement. */
  sequence: number;
  rcode: number;
  addresses: string;
}

/**
 * A closed-loop UDP load: SOCKETS sockets (so SO_REUSEPORT spreads them over the workers), IN_FLIGHT queries each,
 * every other query with an ECS subnet in 198.51.100.0/24 and the rest placed by their loopback source. A query
 * without a reply within REPLY_TIMEOUT_MS is counted lost, not retried.
 */
class QueryStream {
  readonly replies: Reply[] = [];
  lost = 0;
  sent = 0;
  #stopping = false;
  readonly #done: Promise<void>[] = [];

  constructor(port: number) {
    for (let s = 0; s < SOCKETS; s++) this.#done.push(this.#run(port, s));
  }

  async #run(port: number, index: number): Promise<void> {
    const socket = dgram.createSocket('udp4');
    const waiting = new Map<number, (reply: Buffer | undefined) => void>();
    socket.on('message', (message) => {
      const id = message.readUInt16BE(0);
      waiting.get(id)?.(message);
      waiting.delete(id);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let nextId = index * 10_000;
    const one = async (): Promise<void> => {
      while (!this.#stopping) {
        const sequence = this.sent++;
        const id = nextId++ % 65_536;
        const reply = await new Promise<Buffer | undefined>((resolve) => {
          const timer = setTimeout(() => {
            waiting.delete(id);
            resolve(undefined);
          }, REPLY_TIMEOUT_MS);
          waiting.set(id, (message) => {
            clearTimeout(timer);
            resolve(message);
          });
          const ecs = sequence % 2 === 0 ? { ip: `198.51.100.${sequence % 256}`, prefix: 24 } : undefined;
          socket.send(query(NAME, { id, ...(ecs ? { ecs } : {}) }), port, '127.0.0.1');
        });
        if (!reply) {
          this.lost++;
          continue;
        }
        const packet = dnsPacket.decode(reply);
        const addresses = (packet.answers ?? [])
          .flatMap((a) => (a.type === 'A' ? [a.data] : []))
          .sort()
          .join(',');
        this.replies.push({ sequence, rcode: reply.readUInt8(3) & 0x0f, addresses });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, one));
    socket.close();
  }

  /** The placement of the latest replies. */
  latest(): string | undefined {
    return this.replies.at(-1)?.addresses;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#done);
  }
}

const swapLines = (server: ServeProcess) => server.logs.filter((l: LogLine) => l.msg === 'GeoIP database swapped in');
const refusedLines = (server: ServeProcess) =>
  server.logs.filter((l: LogLine) => String(l.msg).startsWith('GeoIP database refused'));

function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// Two worker threads (the database crosses to each as shared memory), and --workers 0 (one node in the main thread).
describe.each([2, 0])('geodns serve --geoip FILE --workers %i, replaced while answering', (workers) => {
  let server: ServeProcess;
  let dir: TempDir;
  let file: string;

  beforeAll(async () => {
    dir = await tempDir('geoip-reload');
    file = path.join(dir.dir, 'GeoLite2-City.mmdb');
    await copyFile(VERSIONS.eu, file);
    server = await startServe(['--resources', EXAMPLES], { geoip: file, workers });
  });
  afterAll(async () => {
    await server?.stop();
    await dir?.remove();
  });

  /** geoipupdate's way: the new version written beside the file, then renamed over it. */
  async function replaceWith(source: string | Buffer): Promise<void> {
    const staged = path.join(dir.dir, `.staged-${Date.now()}`);
    if (typeof source === 'string') await copyFile(source, staged);
    else await writeFile(staged, source);
    await rename(staged, file);
  }

  test('every query is answered across swaps; answers follow the new placement; a bad file is refused', async () => {
    const stream = new QueryStream(server.port);
    try {
      await until('answers placed in EU', () => stream.latest() === ANSWERS.eu);
      const order: Placement[] = ['as', 'eu', 'as', 'eu', 'as', 'eu'];
      /**
       * Windows of sequence numbers: from the first query sent after the server said it had swapped (or refused) to
       * the last sent before the file was replaced again, with the placement every answer in it must have.
       */
      const windows: { from: number; to: number; placement: Placement }[] = [];
      const close = async () => {
        const last = windows.at(-1);
        if (!last) return;
        const answered = () => stream.replies.filter((r) => r.sequence >= last.from).length;
        await until('answers after the swap', () => answered() >= 40);
        last.to = stream.sent;
      };

      for (const [i, placement] of order.entries()) {
        await close();
        await replaceWith(VERSIONS[placement]);
        await until(`swap ${i + 1} logged`, () => swapLines(server).length === i + 1);
        windows.push({ from: stream.sent, to: Infinity, placement });
        await until(`answers placed in ${placement}`, () => stream.latest() === ANSWERS[placement]);

        if (i === 2) {
          // A truncated download and a file that is not a database at all: refused, the last good one answers.
          // (The safety-net re-scan may look at a refused file again: at least one refusal each.)
          const good = await readFile(VERSIONS.eu);
          await close();
          await replaceWith(good.subarray(0, good.length - 200));
          await until('the truncated file refused', () => refusedLines(server).length >= 1);
          const before = refusedLines(server).length;
          windows.push({ from: stream.sent, to: Infinity, placement });
          await close();
          await replaceWith(Buffer.from('not a MaxMind database\n'));
          await until('the text file refused', () => refusedLines(server).length > before);
          windows.push({ from: stream.sent, to: Infinity, placement });
        }
      }
      await close();
      await stream.stop();

      expect(stream.lost).toBe(0);
      expect(stream.replies).toHaveLength(stream.sent);
      expect(stream.replies.every((r) => r.rcode === 0)).toBe(true);
      expect(stream.replies.every((r) => r.addresses === ANSWERS.eu || r.addresses === ANSWERS.as)).toBe(true);
      expect(windows).toHaveLength(order.length + 2);
      for (const { from, to, placement } of windows) {
        const inside = stream.replies.filter((r) => r.sequence >= from && r.sequence < to);
        expect(inside.length).toBeGreaterThan(0);
        const other = inside.filter((r) => r.addresses !== ANSWERS[placement]);
        expect(other, `answers between ${from} and ${to} not placed in ${placement}`).toEqual([]);
      }
    } finally {
      await stream.stop();
    }

    for (const line of refusedLines(server)) {
      expect(line.level).toBe('error');
      expect(line.geoip).toBe(file);
      expect(String(line.reason)).toContain(`GeoIP database ${file}: `);
    }
    const swaps = swapLines(server);
    expect(swaps.every((l) => l.geoip === file && typeof l.ms === 'number')).toBe(true);

    const metrics = (await server.fetch('/metrics')).body;
    expect(metric(metrics, 'geodns_reloads_total{source="geoip"}')).toBe(6);
    expect(metric(metrics, 'geodns_reload_failures_total{source="geoip"}')).toBe(refusedLines(server).length);
    expect(refusedLines(server).length).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(
      new RegExp(`^geodns_geoip_database_build_timestamp_seconds\\{path="${file}",type="GeoIP2-City"\\} \\d+`, 'm'),
    );
    const ready = await server.fetch('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toContain(`geoip: ${file} (built `);
  });
});
