// 1,000 GeoEndpoints × 3 targets → every one Ready and served, and the operator's memory meanwhile. Two ways:
//   apply: the operator and two DNS pods run over a cluster with only the GeoZone; the benchmark then creates the
//          GeoEndpoints through client-node (CONCURRENCY requests in flight), as `kubectl apply` of many files would;
//          timed from the first create.
//   seed:  the GeoEndpoints are in the API server (created through client-node, untimed) before the operator
//          starts (a restart over a full cluster, or a first install over resources applied earlier); timed from
//          the operator's spawn.
// On a real control plane (bench/operator/lib.ts); every request counted from its audit log.
// Each GeoEndpoint is multivalue over 3 address targets (10.J.I/256.I%256), so a DNS answer holds all three.
// "Ready": every GeoEndpoint's status has Ready=True (as the benchmark's watch of them sees it). "Served": the zone ConfigMap holds every name and both DNS
// pods answer the SOA serial of that version (a zone is swapped in whole); then every name is asked of both pods
// once to check. Operator RSS: VmRSS sampled every 100 ms (its maximum) and VmHWM, from /proc/PID/status.
// Target (issue 12): under 5 s; operator RSS under 200 MB.
//   node bench/operator/scale.ts          (COUNT=1000, MODE=both|apply|seed, CONCURRENCY=16)
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDocuments, zoneConfigMapName } from '../../api/configmaps.ts';
import {
  APP_NS,
  auditedRequests,
  benchEndpoint,
  benchZone,
  clusterText,
  condition,
  controlPlaneCpu,
  countRequests,
  cpuSeconds,
  createObjects,
  DnsClient,
  envNumber,
  header,
  memory,
  ms,
  NS,
  OPERATOR_USER,
  say,
  scrape,
  serverMs,
  startBenchCluster,
  stats,
  startDnsPods,
  startOperator,
  stopChildren,
  watch,
  type DnsPod,
  type KubeObject,
} from './lib.ts';

const COUNT = envNumber('COUNT', 1000);
const CONCURRENCY = envNumber('CONCURRENCY', 16);
const MODES = (process.env.MODE ?? 'both') === 'both' ? ['apply', 'seed'] : [process.env.MODE ?? 'apply'];
const APEX = 'bench.example';

const address = (i: number, j: number) => `10.${j}.${Math.floor(i / 256)}.${i % 256}`;
const nameOf = (i: number) => `n${String(i).padStart(4, '0')}`;

function endpoint(i: number): KubeObject {
  return benchEndpoint(nameOf(i), {
    ttl: 30,
    policy: 'multivalue',
    maxAnswers: 3,
    targets: [0, 1, 2].map((j) => ({ name: `t${j}`, addresses: [address(i, j)], location: {} })),
  });
}

interface Result {
  mode: string;
  created?: number;
  ready: number;
  configMap: number;
  served: number;
  swapped: number;
  total: number;
  benchCpu: number;
  planeCpu: number;
  reconciles: number;
  heap: string;
  rssMax: number;
  hwm: number;
  rssAfter: number;
  cpu: number;
  checked: string;
  requests: { status: number; zone: number; events: number; all: number };
  zoneBytes: number;
  /** The API server's time per create of a GeoEndpoint and per status patch of the operator (ms). */
  createMs: number[];
  statusMs: number[];
}

let versions = '';

