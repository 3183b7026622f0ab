// DNSSEC benchmarks (issue 22, "Performance"): what signing costs a server whose signatures are cached, what a flood
// of made-up names with the DO bit does to legitimate queries, and how much memory the signature caches take at their
// bounds. Three modes, each bounded in time (under a minute with the defaults), loopback only:
//
//   node bench/dnssec.ts ratio            q/s with DO=1 against the same queries with EDNS and no DO, warm caches
//   node bench/dnssec.ts flood            a random-name DO=1 flood (dnsperf) beside legitimate DO=1 queries
//   node --expose-gc bench/dnssec.ts memory   heap, buffers and RSS of the signature caches filled to their bounds
//
// ratio and flood serve, with one worker pinned to CPU SERVER_CPU (0), examples/standalone compiled (geo.example.com)
// and the 100,000-name zone of gen-big-zone.ts (big.example), each with an ECDSA P-256 key made here and written as
// BIND files for --dnssec-keys; dnsperf runs on CLIENT_CPU (1). ratio: `--dnssec-sign-rate 0` (warming up 35,000
// names must not wait on the budget), every question of the examples zone and every third of the 100,000-name zone
// (35,001 questions: the caches hold 50,000 per worker by default, so the whole zone's 105,003 questions cannot all
// stay warm; SETS='examples big big-all' adds them all, cold unless CACHE=N passes --answer-cache N and --dnssec-cache
// N to the server, e.g. CACHE=400000 SETS='examples big-all'; REPLY_CACHE=N passes --reply-cache N, 0 to measure
// without the native path's reply cache), a warm-up pass with and without DO, then ROUNDS rounds
// of DURATION s each, DO and no-DO interleaved per set; per run q/s, q/s per server CPU-second (from /proc), and the
// signatures the server made meanwhile (0 when the caches are warm). flood: the default budget (1,000 new signatures a
// second), LEGIT_RATE q/s of DO=1 questions of the examples zone sent and checked by this script for WARM s, then
// FLOOD s more while dnsperf sends made-up names with DO as fast as it can. memory: in this process, no sockets; NAMES
// names (default: CACHE, else 50,000) asked with DO into caches bounded at CACHE (default 50,000).
// Scratch files go to bench/out/dnssec/.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledZone } from '../api/compiled.ts';
import { serializeCompiledZone } from '../operator/compile/index.ts';
import { createHandler, ServerState } from '../dnsserver/handler.ts';
import { ZoneSigner } from '../dnsserver/dnssec/signer.ts';
import { DEFAULT_ANSWER_CACHE, DEFAULT_DNSSEC_CACHE } from '../dnsserver/answer/bounds.ts';
import { formatKeyPair } from '../lib/dnssec/bind.ts';
import { generateSigningKey } from '../lib/dnssec/keys.ts';
import type { ClientInfo } from '../dnsserver/wire/types.ts';
import { query } from '../tools/dns-query.ts';
import { BIG_ZONE, bigZone } from './gen-big-zone.ts';
import { zoneQueries } from './zone-queries.ts';

const mode = process.argv[2] ?? 'ratio';
if (!['ratio', 'flood', 'memory'].includes(mode)) throw new Error(`expected ratio, flood or memory, got '${mode}'`);
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PORT = 25340;
const METRICS = PORT + 100;
const SERVER_CPU = process.env.SERVER_CPU ?? '0';
const CLIENT_CPU = process.env.CLIENT_CPU ?? '1';
const root = join(import.meta.dirname, '..');
const out = join(root, 'bench/out/dnssec');
const EXAMPLES_ZONE = 'geo.example.com';
/** The cache bounds (--answer-cache and --dnssec-cache); the server's defaults when not set. */
const CACHE = process.env.CACHE === undefined ? undefined : env('CACHE', 0);
const REPLY_CACHE = process.env.REPLY_CACHE === undefined ? undefined : env('REPLY_CACHE', 0);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

// ── the zones and their keys ──

