// The answer-change scenario both latency benchmarks share: a cluster with the zone bench.example, the operator
// and two DNS pods (geodns serve --kube on 127.0.0.2 and 127.0.0.3, one port), the DNS Service's EndpointSlice
// naming them (the operator asks them for the serial, as in a cluster), and `www.bench.example` failing over from
// a primary to a backup. Each trial makes a change, then polls both pods every 5 ms until each answers the new
// address set; the trial's time is the slower pod's. Between trials the change is undone (timed too) and the
// benchmark waits a random 200–1200 ms, so trials do not fall in step with the operator's or prober's timers.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../test/apiserver/types.ts';
import { HEALTH_CONFIGMAP } from '../../api/configmaps.ts';
import {
  benchZone,
  DnsClient,
  dnsServiceObjects,
  freePort,
  ms,
  percentile,
  say,
  seedAll,
  startBenchCluster,
  startDnsPod,
  startOperator,
  stopChildren,
  waitForAnswers,
  type BenchCluster,
  type DnsPod,
  type OperatorProcess,
} from './lib.ts';

export const NAME = 'www.bench.example';

export interface Scenario {
  cluster: BenchCluster;
  operator: OperatorProcess;
  pods: DnsPod[];
  dns: DnsClient;
  /** performance.now() of every write of the health ConfigMap (in the API server's store). */
  healthWrites: number[];
}

/** Starts the cluster with `objects` seeded, the operator and two DNS pods; waits until both answer `initial`. */
export async function startScenario(name: string, objects: KubeObject[], initial: string[]): Promise<Scenario> {
  const cluster = await startBenchCluster(name);
  const port = await freePort();
  const hosts = ['127.0.0.2', '127.0.0.3'];
  seedAll(cluster.server, [...dnsServiceObjects(hosts, port), benchZone(), ...objects]);
  const healthWrites: number[] = [];
  cluster.onWrite((event) => {
    if (event.typeKey === '/configmaps' && event.object.metadata.name === HEALTH_CONFIGMAP) {
      healthWrites.push(performance.now());
    }
  });
  say(`${name}: starting the operator and two DNS pods (port ${port})`);
  const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
  const pods = await Promise.all(hosts.map((h) => startDnsPod(cluster.dnsKubeconfig, h, port)));
  const dns = await DnsClient.open();
  const ready = await waitForAnswers(dns, pods, NAME, initial, performance.now(), 60_000, 50);
  if (ready.some((t) => t === undefined)) throw new Error(`the pods never answered ${initial.join(' ')}`);
  say(`${name}: both pods answer ${initial.join(' ')}`);
  return { cluster, operator, pods, dns, healthWrites };
}

export async function stopScenario(scenario: Scenario): Promise<void> {
  scenario.dns.close();
  await stopChildren();
  await scenario.cluster.server.close();
}

export interface Trial {
  /** Change made (request sent) → the slower pod answers the new set. */
  total: number;
  /** Per pod. */
  pods: number[];
  /** Change made → the operator's health ConfigMap write stored (the operator's share). */
  operator: number | undefined;
}

/** `trials` times: change (timed), restore (timed), random pause. */
export async function runTrials(
  scenario: Scenario,
  trials: number,
  steps: {
    change: () => Promise<void>;
    changed: string[];
    restore: () => Promise<void>;
    restored: string[];
    timeoutMs: number;
  },
): Promise<{ change: Trial[]; restore: Trial[] }> {
  const out = { change: [] as Trial[], restore: [] as Trial[] };
  const timed = async (action: () => Promise<void>, expected: string[]): Promise<Trial> => {
    const writesBefore = scenario.healthWrites.length;
    const t0 = performance.now();
    await action();
    const pods = await waitForAnswers(scenario.dns, scenario.pods, NAME, expected, t0, steps.timeoutMs);
    if (pods.some((t) => t === undefined)) throw new Error(`a pod did not answer ${expected.join(' ')} in time`);
    const done = pods as number[];
    const write = scenario.healthWrites[writesBefore];
    return { total: Math.max(...done), pods: done, operator: write === undefined ? undefined : write - t0 };
  };
  for (let i = 0; i < trials; i++) {
    await sleep(200 + Math.random() * 1000);
    const change = await timed(steps.change, steps.changed);
    out.change.push(change);
    await sleep(200 + Math.random() * 1000);
    const restore = await timed(steps.restore, steps.restored);
    out.restore.push(restore);
    say(
      `trial ${i + 1}/${trials}: change ${ms(change.total)} (operator ${ms(change.operator ?? NaN)}), restore ${ms(restore.total)}`,
    );
  }
  return out;
}

export function trialRows(label: string, trials: Trial[]): string[] {
  const totals = trials.map((t) => t.total);
  const operator = trials.flatMap((t) => (t.operator === undefined ? [] : [t.operator]));
  const pods = trials.flatMap((t, i) => (t.operator === undefined ? [] : [totals[i]! - t.operator]));
  const spread = trials.map((t) => Math.max(...t.pods) - Math.min(...t.pods));
  const row = (what: string, values: number[]) =>
    `| ${label} | ${what} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 95))} | ${ms(Math.max(...values))} | ${values.length} |`;
  return [
    row('**change → every pod answers** (slower of 2)', totals),
    row('change → health ConfigMap written (operator)', operator),
    row('health ConfigMap written → slower pod answers', pods),
    row('faster pod to slower pod', spread),
  ];
}

export const TABLE_HEAD = ['| what | interval | p50 | p95 | max | n |', '|---|---|---:|---:|---:|---:|'];

export function rawLine(label: string, trials: Trial[]): string {
  return `- ${label}, every trial (ms): ${trials.map((t) => Math.round(t.total)).join(', ')}`;
}
