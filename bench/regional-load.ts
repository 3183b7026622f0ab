// The multi-region reference design's load (issue 21): 1M queries a minute (17k q/s by default) of A and AAAA
// queries for app.geo.example.com (examples/regional: 3 regions × 5 servers, two addresses per answer) from clients
// on four continents by EDNS Client Subnet, against one DNS process, with the EU region failing half-way through.
// It records what the design asks of an answer: none lost, latency percentiles, the share of each server within a
// region before and after the failure, and how long after the health change EU clients were sent to their backup.
//
//   node bench/regional-load.ts [RATE q/s, default 17000] [SECONDS, default 60]
//
// The server (`geodns serve --config`, one worker) is pinned to CPU SERVER_CPU (0) and this client to CLIENT_CPU
// (1) with taskset where it exists; everything is on 127.0.0.1 port 25330 (metrics 25430), for SECONDS. The
// clients' subnets are the zone's custom networks (examples/standalone/zone.yaml: 10.1/16 Frankfurt, 10.2/16
// Virginia, 10.3/16 Tokyo, 10.3.128/17 Australia) and one network no rule places (10.200/16), so placement does not
// depend on a GeoIP database. The failure is a new health.json (EU's five servers down) renamed into the config
// folder, as a mounted ConfigMap changes. Scratch files go to bench/out/regional-load/.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import { HEALTH_FORMAT, type HealthTable } from '../api/health.ts';
import { query } from '../tools/dns-query.ts';

const RATE = Number(process.argv[2] ?? 17_000);
const SECONDS = Number(process.argv[3] ?? 60);
const PORT = 25330;
const TIMEOUT_MS = 2_000;
const SERVER_CPU = process.env.SERVER_CPU ?? '0';
const CLIENT_CPU = process.env.CLIENT_CPU ?? '1';
const root = join(import.meta.dirname, '..');
const out = join(root, 'bench/out/regional-load');
const NAME = 'app.geo.example.com';
const FAILED_REGION = 'eu';

/** Client networks by where the zone places them, and the region the design answers them from. */
const CLIENTS = [
  { where: 'EU (Frankfurt)', subnet: '10.1.0.0', region: 'eu' },
  { where: 'NA (Virginia)', subnet: '10.2.0.0', region: 'us' },
  { where: 'AS (Tokyo)', subnet: '10.3.0.0', region: 'apac' },
  { where: 'OC (Australia)', subnet: '10.3.128.0', region: 'apac' },
  { where: 'unplaced', subnet: '10.200.0.0', region: 'us' },
] as const;

/** An address as this client keys it: its bytes in hex (the answers are read without a decoder, below). */
const addressKey = (text: string): string => Buffer.from(ipaddr.parse(text).toByteArray()).toString('hex');

/** A name's length on the wire at `offset` (labels up to a zero byte or a compression pointer). */
function skipName(message: Buffer, offset: number): number {
  let at = offset;
  while (at < message.length) {
    const length = message[at]!;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return at + 2;
    at += length + 1;
  }
  return at;
}

/**
 * The A and AAAA records of an answer section, their data as address keys. A decoder (dns-packet) costs this
 * client more than the server spends answering; at 17k answers a second it fell behind and its socket dropped
 * answers, which this benchmark must not count against the server.
 */
function answerAddresses(message: Buffer): { type: 'A' | 'AAAA'; key: string }[] {
  const found: { type: 'A' | 'AAAA'; key: string }[] = [];
  if (message.length < 12) return found;
  let at = 12;
  for (let q = message.readUInt16BE(4); q > 0; q--) at = skipName(message, at) + 4;
  for (let a = message.readUInt16BE(6); a > 0 && at < message.length; a--) {
    at = skipName(message, at);
    if (at + 10 > message.length) break;
    const type = message.readUInt16BE(at);
    const length = message.readUInt16BE(at + 8);
    at += 10;
    if (type === 1 && length === 4) found.push({ type: 'A', key: message.toString('hex', at, at + 4) });
    if (type === 28 && length === 16) found.push({ type: 'AAAA', key: message.toString('hex', at, at + 16) });
    at += length;
  }
  return found;
}

