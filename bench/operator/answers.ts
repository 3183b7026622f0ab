// The answer-change scenario both latency benchmarks share: a real control plane with the zone bench.example, the
// operator and two DNS pods (geodns serve --kube, each on its pod host), the DNS Service's Pods naming them (the
// real EndpointSlice controller makes its slice; the operator asks them for the serial, as in a cluster), and
// `www.bench.example` failing over from a primary to a backup. Each trial makes a change, then polls both pods every
// 5 ms until each answers the new address set; the trial's time is the slower pod's. Between trials the change is
// undone (timed too) and the benchmark waits a random 200–1200 ms, so trials do not fall in step with the
// operator's or prober's timers. The benchmark watches (as the administrator) the health ConfigMap and the
// application's EndpointSlices, so that each trial splits into the EndpointSlice controller's share, the operator's
// and the pods'; those times are when the benchmark's watch saw the write, a little after the write itself.
import { setTimeout as sleep } from 'node:timers/promises';
import { HEALTH_CONFIGMAP } from '../../api/configmaps.ts';
import {
  APP_NS,
  benchZone,
  createObjects,
  DnsClient,
  ms,
  NS,
  percentile,
  say,
  sliceReady,
  startBenchCluster,
  startDnsPods,
  startOperator,
  stopChildren,
  waitForAnswers,
  watch,
  type BenchCluster,
  type DnsPod,
  type KubeObject,
  type OperatorProcess,
} from './lib.ts';

export const NAME = 'www.bench.example';

export interface Scenario {
  cluster: BenchCluster;
  operator: OperatorProcess;
  pods: DnsPod[];
  dns: DnsClient;
  /** performance.now() of every change of the health ConfigMap the benchmark's watch saw. */
  healthWrites: number[];
  /** Per Service of the application namespace: performance.now() and readiness of every change of its slice. */
  slices: Map<string, { at: number; ready: boolean | undefined }[]>;
  stopWatches: (() => void)[];
}

/**
 * Starts the cluster, runs `setup` (Services, probes) and creates the zone and `objects`, starts the operator and two
 * DNS pods; waits until both answer `initial`.
 */
export async function startScenario(
  name: string,
  setup: (cluster: BenchCluster) => Promise<void>,
  objects: KubeObject[],
  initial: string[],
): Promise<Scenario> {
  const cluster = await startBenchCluster(name);
  const stopWatches: (() => void)[] = [];
  try {
    await setup(cluster);
    await createObjects(cluster, [benchZone(), ...objects]);
    const healthWrites: number[] = [];
    const slices = new Map<string, { at: number; ready: boolean | undefined }[]>();
    stopWatches.push(
      await watch(
        cluster,
        `/api/v1/namespaces/${NS}/configmaps`,
        (phase, _object, at) => {
          if (phase === 'ADDED' || phase === 'MODIFIED') healthWrites.push(at);
        },
        { fieldSelector: `metadata.name=${HEALTH_CONFIGMAP}` },
      ),
      await watch(cluster, `/apis/discovery.k8s.io/v1/namespaces/${APP_NS}/endpointslices`, (phase, object, at) => {
        const service = object.metadata.labels?.['kubernetes.io/service-name'];
        if (!service || phase === 'BOOKMARK' || phase === 'ERROR') return;
        const list = slices.get(service) ?? [];
        list.push({ at, ready: phase === 'DELETED' ? undefined : sliceReady(object) });
        slices.set(service, list);
      }),
    );
    say(`${name}: starting the operator and two DNS pods`);
    const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
    const pods = await startDnsPods(cluster);
    const dns = await DnsClient.open();
    const ready = await waitForAnswers(dns, pods, NAME, initial, performance.now(), 120_000, 50);
    if (ready.some((t) => t === undefined)) {
      const logs = [operator.proc, ...pods.map((p) => p.proc)].map(
        (c) =>
          `${c.name}: ${c.logs
            .filter((l) => l.level !== 'info' && l.level !== 30)
            .slice(-5)
            .map((l) => JSON.stringify(l))
            .join('\n')}`,
      );
      const answers = await Promise.all(pods.map((p) => dns.query(p.host, p.port, NAME, 500)));
      throw new Error(
        `the pods never answered ${initial.join(' ')} (they answer ${JSON.stringify(answers)})\n${logs.join('\n')}`,
      );
    }
    say(`${name}: both pods answer ${initial.join(' ')}`);
    return { cluster, operator, pods, dns, healthWrites, slices, stopWatches };
  } catch (error) {
    for (const stop of stopWatches) stop();
    await stopChildren();
    await cluster.stop();
    throw error;
  }
}

