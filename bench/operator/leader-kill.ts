// A crashed leader's successor: how long after a SIGKILL it holds the Lease. Two `geodns operator --leader-elect`
// processes on a real control plane (bench/operator/lib.ts); each trial waits a random fraction of a retry period
// (so the kill falls anywhere between two renewals), SIGKILLs the leader (no release), and times, on the bench's own
// watch of the Lease, until the API server says the standby holds it. Then a fresh operator is started as the next
// standby, and the next trial waits until it has seen the leader. Reported per trial: kill → successor holds the
// Lease, and the leader's last renewTime → the successor's acquireTime (both written by this machine's clock), less
// the lease duration: what the takeover costs beyond the lease the leader promised.
//   node bench/operator/leader-kill.ts        (KILLS=20, LEASE=15, RENEW=10, RETRY=2: the operator's defaults)
import { setTimeout as sleep } from 'node:timers/promises';
import {
  clusterText,
  envNumber,
  header,
  loadNow,
  NS,
  percentile,
  say,
  startBenchCluster,
  startOperator,
  stopChildren,
  watch,
  type KubeObject,
  type OperatorProcess,
} from './lib.ts';

const KILLS = envNumber('KILLS', 20);
const LEASE = envNumber('LEASE', 15);
const RENEW = envNumber('RENEW', 10);
const RETRY = envNumber('RETRY', 2);
const LEASE_NAME = 'geodns-operator';

interface LeaseSpec {
  holderIdentity?: string;
  renewTime?: string;
  acquireTime?: string;
}

const knobs = [
  process.env.GEODNS_ENTRY ? `GEODNS_ENTRY=${process.env.GEODNS_ENTRY}` : '',
  KILLS !== 20 ? `KILLS=${KILLS}` : '',
  LEASE !== 15 ? `LEASE=${LEASE}` : '',
  RENEW !== 10 ? `RENEW=${RENEW}` : '',
  RETRY !== 2 ? `RETRY=${RETRY}` : '',
].filter(Boolean);
const command = `${knobs.length > 0 ? `${knobs.join(' ')} ` : ''}node bench/operator/leader-kill.ts`;
const head = header('bench/operator/leader-kill.ts', command);

const cluster = await startBenchCluster('leader-kill');
/** The Lease as the bench's watch last saw it, and every change with its arrival time. */
let current: LeaseSpec = {};
const changes: { at: number; spec: LeaseSpec }[] = [];
const stopWatch = await watch(
  cluster,
  `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`,
  (phase, object: KubeObject, at) => {
    if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
    current = (object.spec ?? {}) as LeaseSpec;
    changes.push({ at, spec: current });
  },
  { fieldSelector: `metadata.name=${LEASE_NAME}` },
);

const operators = new Map<string, OperatorProcess>();
async function startOne(): Promise<void> {
  const operator = await startOperator(cluster.operatorKubeconfig, [
    '--leader-elect',
    '--lease-duration',
    String(LEASE),
    '--renew-deadline',
    String(RENEW),
    '--retry-period',
    String(RETRY),
  ]);
  const starting = await operator.proc.waitForLog((l) => l.msg === 'leader election: starting', 'election start');
  operators.set(String(starting.identity), operator);
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

const killToHeld: number[] = [];
const beyondLease: number[] = [];
try {
  await startOne();
  await startOne();
  for (let trial = 1; trial <= KILLS; trial++) {
    const holder = await until('leader', () => current.holderIdentity || undefined, 60_000);
    const leader = operators.get(holder);
    if (!leader) throw new Error(`the Lease names ${holder}, which is none of the operators started`);
    const [standby] = [...operators].filter(([identity]) => identity !== holder);
    if (!standby) throw new Error('no standby');
    // The standby has seen the leader (its watch or read brought the Lease), and a few renewals have passed.
    await standby[1].proc.waitForLog((l) => l.msg === 'leader election: new leader' && l.holder === holder, 'leader');
    await sleep(RETRY * 1000 * (2 + Math.random()));
    leader.proc.child.kill('SIGKILL');
    const killed = performance.now();
    await leader.proc.exited;
    operators.delete(holder);
    const last = current;
    const taken = await until(
      'takeover',
      () => changes.find((c) => c.at > killed && c.spec.holderIdentity === standby[0]),
      LEASE * 1000 * 3 + 30_000,
    );
    killToHeld.push(taken.at - killed);
    const gap = Date.parse(String(taken.spec.acquireTime)) - Date.parse(String(last.renewTime)) - LEASE * 1000;
    beyondLease.push(gap);
    say(
      `trial ${trial}: held ${Math.round(taken.at - killed)} ms after the kill; ${Math.round(gap)} ms beyond the lease`,
    );
    await startOne();
  }
} finally {
  stopWatch();
  await stopChildren();
  await cluster.stop();
}

const row = (label: string, values: readonly number[]): string =>
  `| ${label} | ${Math.round(Math.min(...values))} ms | ${Math.round(percentile(values, 50))} ms | ` +
  `${Math.round(percentile(values, 95))} ms | ${Math.round(Math.max(...values))} ms | ${values.length} |`;
const lines = [
  head,
  `${clusterText(cluster)}. Two operators with \`--leader-elect --lease-duration ${LEASE} --renew-deadline ${RENEW} ` +
    `--retry-period ${RETRY}\`; each trial SIGKILLs the leader 2 to 3 retry periods after the standby saw it (a random ` +
    `point between two renewals), times until the bench's watch of the Lease shows the standby as holder, and starts a ` +
    `new standby. Load average at the end ${loadNow()}.`,
  '',
  '| what | min | p50 | p95 | max | n |',
  '|---|---:|---:|---:|---:|---:|',
  row('SIGKILL → successor holds the Lease', killToHeld),
  row("leader's last renewTime → successor's acquireTime, less the lease duration", beyondLease),
  '',
  `raw kill → held (ms): ${killToHeld.map((v) => Math.round(v)).join(' ')}`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
