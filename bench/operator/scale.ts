// 1,000 GeoEndpoints × 3 targets → every one Ready and served, and the operator's memory meanwhile. Two ways:
//   apply: the operator and two DNS pods run over a cluster with only the GeoZone; the benchmark then creates the
//          GeoEndpoints through client-node (CONCURRENCY requests in flight), as `kubectl apply` of many files would;
//          timed from the first create.
//   seed:  the GeoEndpoints are in the API server before the operator starts (a restart over a full cluster, or
//          a first install over resources applied earlier); timed from the operator's spawn.
// Each GeoEndpoint is multivalue over 3 address targets (10.J.I/256.I%256), so a DNS answer holds all three.
// "Ready": every GeoEndpoint's status has Ready=True. "Served": the zone ConfigMap holds every name and both DNS
// pods answer the SOA serial of that version (a zone is swapped in whole); then every name is asked of both pods
// once to check. Operator RSS: VmRSS sampled every 100 ms (its maximum) and VmHWM, from /proc/PID/status.
// Target (issue 12): under 5 s; operator RSS under 200 MB.
//   node bench/operator/scale.ts          (COUNT=1000, MODE=both|apply|seed, CONCURRENCY=16)
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeDocuments, zoneConfigMapName } from '../../api/configmaps.ts';
import type { KubeObject } from '../../test/apiserver/types.ts';
import {
  benchEndpoint,
  scrape,
  APP_NS,
  benchZone,
  condition,
  cpuSeconds,
  DnsClient,
  dnsServiceObjects,
  envNumber,
  freePort,
  GROUP,
  header,
  memory,
  ms,
  OPERATOR_USER,
  say,
  seedAll,
  startBenchCluster,
  startDnsPod,
  startOperator,
  stopChildren,
  type DnsPod,
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
  reconciles: number;
  heap: string;
  rssMax: number;
  hwm: number;
  rssAfter: number;
  cpu: number;
  checked: string;
  requests: { status: number; zone: number; health: number; events: number; all: number };
  zoneBytes: number;
}

async function operatorOf(kubeconfig: string): Promise<{ pid: number; metricsUrl: string }> {
  const { proc, metricsUrl } = await startOperator(kubeconfig, ['--leader-elect']);
  return { pid: proc.pid, metricsUrl };
}

