// Per-query cost of the query handler alone (no sockets): parse, locate, decide, build the response, count.
// Runs the benchmark's query files through createHandler in a loop and prints nanoseconds per query, so a change
// on the hot path can be compared in isolation from the kernel and dnsperf (which dominate bench/run.sh).
// Usage: node bench/handler-cost.ts [seconds per file, default 3] [plain|ecs|both (default both)] [RRL]
// RRL: off (default), exempt (rate limiting on, the client's network exempt), under (on, every response counted
// at a rate it never reaches), or ab: ROUNDS (default 5) interleaved rounds of off, exempt and under, each in a
// process of its own (so that one variant's code paths do not slow another's), with medians and ratios to off;
// or base: the same interleaved rounds of the checkout at $BASE (say a `git worktree` of the commit before a
// change) and of this one, RRL off, with medians and ratios to the base.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../operator/compile/index.ts';
import { loadResources } from '../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../operator/inputs/snapshot.ts';
import { openGeoDatabase } from '../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../dnsserver/handler.ts';
import { ResponseRateLimiter, RRL_DEFAULTS } from '../dnsserver/rrl/limiter.ts';
import { QueryCounter } from '../dnsserver/observability/query-counter.ts';
import type { ClientInfo } from '../dnsserver/wire/types.ts';
import { query } from '../tools/dns-query.ts';

const BENCH = import.meta.dirname;
const seconds = Number(process.argv[2] ?? 3);
const only = process.argv[3] ?? 'both';
const rrl = process.argv[4] ?? 'off';
if (!['plain', 'ecs', 'both'].includes(only)) throw new Error(`expected plain, ecs or both, got '${only}'`);
if (!['off', 'exempt', 'under', 'ab', 'base'].includes(rrl)) {
  throw new Error(`expected off, exempt, under, ab or base, got '${rrl}'`);
}

if (rrl === 'ab' || rrl === 'base') {
  const rounds = Number(process.env.ROUNDS ?? 5);
  const base = process.env.BASE;
  if (rrl === 'base' && !base) throw new Error('base: set BASE to the checkout to compare with');
  // Each variant: a label, and the script and RRL argument that run it.
  const runs: Record<string, [string, string]> =
    rrl === 'base'
      ? { base: [join(base ?? '', 'bench/handler-cost.ts'), 'off'], this: [import.meta.filename, 'off'] }
      : {
          off: [import.meta.filename, 'off'],
          exempt: [import.meta.filename, 'exempt'],
          under: [import.meta.filename, 'under'],
        };
  const variants = Object.keys(runs);
  const files = only === 'both' ? ['plain', 'ecs'] : [only];
  const results = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const file of files) {
      for (const variant of variants) {
        const [script, setting] = runs[variant] as [string, string];
        const out = execFileSync(process.execPath, [script, String(seconds), file, setting], {
          encoding: 'utf8',
        }).trim();
        console.log(`round ${round}, ${rrl === 'base' ? 'checkout' : 'RRL'} ${variant}, ${out}`);
        const ns = Number(/: (\d+) ns\/query/.exec(out)?.[1]);
        const cpu = Number(/(\d+) ns CPU\/query/.exec(out)?.[1]);
        results.set(`${file} ${variant}`, [...(results.get(`${file} ${variant}`) ?? []), ns]);
        results.set(`${file} ${variant} cpu`, [...(results.get(`${file} ${variant} cpu`) ?? []), cpu]);
      }
    }
  }
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const reference = variants[0] as string;
  for (const file of files) {
    const off = median(results.get(`${file} ${reference}`) ?? []);
    const offCpu = median(results.get(`${file} ${reference} cpu`) ?? []);
    for (const variant of variants) {
      const ns = median(results.get(`${file} ${variant}`) ?? []);
      const cpu = median(results.get(`${file} ${variant} cpu`) ?? []);
      console.log(
        `${file}, ${rrl === 'base' ? 'checkout' : 'RRL'} ${variant}: median ${ns.toFixed(0)} ns/query ` +
          `(${(ns / off).toFixed(3)}x ${reference}), ${cpu.toFixed(0)} ns CPU/query (${(cpu / offCpu).toFixed(3)}x ${reference})`,
      );
    }
  }
  process.exit(0);
}

const loaded = await loadResources([join(BENCH, 'fixtures/geodns')]);
const output = compile(compileInputOf(snapshotFromFiles(loaded), {}, new Date()));
const state = new ServerState({
  zones: output.zones,
  geoip: await openGeoDatabase(join(BENCH, 'fixtures/bench-geo.mmdb')),
});
const counter = new QueryCounter();
/** As workers/node.ts makes it when rate limiting is on. */
const rateLimiter =
  rrl === 'off'
    ? undefined
    : new ResponseRateLimiter(
        rrl === 'exempt'
          ? { ...RRL_DEFAULTS, rate: 100, exempt: ['127.0.0.0/8'] }
          : { ...RRL_DEFAULTS, rate: 1_000_000_000 },
        { now: () => performance.now() },
      );
const handler = createHandler(state, {
  observe: (event) => counter.count(event),
  ...(rateLimiter ? { rateLimiter } : {}),
});

function readBinary(file: string): Buffer[] {
  const data = readFileSync(file);
  const out: Buffer[] = [];
  for (let pos = 0; pos + 2 <= data.length;) {
    const length = data.readUInt16BE(pos);
    out.push(data.subarray(pos + 2, pos + 2 + length));
    pos += 2 + length;
  }
  return out;
}
function readText(file: string): Buffer[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, type] = line.split(/\s+/);
      return query(name ?? '', { type: type ?? 'A' });
    });
}

if (!existsSync(join(BENCH, 'out/queries-ecs.bin'))) {
  execFileSync(process.execPath, [join(BENCH, 'make-queries.ts'), join(BENCH, 'out')], { stdio: 'inherit' });
}
const files: [string, Buffer[]][] = [];
if (only !== 'ecs') files.push(['no ECS', readText(join(BENCH, 'out/queries-plain.txt'))]);
if (only !== 'plain') files.push(['ECS', readBinary(join(BENCH, 'out/queries-ecs.bin'))]);
const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
for (const [label, queries] of files) {
  // Fresh Buffers per query, as the socket gives them: a copy of each query made before the clock starts would
  // be reused and cached by V8 in ways a socket's fresh buffers are not.
  let count = 0;
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() < end) {
    for (const query of queries) {
      const response = handler(Buffer.from(query), client);
      bytes += response ? response.length : 0;
      count++;
    }
  }
  const ns = ((performance.now() - start) * 1e6) / count;
  const cpu = process.cpuUsage(cpuStart);
  // CPU time as well: on a shared machine the wall clock also counts the time other processes had the core.
  const cpuNs = ((cpu.user + cpu.system) * 1e3) / count;
  console.log(
    `${label}: ${ns.toFixed(0)} ns/query over ${count} queries (${(bytes / count).toFixed(0)} bytes/answer), ` +
      `${cpuNs.toFixed(0)} ns CPU/query`,
  );
}