/** examples/standalone compiled as `geodns compile` writes it, and the 100,000-name zone. */
async function writeZones(config: string): Promise<CompiledZone[]> {
  await mkdir(config, { recursive: true });
  execFileSync(process.execPath, [join(root, 'cli/geodns.ts'), 'compile', '--out-dir', config, 'examples/standalone'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const examples = JSON.parse(readFileSync(join(config, `${EXAMPLES_ZONE}.json`), 'utf8')) as CompiledZone;
  const big = bigZone({ staticNames: 95_000, routedNames: 5_000, serial: 1, variant: 0 });
  await writeFile(join(config, `${BIG_ZONE}.json`), serializeCompiledZone(big));
  return [examples, big];
}

/** One ECDSA P-256 key (a CSK) per zone, as BIND files in `dir`. */
async function writeKeys(dir: string, zones: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const zone of zones) {
    const files = formatKeyPair(generateSigningKey(zone));
    await writeFile(join(dir, `${files.base}.key`), files.key);
    await writeFile(join(dir, `${files.base}.private`), files.private);
  }
}

// ── the server ──

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (cpu: string, command: string, args: string[]): [string, string[]] =>
  hasTaskset ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];

let server: ChildProcess | undefined;
process.on('exit', () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
});

async function startServer(config: string, keys: string, signRate: number | undefined): Promise<ChildProcess> {
  const [command, args] = pinned(SERVER_CPU, process.execPath, [
    '--max-semi-space-size=4',
    join(root, 'cli/geodns.ts'),
    'serve',
    '--config',
    config,
    '--dnssec-keys',
    keys,
    ...(signRate === undefined ? [] : ['--dnssec-sign-rate', String(signRate)]),
    ...(CACHE === undefined ? [] : ['--answer-cache', String(CACHE), '--dnssec-cache', String(CACHE)]),
    ...(REPLY_CACHE === undefined ? [] : ['--reply-cache', String(REPLY_CACHE)]),
    '--listen',
    `127.0.0.1:${PORT}`,
    '--metrics',
    `127.0.0.1:${METRICS}`,
    '--workers',
    '1',
    '--log-level',
    'warn',
  ]);
  server = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await httpGet('/readyz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not become ready within 60 s');
}

/** GET on the metrics listener, on a connection of its own (a kept-alive one may have timed out meanwhile). */
function httpGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port: METRICS, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