async function run(mode: string): Promise<Result> {
  const cluster = await startBenchCluster(`scale-${mode}`);
  const port = await freePort();
  const hosts = ['127.0.0.2', '127.0.0.3'];
  seedAll(cluster.server, [...dnsServiceObjects(hosts, port), benchZone()]);
  if (mode === 'seed') for (let i = 0; i < COUNT; i++) cluster.server.seed(endpoint(i));

  // What the store sees, as it happens.
  const ready = new Set<string>();
  let readyAt: number | undefined;
  let configMapAt: number | undefined;
  let servedSerial: number | undefined;
  let zoneBytes = 0;
  cluster.onWrite((event) => {
    if (event.typeKey === 'geodns.io/geoendpoints') {
      const name = event.object.metadata.name ?? '';
      if (event.type !== 'DELETED' && condition(event.object, 'Ready').status === 'True') ready.add(name);
      else ready.delete(name);
      if (ready.size === COUNT && readyAt === undefined) readyAt = performance.now();
    }
    if (event.typeKey === '/configmaps' && event.object.metadata.name === zoneConfigMapName('bench')) {
      const object = event.object as KubeObject & {
        data?: Record<string, string>;
        binaryData?: Record<string, string>;
      };
      const text = decodeDocuments({ data: object.data, binaryData: object.binaryData }).documents.get(`${APEX}.json`);
      if (!text) return;
      zoneBytes = text.length;
      const zone = JSON.parse(text) as { serial: number; routed: unknown[] };
      if (zone.routed.length === COUNT && configMapAt === undefined) {
        configMapAt = performance.now();
        servedSerial = zone.serial;
      }
    }
  });

  const dns = await DnsClient.open();
  let pods: DnsPod[];
  let t0: number;
  let t0Wall = 0;
  let created: number | undefined;
  let operatorPid: number;
  let metricsUrl: string;
  let cpuBefore = 0;
  let benchCpuBefore = process.cpuUsage();
  if (mode === 'seed') {
    pods = await Promise.all(hosts.map((h) => startDnsPod(cluster.dnsKubeconfig, h, port)));
    t0 = performance.now();
    t0Wall = Date.now();
    benchCpuBefore = process.cpuUsage();
    ({ pid: operatorPid, metricsUrl } = await operatorOf(cluster.operatorKubeconfig));
  } else {
    ({ pid: operatorPid, metricsUrl } = await operatorOf(cluster.operatorKubeconfig));
    pods = await Promise.all(hosts.map((h) => startDnsPod(cluster.dnsKubeconfig, h, port)));
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
    t0 = performance.now();
    t0Wall = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (;;) {
          const i = next++;
          if (i >= COUNT) return;
          await cluster.custom.createNamespacedCustomObject({
            ...GROUP,
            namespace: APP_NS,
            plural: 'geoendpoints',
            body: endpoint(i),
          });
        }
      }),
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
  const count = (filter: Parameters<typeof cluster.server.requests.count>[0]) =>
    cluster.server.requests.count({ user: OPERATOR_USER, ...filter });
  const result: Result = {
    mode,
    ...(created !== undefined ? { created } : {}),
    ready: readyAt - t0,
    configMap: configMapAt - t0,
    served: servedAt - t0,
    swapped: Math.max(...swapped),
    total: Math.max(readyAt - t0, Math.max(...swapped)),
    benchCpu,
    reconciles,
    heap: `${heapUsed.toFixed(0)} / ${heapTotal.toFixed(0)}`,
    rssMax: Math.max(rssMax, after.rssMiB),
    hwm: after.hwmMiB,
    rssAfter: after.rssMiB,
    cpu,
    checked: `${good}/${COUNT * pods.length}`,
    requests: {
      status: count({ subresource: 'status' }),
      zone: count({ resource: 'configmaps', verb: 'create' }) + count({ resource: 'configmaps', verb: 'update' }),
      health: 0,
      events: count({ resource: 'events' }),
      all: count({}),
    },
    zoneBytes,
  };
  say(`scale ${mode}: ${JSON.stringify(result)}`);
  dns.close();
  await stopChildren();
  await cluster.server.close();
  return result;
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
  `| ${r.mode} | ${r.created !== undefined ? ms(r.created) : '—'} | ${ms(r.ready)} | ${ms(r.configMap)} | ${ms(r.swapped)} (${ms(r.served)}) | **${ms(r.total)}** ${r.total < 5000 ? '(met)' : '(**missed**)'} | ${r.rssMax.toFixed(0)} / ${r.hwm.toFixed(0)} / ${r.rssAfter.toFixed(0)} MiB ${r.hwm < 200 ? '(met)' : '(**missed**)'} | ${r.heap} MiB | ${r.cpu.toFixed(1)} s / ${r.benchCpu.toFixed(1)} s | ${r.reconciles} | ${r.requests.status} / ${r.requests.zone} / ${r.requests.events} / ${r.requests.all} | ${r.checked} |`;
const lines = [
  head,
  `${COUNT} GeoEndpoints × 3 address targets (multivalue) in one GeoZone; operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`), API test server in the benchmark's process with RBAC on. ` +
    `apply: created through client-node, ${CONCURRENCY} in flight, with the operator running; times from the first create. seed: in the store before the operator starts; times from its spawn. ` +
    `Ready = every GeoEndpoint has Ready=True; ConfigMap = the zone ConfigMap holds every name; served = both pods logged the swap to that version (their log time; in brackets when this process saw both answer its serial over UDP, later when the API test server in this process is busy). ` +
    `RSS: max VmRSS sampled every 100 ms / VmHWM / VmRSS 5 s after. CPU: the operator's, and this process's (the API test server, and the benchmark's own polling). Reconciles: the operator's compile runs (geodns_operator_reconciles_total). Requests: the operator's status patches / zone ConfigMap writes / Events / all its requests.`,
  '',
  '| mode | created | all Ready | ConfigMap complete | served by both pods (seen by UDP) | Ready and served | operator RSS max / HWM / after | operator heap used / total | CPU operator / bench process | reconciles | requests | answers checked |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(row),
  '',
  `- compiled zone: ${(results[0]?.zoneBytes ?? 0).toLocaleString('en')} bytes of JSON`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