/** Target names by address key, from the compiled zone. */
function targetsByAddress(zoneFile: string): Map<string, { name: string; region: string }> {
  const zone = JSON.parse(execFileSync('cat', [zoneFile], { encoding: 'utf8' })) as {
    routed: { name: string; targets: { name: string; region?: string; addresses: string[] }[] }[];
  };
  const app = zone.routed.find((r) => r.name === NAME);
  if (!app) throw new Error(`${zoneFile}: no ${NAME}`);
  const map = new Map<string, { name: string; region: string }>();
  for (const t of app.targets) {
    for (const a of t.addresses) map.set(addressKey(a), { name: t.name, region: t.region ?? '?' });
  }
  return map;
}

function health(down: readonly string[]): HealthTable {
  const since = new Date().toISOString();
  const targets: HealthTable['targets'] = {};
  for (const name of down) targets[`web/app/${name}`] = { up: false, since, reason: 'bench: region failed' };
  return { format: HEALTH_FORMAT, targets };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** The host's count of datagrams dropped because a socket's receive buffer was full (every socket). */
function udpReceiveBufferErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  return Number(values?.[names?.indexOf('RcvbufErrors') ?? -1] ?? NaN);
}

/** geodns_dns_requests_total summed over its labels, from the server's metrics. */
async function serverRequests(): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${PORT + 100}/metrics`).catch(() => undefined))?.text();
  if (!text) return undefined;
  return text
    .split('\n')
    .filter((l) => l.startsWith('geodns_dns_requests_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
const pinned = (cpu: string, command: string, args: string[]) =>
  hasTaskset ? { command: 'taskset', args: ['-c', cpu, command, ...args] } : { command, args };

await rm(out, { recursive: true, force: true });
const config = join(out, 'config');
await mkdir(config, { recursive: true });
execFileSync(
  process.execPath,
  [join(root, 'cli/geodns.ts'), 'compile', '--out-dir', config, 'examples/standalone', 'examples/regional'],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
const byAddress = targetsByAddress(join(config, 'geo.example.com.json'));
const failing = [...new Set([...byAddress.values()].filter((t) => t.region === FAILED_REGION).map((t) => t.name))];
await writeAtomically(join(config, 'health.json'), JSON.stringify(health([])));

if (hasTaskset) spawnSync('taskset', ['-cp', CLIENT_CPU, String(process.pid)], { stdio: 'ignore' });
const serverCommand = pinned(SERVER_CPU, process.execPath, [
  '--max-semi-space-size=4',
  join(root, 'cli/geodns.ts'),
  'serve',
  '--config',
  config,
  '--listen',
  `127.0.0.1:${PORT}`,
  '--metrics',
  `127.0.0.1:${PORT + 100}`,
  '--workers',
  '1',
  '--log-level',
  'warn',
]);
const server = spawn(serverCommand.command, serverCommand.args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const stopServer = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
};
process.on('exit', stopServer);

// Large buffers: a loss must be the server's, not this client's falling behind for a moment.
const socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

/** One question: where it came from, its family, when it was sent, and when the failure had been written. */
interface Pending {
  client: number;
  type: 'A' | 'AAAA';
  sentAt: number;
  afterFailure: boolean;
}
const pending = new Map<number, Pending>();
let nextId = 0;
const latencies: number[] = [];
let sent = 0;
let answered = 0;
let lost = 0;
let wrongFamily = 0;
let failedAt: number | undefined;
let firstBackupAnswer: number | undefined;
let lastPrimaryAnswer: number | undefined;
/** Tallies of target names answered, by client and phase. */
const shares = new Map<string, Map<string, number>>();
const tally = (key: string, target: string) => {
  const counts = shares.get(key) ?? new Map<string, number>();
  counts.set(target, (counts.get(target) ?? 0) + 1);
  shares.set(key, counts);
};

socket.on('message', (message) => {
  const now = performance.now();
  const id = message.readUInt16BE(0);
  const question = pending.get(id);
  if (!question) return;
  pending.delete(id);
  answered++;
  latencies.push(now - question.sentAt);
  const phase = question.afterFailure ? 'after' : 'before';
  for (const answer of answerAddresses(message)) {
    if (answer.type !== question.type) wrongFamily++;
    const target = byAddress.get(answer.key);
    if (!target) continue;
    tally(`${CLIENTS[question.client]!.where} ${phase}`, target.name);
    if (question.client === 0 && failedAt !== undefined && question.sentAt >= failedAt) {
      if (target.region === FAILED_REGION) lastPrimaryAnswer = now;
      else firstBackupAnswer ??= now;
    }
  }
});

const sweep = setInterval(() => {
  const now = performance.now();
  for (const [id, question] of pending) {
    if (now - question.sentAt > TIMEOUT_MS) {
      pending.delete(id);
      lost++;
    }
  }
}, 250);

// Wait for the server to answer, then send RATE queries a second in 1 ms ticks for SECONDS.
for (let attempt = 0; ; attempt++) {
  const ready = await fetch(`http://127.0.0.1:${PORT + 100}/readyz`).catch(() => undefined);
  if (ready?.ok) break;
  if (attempt > 100) throw new Error('the server did not become ready');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const rcvbufErrorsBefore = udpReceiveBufferErrors();