/** The server's DNSSEC counters (summed over zones). */
async function dnssecCounters(): Promise<{
  signatures: number;
  inline: number;
  hits: number;
  budgetExceeded: number;
}> {
  const text = (await httpGet('/metrics')).body;
  const sum = (metric: string, label = '') =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `))
      .filter((l) => l.includes(label))
      .reduce((total, l) => total + Number(l.split(' ').at(-1)), 0);
  return {
    signatures: sum('geodns_dnssec_signatures_total'),
    inline: sum('geodns_dnssec_signatures_total', 'path="inline"'),
    hits: sum('geodns_dnssec_signature_cache_hits_total'),
    budgetExceeded: sum('geodns_dnssec_budget_exceeded_total'),
  };
}

/** CPU seconds the server has used (its process and threads), from /proc. */
function serverCpuSeconds(): number {
  const pid = server?.pid;
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Perf {
  qps: number;
  completed: number;
  lost: number;
  codes: string;
  cpu: number;
}

/** dnsperf on the client's CPU against the server with `flags` (its summary, and the server's CPU seconds meanwhile). */
async function dnsperf(file: string, flags: string[]): Promise<Perf> {
  const cpuBefore = serverCpuSeconds();
  const [command, args] = pinned(CLIENT_CPU, 'dnsperf', [
    '-s',
    '127.0.0.1',
    '-p',
    String(PORT),
    '-d',
    file,
    '-c',
    '4',
    '-q',
    '200',
    '-t',
    '2',
    ...flags,
  ]);
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`dnsperf exited with ${code}`))));
  });
  const cpu = serverCpuSeconds() - cpuBefore;
  const number = (label: string) => Number(new RegExp(`${label}:\\s+([\\d.]+)`).exec(text)?.[1]);
  return {
    qps: number('Queries per second'),
    completed: number('Queries completed'),
    lost: number('Queries lost'),
    codes: /Response codes:\s+(.*)/.exec(text)?.[1]?.trim() ?? '',
    cpu,
  };
}

// ── ratio ──

async function ratio(): Promise<void> {
  const rounds = env('ROUNDS', 3);
  const duration = env('DURATION', 3);
  const sets = (process.env.SETS ?? 'examples big').split(/\s+/).filter(Boolean);
  const config = join(out, 'config');
  const keys = join(out, 'keys');
  const [examples, big] = await writeZones(config);
  await writeKeys(keys, [EXAMPLES_ZONE, BIG_ZONE]);
  const bigLines = zoneQueries([big as CompiledZone]);
  const files: Record<string, string[]> = {
    examples: zoneQueries([examples as CompiledZone]),
    big: bigLines.filter((_, i) => i % 3 === 0),
    'big-all': bigLines,
  };
  for (const set of sets) {
    if (!files[set]) throw new Error(`SETS: unknown set '${set}' (examples, big, big-all)`);
    await writeFile(join(out, `${set}.txt`), `${(files[set] as string[]).join('\n')}\n`);
  }
  await startServer(config, keys, 0);
  console.log(
    `sets: ${sets.map((s) => `${s} (${files[s]?.length} questions)`).join(', ')}; cache bounds ${CACHE ?? 'default'}`,
  );
  for (const set of sets) {
    const file = join(out, `${set}.txt`);
    const before = await dnssecCounters();
    const warm: Perf[] = [];
    for (const flag of ['-e', '-D', '-D']) warm.push(await dnsperf(file, ['-n', '1', flag]));
    const after = await dnssecCounters();
    console.log(
      `warm-up ${set}: ${warm.map((w) => `${w.completed} answered ${w.lost} lost`).join('; ')}; ` +
        `${after.signatures - before.signatures} signatures made`,
    );
  }
  // Signing in advance (after the zones loaded) may still be going: wait until no signature is made for a second.
  const settleStart = Date.now();
  for (let last = -1, now = (await dnssecCounters()).signatures; now !== last && Date.now() - settleStart < 30_000;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    [last, now] = [now, (await dnssecCounters()).signatures];
  }
  console.log(`background signing settled after ${((Date.now() - settleStart) / 1000).toFixed(1)} s`);
  const results = new Map<string, { qps: number[]; perCpu: number[] }>();
  for (let round = 1; round <= rounds; round++) {
    for (const set of sets) {
      // Alternate which goes first, so that neither always follows the other.
      const order = round % 2 ? ['no DO', 'DO'] : ['DO', 'no DO'];
      for (const variant of order) {
        const before = await dnssecCounters();
        const run = await dnsperf(join(out, `${set}.txt`), ['-l', String(duration), variant === 'DO' ? '-D' : '-e']);
        const after = await dnssecCounters();
        const made = after.signatures - before.signatures;
        const inline = after.inline - before.inline;
        const key = `${set} ${variant}`;
        const entry = results.get(key) ?? { qps: [], perCpu: [] };
        entry.qps.push(run.qps);
        entry.perCpu.push(run.qps / (run.cpu / duration));
        results.set(key, entry);
        console.log(
          `round ${round}, ${key}: ${run.qps.toFixed(0)} q/s, server CPU ${((100 * run.cpu) / duration).toFixed(0)} %, ` +
            `${(run.qps / (run.cpu / duration)).toFixed(0)} q/s per CPU-s, ${run.lost} lost, ${made} signatures made (${inline} inline), ${run.codes}`,
        );
      }
    }
  }
  for (const set of sets) {
    const plain = results.get(`${set} no DO`);
    const signed = results.get(`${set} DO`);
    if (!plain || !signed) continue;
    const perRound = signed.qps.map((q, i) => (q / (plain.qps[i] ?? NaN)).toFixed(2)).join(' ');
    console.log(
      `${set}: median ${median(signed.qps).toFixed(0)} q/s with DO, ${median(plain.qps).toFixed(0)} without: ` +
        `${(median(signed.qps) / median(plain.qps)).toFixed(3)}x (per round ${perRound}); per CPU-second ` +
        `${median(signed.perCpu).toFixed(0)} / ${median(plain.perCpu).toFixed(0)}: ` +
        `${(median(signed.perCpu) / median(plain.perCpu)).toFixed(3)}x`,
    );
  }
}

// ── flood ──

/** Offsets of the rcode, TC and whether an RRSIG is anywhere in a reply, read without a decoder (it must keep up). */
function readReply(message: Buffer): { rcode: number; tc: boolean; rrsig: boolean } {
  const rcode = (message[3] ?? 0) & 0x0f;
  const tc = ((message[2] ?? 0) & 0x02) !== 0;
  const skip = (at: number) => {
    while (at < message.length) {
      const length = message[at] ?? 0;
      if (length === 0) return at + 1;
      if ((length & 0xc0) === 0xc0) return at + 2;
      at += length + 1;
    }
    return at;
  };
  let at = 12;
  for (let q = message.readUInt16BE(4); q > 0; q--) at = skip(at) + 4;
  const records = message.readUInt16BE(6) + message.readUInt16BE(8);
  let rrsig = false;
  for (let r = 0; r < records && at + 10 <= message.length; r++) {
    at = skip(at);
    if (message.readUInt16BE(at) === 46) rrsig = true;
    at += 10 + message.readUInt16BE(at + 8);
  }
  return { rcode, tc, rrsig };
}

interface Phase {
  sent: number;
  answered: number;
  lost: number;
  truncated: number;
  unsigned: number;
  servfail: number;
  latencies: number[];
}

async function flood(): Promise<void> {
  const legitRate = env('LEGIT_RATE', 500);
  const warmSeconds = env('WARM', 4);
  const floodSeconds = env('FLOOD', 10);
  const config = join(out, 'config');
  const keys = join(out, 'keys');
  const [examples] = await writeZones(config);
  await writeKeys(keys, [EXAMPLES_ZONE, BIG_ZONE]);
  const legit = zoneQueries([examples as CompiledZone]).map((line) => line.split(' ') as [string, string]);
  // Made-up names, none asked twice: each needs a new NSEC signature.
  const made = Array.from(
    { length: 400_000 },
    (_, i) => `r${i.toString(36)}x${Math.floor(Math.random() * 1e9).toString(36)}.${EXAMPLES_ZONE} A`,
  );
  await writeFile(join(out, 'flood.txt'), `${made.join('\n')}\n`);
  await startServer(config, keys, undefined);

  if (hasTaskset) spawnSync('taskset', ['-cp', CLIENT_CPU, String(process.pid)], { stdio: 'ignore' });
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const pending = new Map<number, { sentAt: number; phase: Phase }>();
  const phases: Record<'warm' | 'flood', Phase> = {
    warm: { sent: 0, answered: 0, lost: 0, truncated: 0, unsigned: 0, servfail: 0, latencies: [] },
    flood: { sent: 0, answered: 0, lost: 0, truncated: 0, unsigned: 0, servfail: 0, latencies: [] },
  };
  socket.on('message', (message) => {
    const id = message.readUInt16BE(0);
    const question = pending.get(id);
    if (!question) return;
    pending.delete(id);
    const { phase } = question;
    phase.answered++;
    phase.latencies.push(performance.now() - question.sentAt);
    const reply = readReply(message);
    if (reply.tc) phase.truncated++;
    else if (reply.rcode === 2) phase.servfail++;
    else if (!reply.rrsig) phase.unsigned++;
  });
  let nextId = 0;
  let phase = phases.warm;
  const packets = legit.map(([name, type]) => query(name, { type, do: true, udpSize: 1232 }));
  const tick = setInterval(() => {
    const now = performance.now();
    for (const [id, question] of pending) {
      if (now - question.sentAt > 2000) {
        pending.delete(id);
        question.phase.lost++;
      }
    }
    for (let i = 0; i < legitRate / 100; i++) {
      const id = nextId++ & 0xffff;
      const packet = Buffer.from(packets[nextId % packets.length] as Buffer);
      packet.writeUInt16BE(id, 0);
      pending.set(id, { sentAt: performance.now(), phase });
      phase.sent++;
      socket.send(packet, PORT, '127.0.0.1');
    }
  }, 10);

  await new Promise((resolve) => setTimeout(resolve, warmSeconds * 1000));
  const before = await dnssecCounters();
  const cpuBefore = serverCpuSeconds();
  phase = phases.flood;
  const started = performance.now();
  const flooded = await dnsperf(join(out, 'flood.txt'), ['-D', '-l', String(floodSeconds)]);
  const seconds = (performance.now() - started) / 1000;
  const after = await dnssecCounters();
  const cpu = serverCpuSeconds() - cpuBefore;
  clearInterval(tick);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  for (const question of pending.values()) question.phase.lost++;
  socket.close();

  console.log(
    `legitimate: ${legit.length} questions of ${EXAMPLES_ZONE} with DO, ${legitRate} q/s, checked by this script`,
  );
  for (const [name, p] of Object.entries(phases)) {
    const sorted = [...p.latencies].sort((a, b) => a - b);
    console.log(
      `  ${name === 'warm' ? `alone (${warmSeconds} s)` : `during the flood (${seconds.toFixed(1)} s)`}: ` +
        `${p.sent} sent, ${p.answered} answered, ${p.lost} lost, ${p.truncated} TC=1, ${p.servfail} SERVFAIL, ` +
        `${p.unsigned} without RRSIG; latency p50 ${percentile(sorted, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(2)} ms`,
    );
  }
  const signatures = after.signatures - before.signatures;
  const truncated = after.budgetExceeded - before.budgetExceeded;
  console.log(
    `flood: made-up names with DO, dnsperf -c 4 -q 200 for ${floodSeconds} s: ${flooded.completed} answered ` +
      `(${flooded.qps.toFixed(0)} q/s), ${flooded.lost} lost, ${flooded.codes}`,
  );
  console.log(
    `server: ${signatures} signatures made (${(signatures / seconds).toFixed(0)}/s), ${truncated} replies TC=1 ` +
      `over the budget (${(truncated / seconds).toFixed(0)}/s), CPU ${((100 * cpu) / seconds).toFixed(0)} %`,
  );
}

// ── memory ──

async function memory(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory: run with node --expose-gc');
  const bound = CACHE ?? DEFAULT_DNSSEC_CACHE;
  const names = env('NAMES', bound);
  const zone = bigZone({ staticNames: names, routedNames: 0, serial: 1, variant: 0 });
  const state = new ServerState({ zones: [zone], cacheSize: CACHE ?? DEFAULT_ANSWER_CACHE, signedCacheSize: bound });
  const key = generateSigningKey(BIG_ZONE);
  const signer = new ZoneSigner(BIG_ZONE, [key], { cacheSize: bound });
  state.setSigners(new Map([[BIG_ZONE, signer]]));
  const now = Math.floor(Date.now() / 1000);
  const handler = createHandler(state, { now: () => now });
  const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'tcp' };
  const questions = zone.records.filter((r) => r.name !== `ns1.${BIG_ZONE}`).map((r) => r.name);
  const measure = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { heap: m.heapUsed, buffers: m.arrayBuffers, external: m.external, rss: m.rss };
  };
  // Without DO first: the plans and everything else a query leaves behind, so that the difference is what DO adds.
  const loaded = measure();
  for (const name of questions) handler(query(name, { type: 'A', edns: true }), client);
  const before = measure();
  const started = performance.now();
  for (const name of questions) handler(query(name, { type: 'A', do: true }), client);
  const seconds = (performance.now() - started) / 1000;
  const after = measure();
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const each = (bytes: number) => `${(bytes / signer.cacheSize).toFixed(0)} B each`;
  console.log(
    `${questions.length} names asked with DO (${seconds.toFixed(1)} s, ${(questions.length / seconds).toFixed(0)} signed ` +
      `answers/s): ${signer.cacheSize} signatures cached (bound ${bound}), ${state.signed.size} signed bodies (bound ` +
      `${bound}), ECDSA P-256`,
  );
  const plans = (field: 'heap' | 'buffers') => mib(before[field] - loaded[field]);
  console.log(
    `  the same names without DO first, ${questions.length} plans (bound ${CACHE ?? DEFAULT_ANSWER_CACHE}): ` +
      `JS heap +${plans('heap')}, Buffers +${plans('buffers')} (${((before.heap + before.buffers - loaded.heap - loaded.buffers) / questions.length).toFixed(0)} B a plan)`,
  );
  for (const [label, field] of [
    ['JS heap', 'heap'],
    ['ArrayBuffers (Buffers)', 'buffers'],
    ['external', 'external'],
    ['RSS', 'rss'],
  ] as const) {
    const delta = after[field] - before[field];
    console.log(`  ${label}: ${mib(before[field])} → ${mib(after[field])}: +${mib(delta)} (${each(delta)})`);
  }
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
console.log(
  `machine: ${(await import('node:os')).cpus().length} CPUs, Node ${process.version}, load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
if (mode === 'ratio') await ratio();
else if (mode === 'flood') await flood();
else await memory();
process.exit(0);
