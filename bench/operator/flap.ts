// 100 targets flapping every second for a minute, on a real control plane (bench/operator/lib.ts). 100 GeoEndpoints
// f000..f099, each failing over from the Service p000..p099 (load-balancer ingress 10.9.0.i; one Pod each, with a
// TEST-NET-1 address nothing contacts) to a fixed address (198.51.100.i). Every 10 ms the benchmark flips the next
// Service's Pod between Ready and not (one patch of pods/status; the real EndpointSlice controller then writes the
// slice), so each target flips once a second, the 100 spread over the second. For SAMPLE of the targets (every 100/SAMPLE-th), each flip is timed: both DNS pods are polled
// every 10 ms until they answer the new address, for at most 1 s (the next flip of that target); a flip not seen
// in that second counts as missed. A sampled flip is timed only when both pods still answer the state before it
// (when the previous flip of that target never reached them, this one changes nothing they show: counted apart).
// Reported: answer latency percentiles (and the EndpointSlice controller's share), how many flips reached an
// EndpointSlice at all, the operator's writes per second by kind (status that follows health alone is throttled to
// one write per object per 5 s), its reconciles (none: readiness skips compile), the API server's request rate (its
// audit log) and the control plane's CPU.
//   node bench/operator/flap.ts        (DURATION=60, TARGETS=100, SAMPLE=10)
import { setTimeout as sleep } from 'node:timers/promises';
import { HEALTH_CONFIGMAP, HEALTH_KEY } from '../../api/configmaps.ts';
import type { HealthTable } from '../../api/health.ts';
import {
  APP_NS,
  auditedRequests,
  benchEndpoint,
  benchZone,
  clusterText,
  controlPlaneCpu,
  countRequests,
  cpuSeconds,
  createObjects,
  createService,
  DNS_USER,
  DnsClient,
  envNumber,
  header,
  memory,
  ms,
  NS,
  OPERATOR_USER,
  percentile,
  say,
  scrape,
  setPodReady,
  sliceReady,
  startBenchCluster,
  startDnsPods,
  startOperator,
  stopChildren,
  waitForAnswers,
  watch,
  type KubeObject,
} from './lib.ts';

const DURATION = envNumber('DURATION', 60);
const TARGETS = envNumber('TARGETS', 100);
const SAMPLE = envNumber('SAMPLE', 10);

const id = (i: number) => String(i).padStart(3, '0');
const primary = (i: number) => `10.9.${Math.floor(i / 256)}.${i % 256}`;
const backup = (i: number) => `198.51.100.${i % 256}`;
const objects: KubeObject[] = [benchZone()];
for (let i = 0; i < TARGETS; i++) {
  objects.push(
    benchEndpoint(`f${id(i)}`, {
      ttl: 5,
      policy: 'failover',
      targets: [
        { name: 'primary', service: { name: `p${id(i)}` }, priority: 0, location: {} },
        { name: 'backup', addresses: [backup(i)], priority: 1, location: {} },
      ],
    }),
  );
}

