// Per-query cost of the query handler alone (no sockets): parse, locate, decide, build the response, count.
// Runs the benchmark's query files through createHandler in a loop and prints nanoseconds per query, so a change
// on the hot path can be compared in isolation from the kernel and dnsperf (which dominate bench/run.sh).
// Usage: node bench/handler-cost.ts [seconds per file, default 3] [plain|ecs (default both)]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../operator/compile/index.ts';
import { loadResources } from '../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../operator/inputs/snapshot.ts';
import { openGeoDatabase } from '../dnsserver/geoip/database.ts';
import { createHandler, ServerState } from '../dnsserver/handler.ts';
import { QueryCounter } from '../dnsserver/server/query-counter.ts';
import type { ClientInfo } from '../dnsserver/wire/types.ts';
import { query } from '../test/tools/query.ts';

const BENCH = import.meta.dirname;
const seconds = Number(process.argv[2] ?? 3);
const only = process.argv[3];

const loaded = await loadResources([join(BENCH, 'fixtures/geodns')]);
const output = compile(compileInputOf(snapshotFromFiles(loaded), {}, new Date()));
const state = new ServerState({
  zones: output.zones,
  geoip: await openGeoDatabase(join(BENCH, 'fixtures/bench-geo.mmdb')),
});
const counter = new QueryCounter();
const handler = createHandler(state, { observe: (event) => counter.count(event) });

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
  while (performance.now() < end) {
    for (const query of queries) {
      const response = handler(Buffer.from(query), client);
      bytes += response ? response.length : 0;
      count++;
    }
  }
  const ns = ((performance.now() - start) * 1e6) / count;
  console.log(`${label}: ${ns.toFixed(0)} ns/query over ${count} queries (${(bytes / count).toFixed(0)} bytes/answer)`);
}