export async function stopScenario(scenario: Scenario): Promise<void> {
  for (const stop of scenario.stopWatches) stop();
  scenario.dns.close();
  await stopChildren();
  await scenario.cluster.stop();
}

export interface Trial {
  /** Change made (request sent) → the slower pod answers the new set. */
  total: number;
  /** Per pod. */
  pods: number[];
  /** Change made → the health ConfigMap's change seen (the EndpointSlice controller's and the operator's share). */
  operator: number | undefined;
  /** Change made → the Service's EndpointSlice seen with the new readiness (the EndpointSlice controller's share). */
  slice?: number | undefined;
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
    /** The Service whose EndpointSlice the change flips (ready after restore, unready after change). */
    service?: string;
  },
): Promise<{ change: Trial[]; restore: Trial[] }> {
  const out = { change: [] as Trial[], restore: [] as Trial[] };
  const timed = async (action: () => Promise<void>, expected: string[], ready: boolean): Promise<Trial> => {
    const writesBefore = scenario.healthWrites.length;
    const slicesBefore = steps.service ? (scenario.slices.get(steps.service)?.length ?? 0) : 0;
    const t0 = performance.now();
    await action();
    const pods = await waitForAnswers(scenario.dns, scenario.pods, NAME, expected, t0, steps.timeoutMs);
    if (pods.some((t) => t === undefined)) throw new Error(`a pod did not answer ${expected.join(' ')} in time`);
    const done = pods as number[];
    // The watch may deliver the last event a moment after the pods answer.
    await sleep(20);
    const write = scenario.healthWrites[writesBefore];
    const trial: Trial = {
      total: Math.max(...done),
      pods: done,
      operator: write === undefined ? undefined : write - t0,
    };
    if (steps.service) {
      const slice = scenario.slices
        .get(steps.service)
        ?.slice(slicesBefore)
        .find((s) => s.ready === ready);
      trial.slice = slice === undefined ? undefined : slice.at - t0;
    }
    return trial;
  };
  for (let i = 0; i < trials; i++) {
    await sleep(200 + Math.random() * 1000);
    const change = await timed(steps.change, steps.changed, false);
    out.change.push(change);
    await sleep(200 + Math.random() * 1000);
    const restore = await timed(steps.restore, steps.restored, true);
    out.restore.push(restore);
    say(
      `trial ${i + 1}/${trials}: change ${ms(change.total)} (slice ${ms(change.slice ?? NaN)}, health ${ms(change.operator ?? NaN)}), restore ${ms(restore.total)}`,
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
  const withSlice = trials.filter((t) => t.slice !== undefined && t.operator !== undefined);
  const controllerRows = trials.some((t) => t.slice !== undefined)
    ? [
        row(
          'Pod status written → EndpointSlice changed (EndpointSlice controller)',
          withSlice.map((t) => t.slice!),
        ),
        row(
          'EndpointSlice changed → health ConfigMap written (operator)',
          withSlice.map((t) => t.operator! - t.slice!),
        ),
      ]
    : [row('change → health ConfigMap written (operator)', operator)];
  return [
    row('**change → every pod answers** (slower of 2)', totals),
    ...controllerRows,
    row('health ConfigMap written → slower pod answers', pods),
    row('faster pod to slower pod', spread),
  ];
}

export const TABLE_HEAD = ['| what | interval | p50 | p95 | max | n |', '|---|---|---:|---:|---:|---:|'];

export function rawLine(label: string, trials: Trial[]): string {
  return `- ${label}, every trial (ms): ${trials.map((t) => Math.round(t.total)).join(', ')}`;
}