async function run(mode: string): Promise<Result> {
  const cluster = await startBenchCluster(`scale-${mode}`);
  versions = clusterText(cluster);
  const stops: (() => void)[] = [];
  try {
    await createObjects(cluster, [benchZone()]);
    if (mode === 'seed') {
      say(`scale seed: creating ${COUNT} GeoEndpoints before the operator starts`);
      await createObjects(
        cluster,
        Array.from({ length: COUNT }, (_, i) => endpoint(i)),
        CONCURRENCY,
      );
    }

    // What the API server holds, as the benchmark's watches see it.
    const ready = new Set<string>();
    let readyAt: number | undefined;
    let configMapAt: number | undefined;
    let servedSerial: number | undefined;
    let zoneBytes = 0;
    stops.push(
      await watch(cluster, `/apis/geodns.io/v1alpha1/namespaces/${APP_NS}/geoendpoints`, (phase, object, at) => {
        const name = object.metadata.name ?? '';
        if (phase !== 'DELETED' && condition(object, 'Ready').status === 'True') ready.add(name);
        else ready.delete(name);
        if (ready.size === COUNT && readyAt === undefined) readyAt = at;
      }),
      await watch(
        cluster,
        `/api/v1/namespaces/${NS}/configmaps`,
        (phase, object, at) => {
          if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
          const { data, binaryData } = object as KubeObject & {
            data?: Record<string, string>;
            binaryData?: Record<string, string>;
          };
          const text = decodeDocuments({ data, binaryData }).documents.get(`${APEX}.json`);
          if (!text) return;
          zoneBytes = text.length;
          const zone = JSON.parse(text) as { serial: number; routed: unknown[] };
          if (zone.routed.length === COUNT && configMapAt === undefined) {
            configMapAt = at;
            servedSerial = zone.serial;
          }
        },
        { fieldSelector: `metadata.name=${zoneConfigMapName('bench')}` },
      ),
    );

    const dns = await DnsClient.open();
    let pods: DnsPod[];
    let t0: number;
    let t0Wall = 0;
    let created: number | undefined;
    let operatorPid: number;
    let metricsUrl: string;
    let cpuBefore = 0;
    let benchCpuBefore = process.cpuUsage();
    let planeBefore = controlPlaneCpu();
    const planeSum = (c: ReturnType<typeof controlPlaneCpu>) => c.apiserver + c.etcd + c.controllers;
    if (mode === 'seed') {
      pods = await startDnsPods(cluster);
      t0 = performance.now();
      t0Wall = Date.now();
      benchCpuBefore = process.cpuUsage();
      planeBefore = controlPlaneCpu();
      const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
      ({ metricsUrl } = operator);
      operatorPid = operator.proc.pid;
    } else {
      const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
      ({ metricsUrl } = operator);
      operatorPid = operator.proc.pid;
      pods = await startDnsPods(cluster);
      // Wait for the empty zone to be served, so the clock starts on a settled operator.
      for (;;) {
        const serials = await Promise.all(pods.map((p) => dns.serial(p.host, p.port, APEX)));
        if (serials.every((s) => s !== undefined)) break;
        await sleep(50);
      }
      await sleep(3000);
      say(`scale apply: creating ${COUNT} GeoEndpoints, ${CONCURRENCY} at a time`);
      cpuBefore = cpuSeconds(operatorPid);
      benchCpuBefore = process.cpuUsage();
      planeBefore = controlPlaneCpu();
      t0 = performance.now();
      t0Wall = Date.now();
      await createObjects(
        cluster,
        Array.from({ length: COUNT }, (_, i) => endpoint(i)),
        CONCURRENCY,
      );
      created = performance.now() - t0;
      say(`scale apply: created in ${ms(created)}`);
    }
    let rssMax = 0;
    const sampler = setInterval(() => {
      try {
        rssMax = Math.max(rssMax, memory(operatorPid).rssMiB);
      } catch {
        // exited
      }
    }, 100);

    // Served: both pods answer the serial of the complete version.
    const deadline = t0 + 120_000;
    let servedAt: number | undefined;
    while (performance.now() < deadline) {
      if (servedSerial !== undefined) {
        const serials = await Promise.all(pods.map((p) => dns.serial(p.host, p.port, APEX)));
        if (serials.every((s) => s !== undefined && s >= servedSerial!)) {
          servedAt = performance.now();
          break;
        }
      }
      await sleep(10);
    }
    while (readyAt === undefined && performance.now() < deadline) await sleep(10);
    if (servedAt === undefined || readyAt === undefined || configMapAt === undefined) {
      throw new Error(`not all Ready (${ready.size}/${COUNT}) and served within 120 s`);
    }
    const cpu = cpuSeconds(operatorPid) - cpuBefore;
    const benchUsage = process.cpuUsage(benchCpuBefore);
    const benchCpu = (benchUsage.user + benchUsage.system) / 1e6;
    const planeCpu = planeSum(controlPlaneCpu()) - planeSum(planeBefore);
    // When each pod logged the swap to the complete version (its own clock: not delayed by this process being busy).
    const swapped = pods.map((pod) => {
      const line = pod.proc.logs.find(
        (l) =>
          l.msg === 'zones loaded' &&
          Array.isArray(l.zones) &&
          (l.zones as { zone: string; serial: number }[]).some((z) => z.zone === APEX && z.serial >= servedSerial!),
      );
      return line ? Date.parse(String(line.time)) - t0Wall : NaN;
    });
    const reconciles = await scrape(metricsUrl, 'geodns_operator_reconciles_total');
    const heapUsed = (await scrape(metricsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20;
    const heapTotal = (await scrape(metricsUrl, 'nodejs_heap_size_total_bytes')) / 2 ** 20;
    // Every name on both pods, once.
    let good = 0;
    for (const pod of pods) {
      for (let i = 0; i < COUNT; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, COUNT - i) }, (_, k) =>
            dns.query(pod.host, pod.port, `${nameOf(i + k)}.${APEX}`, 1000),
          ),
        );
        batch.forEach((answer, k) => {
          const want = [0, 1, 2].map((j) => address(i + k, j)).sort();
          if (answer && answer.length === 3 && answer.every((a, x) => a === want[x])) good += 1;
        });
      }
    }
    await sleep(5000);
    clearInterval(sampler);
    const after = memory(operatorPid);
    dns.close();
    // Every request of the operator's since it started (the audit log's blocking mode: written before the answer).
    const requests = (await auditedRequests(cluster)).filter((r) => r.user === OPERATOR_USER);
    const configMapWrites = countRequests(requests, { resource: 'configmaps', write: true });
    const result: Result = {
      mode,
      ...(created !== undefined ? { created } : {}),
      ready: readyAt - t0,
      configMap: configMapAt - t0,
      served: servedAt - t0,
      swapped: Math.max(...swapped),
      total: Math.max(readyAt - t0, Math.max(...swapped)),
      benchCpu,
      planeCpu,
      reconciles,
      heap: `${heapUsed.toFixed(0)} / ${heapTotal.toFixed(0)}`,
      rssMax: Math.max(rssMax, after.rssMiB),
      hwm: after.hwmMiB,
      rssAfter: after.rssMiB,
      cpu,
      checked: `${good}/${COUNT * pods.length}`,
      requests: {
        status: countRequests(requests, { subresource: 'status' }),
        zone: configMapWrites,
        events: countRequests(requests, { resource: 'events' }),
        all: requests.length,
      },
      zoneBytes,
      createMs: await serverMs(cluster, { user: 'admin', verb: 'create', resource: 'geoendpoints' }),
      statusMs: await serverMs(cluster, {
        user: OPERATOR_USER,
        verb: 'patch',
        resource: 'geoendpoints',
        subresource: 'status',
      }),
    };
    say(`scale ${mode}: ${JSON.stringify({ ...result, createMs: undefined, statusMs: undefined })}`);
    return result;
  } finally {
    for (const stop of stops) stop();
    await stopChildren();
    await cluster.stop();
  }
}