const start = performance.now();
const failAfterMs = (SECONDS * 1000) / 2;
let failureWritten = false;
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = performance.now() - start;
    if (elapsed >= SECONDS * 1000) {
      clearInterval(tick);
      resolve();
      return;
    }
    if (!failureWritten && elapsed >= failAfterMs) {
      failureWritten = true;
      void writeAtomically(join(config, 'health.json'), JSON.stringify(health(failing))).then(
        () => (failedAt = performance.now()),
      );
    }
    const due = Math.floor((elapsed / 1000) * RATE) - sent;
    for (let i = 0; i < due; i++) {
      // Ids are reused after 65,536 queries (under 4 s at 17k/s), well after the 2 s timeout.
      const id = nextId++ & 0xffff;
      const client = sent % CLIENTS.length;
      const type = (sent >> 3) % 2 === 0 ? 'A' : 'AAAA';
      const packet = query(NAME, { id, type, flags: 0, ecs: { ip: CLIENTS[client]!.subnet, prefix: 24 } });
      pending.set(id, { client, type, sentAt: performance.now(), afterFailure: failedAt !== undefined });
      socket.send(packet, PORT, '127.0.0.1');
      sent++;
    }
  }, 1);
});
await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 300));
clearInterval(sweep);
lost += pending.size;
socket.close();
const requests = await serverRequests();
const rcvbufErrors = udpReceiveBufferErrors() - rcvbufErrorsBefore;
stopServer();

latencies.sort((a, b) => a - b);
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(2)} ms`);
const lines: string[] = [];
lines.push(`node bench/regional-load.ts ${RATE} ${SECONDS} — node ${process.version}, ${new Date().toISOString()}`);
lines.push(
  `pinning: server CPU ${hasTaskset ? SERVER_CPU : '-'}, client CPU ${hasTaskset ? CLIENT_CPU : '-'}; 127.0.0.1:${PORT}`,
);
lines.push(
  `sent ${sent} (${Math.round(sent / SECONDS)} q/s), answered ${answered}, lost ${lost} (no answer within ${TIMEOUT_MS} ms), answers of the other family ${wrongFamily}`,
);
lines.push(
  `the server counted ${requests ?? '?'} requests; UDP receive-buffer drops on this host meanwhile: ${rcvbufErrors} (/proc/net/snmp, every socket)`,
);
lines.push(
  `latency (client send → answer): p50 ${ms(percentile(50))}, p90 ${ms(percentile(90))}, p99 ${ms(percentile(99))}, p99.9 ${ms(percentile(99.9))}, max ${ms(latencies.at(-1))}`,
);
lines.push(
  `EU failed half-way (health.json: ${failing.join(', ')} down): EU clients' first answer from the backup ${ms(
    firstBackupAnswer !== undefined && failedAt !== undefined ? firstBackupAnswer - failedAt : undefined,
  )} after the write; last answer naming EU ${ms(
    lastPrimaryAnswer !== undefined && failedAt !== undefined ? lastPrimaryAnswer - failedAt : undefined,
  )} after it`,
);
lines.push('shares of the answered targets (each answer names 2), per client network and phase:');
for (const [key, counts] of [...shares].sort(([a], [b]) => a.localeCompare(b))) {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${((100 * n) / total).toFixed(1)}%`);
  lines.push(`  ${key.padEnd(24)} ${parts.join('  ')}`);
}
console.log(lines.join('\n'));