const knobs = [
  DURATION !== 60 ? `DURATION=${DURATION}` : '',
  TARGETS !== 100 ? `TARGETS=${TARGETS}` : '',
  SAMPLE !== 10 ? `SAMPLE=${SAMPLE}` : '',
].filter(Boolean);
const head = header(
  'bench/operator/flap.ts',
  `${knobs.length ? `${knobs.join(' ')} ` : ''}node bench/operator/flap.ts`,
);
const cluster = await startBenchCluster('flap');
const stops: (() => void)[] = [];
try {
  say(`flap: creating ${TARGETS} Services with one Pod each`);
  let nextService = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const i = nextService++;
        if (i >= TARGETS) return;
        await createService(cluster, `p${id(i)}`, primary(i), true, (i % 254) + 1);
      }
    }),
  );
  await createObjects(cluster, objects, 8);
  const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
  const pods = await startDnsPods(cluster);
  const dns = await DnsClient.open();
  const last = TARGETS - 1;
  await waitForAnswers(dns, pods, `f${id(last)}.bench.example`, [primary(last)], performance.now(), 120_000, 50);
  await sleep(3000);

  const ready = Array.from({ length: TARGETS }, () => true);
  const sampled = new Set(Array.from({ length: SAMPLE }, (_, k) => Math.floor((k * TARGETS) / SAMPLE)));
  const latencies: number[] = [];
  let missed = 0;
  let flips = 0;
  let writeErrors = 0;
  const watchers: Promise<void>[] = [];
  // Sampled flips waiting for the health ConfigMap (and the EndpointSlice) to say so: target index → (up, sent).
  const waitingHealth = new Map<number, { up: boolean; sent: number }>();
  const waitingSlice = new Map<number, { up: boolean; sent: number }>();
  const operatorLatencies: number[] = [];
  const sliceLatencies: number[] = [];
  // What the latest health ConfigMap says of each primary (absent: up), and each Service's slice.
  const published = Array.from({ length: TARGETS }, () => true);
  const sliceShows = Array.from({ length: TARGETS }, () => true);
  let sliceChanges = 0;
  let counting = false;
  let stale = 0;
  stops.push(
    await watch(
      cluster,
      `/api/v1/namespaces/${NS}/configmaps`,
      (phase, object, at) => {
        if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
        const data = (object as KubeObject & { data?: Record<string, string> }).data?.[HEALTH_KEY];
        if (!data) return;
        const table = JSON.parse(data) as HealthTable;
        for (let i = 0; i < TARGETS; i++) published[i] = table.targets[`${APP_NS}/f${id(i)}/primary`]?.up ?? true;
        for (const [i, flip] of waitingHealth) {
          const up = table.targets[`${APP_NS}/f${id(i)}/primary`]?.up ?? true;
          if (up !== flip.up) continue;
          operatorLatencies.push(at - flip.sent);
          waitingHealth.delete(i);
        }
      },
      { fieldSelector: `metadata.name=${HEALTH_CONFIGMAP}` },
    ),
    await watch(cluster, `/apis/discovery.k8s.io/v1/namespaces/${APP_NS}/endpointslices`, (phase, object, at) => {
      const service = object.metadata.labels?.['kubernetes.io/service-name'] ?? '';
      const i = Number(service.slice(1));
      if (!service.startsWith('p') || !Number.isInteger(i) || phase !== 'MODIFIED') return;
      const up = sliceReady(object) === true;
      if (up === sliceShows[i]) return;
      sliceShows[i] = up;
      if (counting) sliceChanges += 1;
      const flip = waitingSlice.get(i);
      if (flip && flip.up === up) {
        sliceLatencies.push(at - flip.sent);
        waitingSlice.delete(i);
      }
    }),
  );
  say(`flapping ${TARGETS} targets for ${DURATION} s`);
  const writes: Promise<void>[] = [];
  const cpu0 = cpuSeconds(operator.proc.pid);
  const plane0 = controlPlaneCpu();
  const reconciles0 = await scrape(operator.metricsUrl, 'geodns_operator_reconciles_total');
  const healthUpdates0 = await scrape(operator.metricsUrl, 'geodns_operator_endpoint_health_updates_total');
  const fromWall = Date.now();
  counting = true;
  const t0 = performance.now();
  const tickMs = 1000 / TARGETS;
  for (let tick = 0; ; tick++) {
    const due = t0 + tick * tickMs;
    const now = performance.now();
    if (due - t0 >= DURATION * 1000) break;
    if (due > now) await sleep(due - now);
    const i = tick % TARGETS;
    ready[i] = !ready[i];
    const up = ready[i]!;
    flips += 1;
    // A sampled flip is timed only if the pods still show the state before it: when the previous flip never
    // reached them, this one changes nothing they show.
    let timed = false;
    if (sampled.has(i)) {
      const before = [up ? backup(i) : primary(i)];
      const answers = await Promise.all(pods.map((p) => dns.query(p.host, p.port, `f${id(i)}.bench.example`, 100)));
      timed = answers.every((a) => a?.length === 1 && a[0] === before[0]);
      if (!timed) stale += 1;
    }
    const sent = performance.now();
    writes.push(
      setPodReady(cluster, `p${id(i)}`, up).catch(() => {
        writeErrors += 1;
      }),
    );
    if (timed) {
      if (published[i] !== up) waitingHealth.set(i, { up, sent });
      else waitingHealth.delete(i);
      if (sliceShows[i] !== up) waitingSlice.set(i, { up, sent });
      else waitingSlice.delete(i);
      const expected = [up ? primary(i) : backup(i)];
      watchers.push(
        waitForAnswers(dns, pods, `f${id(i)}.bench.example`, expected, sent, 1000, 10).then((times) => {
          if (times.some((t) => t === undefined)) missed += 1;
          else latencies.push(Math.max(...(times as number[])));
        }),
      );
    }
    if (writes.length > 500) writes.splice(0, 250);
  }
  const flapped = (performance.now() - t0) / 1000;
  await Promise.all([...writes, ...watchers]);
  const toWall = Date.now();
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(operator.proc.pid) - cpu0;
  const plane1 = controlPlaneCpu();
  const reconciles = (await scrape(operator.metricsUrl, 'geodns_operator_reconciles_total')) - reconciles0;
  const healthUpdates =
    (await scrape(operator.metricsUrl, 'geodns_operator_endpoint_health_updates_total')) - healthUpdates0;
  const mem = memory(operator.proc.pid);
  dns.close();

  const requests = await auditedRequests(cluster, fromWall, toWall);
  const op = (filter: Parameters<typeof countRequests>[1]) =>
    countRequests(requests, { user: OPERATOR_USER, ...filter });
  const perSecond = (n: number) => `${n} (${(n / seconds).toFixed(1)}/s)`;
  const statusWrites = op({ subresource: 'status' });
  const operatorWrites = new Map<string, number>();
  for (const r of requests) {
    if (r.user !== OPERATOR_USER || !['create', 'update', 'patch', 'delete'].includes(r.verb)) continue;
    const key = `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
    operatorWrites.set(key, (operatorWrites.get(key) ?? 0) + 1);
  }
  const benchWrites = countRequests(requests, {
    user: 'admin',
    resource: 'pods',
    subresource: 'status',
    verb: 'patch',
  });
  const sliceWrites = countRequests(requests, { user: 'admin', resource: 'endpointslices', write: true });
  // The controller's writes per whole second of the flapping: a flat ceiling is its client's rate limit.
  const perWholeSecond = Array.from({ length: Math.floor(flapped) }, () => 0);
  for (const r of requests) {
    if (r.user !== 'admin' || r.resource !== 'endpointslices' || !['create', 'update', 'patch'].includes(r.verb)) {
      continue;
    }
    const second = Math.floor((Date.parse(r.time) - fromWall) / 1000);
    if (second >= 0 && second < perWholeSecond.length) perWholeSecond[second]! += 1;
  }
  const sorted = [...perWholeSecond].sort((a, b) => a - b);
  const lines = [
    head,
    `${TARGETS} GeoEndpoints failing over from a Service to a fixed address; the Services' Pods flip Ready ↔ not (a patch of pods/status), one every ${tickMs.toFixed(0)} ms (each target once a second), for ${flapped.toFixed(1)} s (counted until the last write and timed flip ended, ${seconds.toFixed(1)} s); the EndpointSlice controller makes the slices. ` +
      `${clusterText(cluster)}. Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`). ` +
      `${SAMPLE} of the targets are timed on every flip: Pod status write sent → both pods answer the new address (polled every 10 ms, at most 1 s). Requests and writes: the audit log over the flapping.`,
    '',
    `- flips: ${perSecond(flips)}; Pod status patches by the benchmark: ${benchWrites}${writeErrors ? `, ${writeErrors} failed` : ''}`,
    `- **EndpointSlice controller: ${perSecond(sliceWrites)} EndpointSlice writes** (per whole second of the flapping: min ${sorted[0] ?? 0}, median ${sorted[Math.floor(sorted.length / 2)] ?? 0}, max ${sorted.at(-1) ?? 0}; first seconds ${perWholeSecond.slice(0, 5).join(', ')}); slices whose readiness changed, as the benchmark's watch saw them: ${perSecond(sliceChanges)}`,
    `- **flip → both pods answer** (${latencies.length} timed flips): p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))}; **not answered within 1 s: ${missed}**; not timed because the pods still showed the flip before (it had not reached them): ${stale}`,
    `- of which flip → EndpointSlice changed (the controller's share, ${sliceLatencies.length} flips): p50 ${ms(percentile(sliceLatencies, 50))}, p95 ${ms(percentile(sliceLatencies, 95))}, max ${ms(Math.max(...sliceLatencies))}`,
    `- of which flip → health ConfigMap written (the controller's and the operator's share, ${operatorLatencies.length} flips): p50 ${ms(percentile(operatorLatencies, 50))}, p95 ${ms(percentile(operatorLatencies, 95))}, max ${ms(Math.max(...operatorLatencies))}`,
    `- **operator status writes: ${perSecond(statusWrites)}** (status that follows health alone: one object at most once per 5 s, ≤ ${TARGETS / 5}/s)`,
    `- operator health ConfigMap writes: ${perSecond(op({ resource: 'configmaps', write: true }))}; Events: ${perSecond(op({ resource: 'events' }))}`,
    `- operator writes: ${[...operatorWrites].map(([key, n]) => `${key} ${n}`).join(', ')}`,
    `- **kube-apiserver: ${perSecond(requests.length)} requests in all**; the operator's ${perSecond(op({}))}, the DNS pods' ${perSecond(countRequests(requests, { user: DNS_USER }))}`,
    `- control plane CPU: kube-apiserver ${(plane1.apiserver - plane0.apiserver).toFixed(1)} s, etcd ${(plane1.etcd - plane0.etcd).toFixed(1)} s, kube-controller-manager ${(plane1.controllers - plane0.controllers).toFixed(1)} s`,
    `- operator: ${reconciles} reconciles (${(reconciles / seconds).toFixed(1)}/s), ${healthUpdates} EndpointSlice health updates without a compile (${(healthUpdates / seconds).toFixed(1)}/s), CPU ${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)} % of one core), RSS ${mem.rssMiB.toFixed(0)} MiB (VmHWM ${mem.hwmMiB.toFixed(0)} MiB)`,
    `- operator log lines at warn or error: ${
      Object.entries(
        operator.proc.logs
          .filter((l) => l.level === 'warn' || l.level === 'error')
          .map((l) => {
            const err = typeof l.err === 'object' && l.err !== null ? (l.err as { message?: unknown }).message : l.err;
            const why = err === undefined ? '' : String(err).split('\n')[0];
            return `${String(l.msg)}${why ? ` (${l.cache ? `${String(l.cache)}: ` : ''}${why})` : ''}`;
          })
          .reduce<Record<string, number>>((m, text) => ((m[text] = (m[text] ?? 0) + 1), m), {}),
      )
        .map(([msg, n]) => `${msg} × ${n}`)
        .join('; ') || 'none'
    }`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  for (const stop of stops) stop();
  await stopChildren();
  await cluster.stop();
}