const knobs = [
  COUNT !== 1000 ? `COUNT=${COUNT}` : '',
  process.env.MODE ? `MODE=${process.env.MODE}` : '',
  CONCURRENCY !== 16 ? `CONCURRENCY=${CONCURRENCY}` : '',
].filter(Boolean);
const head = header(
  'bench/operator/scale.ts',
  `${knobs.length ? `${knobs.join(' ')} ` : ''}node bench/operator/scale.ts`,
);
const results: Result[] = [];
try {
  for (const mode of MODES) results.push(await run(mode));
} finally {
  await stopChildren();
}
const row = (r: Result) =>
  `| ${r.mode} | ${r.created !== undefined ? ms(r.created) : '—'} | ${ms(r.ready)} | ${ms(r.configMap)} | ${ms(r.swapped)} (${ms(r.served)}) | **${ms(r.total)}** ${r.total < 5000 ? '(met)' : '(**missed**)'} | ${r.rssMax.toFixed(0)} / ${r.hwm.toFixed(0)} / ${r.rssAfter.toFixed(0)} MiB ${r.hwm < 200 ? '(met)' : '(**missed**)'} | ${r.heap} MiB | ${r.cpu.toFixed(1)} s / ${r.planeCpu.toFixed(1)} s / ${r.benchCpu.toFixed(1)} s | ${r.reconciles} | ${r.requests.status} / ${r.requests.zone} / ${r.requests.events} / ${r.requests.all} | ${r.checked} |`;
const lines = [
  head,
  `${COUNT} GeoEndpoints × 3 address targets (multivalue) in one GeoZone; ${versions}. Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`). ` +
    `apply: created through client-node as the administrator, ${CONCURRENCY} in flight, with the operator running; times from the first create. seed: created before the operator starts; times from its spawn. ` +
    `Ready = every GeoEndpoint has Ready=True; ConfigMap = the zone ConfigMap holds every name (both as the benchmark's watches saw them); served = both pods logged the swap to that version (their log time; in brackets when this process saw both answer its serial over UDP). ` +
    `RSS: max VmRSS sampled every 100 ms / VmHWM / VmRSS 5 s after. CPU: the operator's, the control plane's (kube-apiserver + etcd + kube-controller-manager) and this process's (its watches and polling), over the timed interval. Reconciles: the operator's compile runs (geodns_operator_reconciles_total). Requests (audit log): the operator's status patches / ConfigMap writes / Events / all its requests since it started.`,
  '',
  '| mode | created | all Ready | ConfigMap complete | served by both pods (seen by UDP) | Ready and served | operator RSS max / HWM / after | operator heap used / total | CPU operator / control plane / bench process | reconciles | requests | answers checked |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(row),
  '',
  `- compiled zone: ${(results[0]?.zoneBytes ?? 0).toLocaleString('en')} bytes of JSON`,
  ...results.map(
    (r) =>
      `- ${r.mode}: the API server's time per request (audit log, received → response complete): create GeoEndpoint ${stats(r.createMs)}; the operator's status patch ${stats(r.statusMs)}`,
  ),
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
