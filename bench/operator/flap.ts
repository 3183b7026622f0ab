// 100 targets flapping every second for a minute. 100 GeoEndpoints f000..f099, each failing over from the Service
// p000..p099 (load-balancer ingress 10.9.0.i) to a fixed address (198.51.100.i). Every 10 ms the benchmark flips
// the next Service's EndpointSlice between ready and unready (so each target flips once a second, the 100 spread
// over the second). For SAMPLE of the targets (every 100/SAMPLE-th), each flip is timed: both DNS pods are polled
// every 10 ms until they answer the new address, for at most 1 s (the next flip of that target); a flip not seen
// in that second counts as missed. A sampled flip is timed only when both pods still answer the state before it
// (when the previous flip of that target never reached them, this one changes nothing they show: counted apart).
// Reported: answer latency percentiles, the operator's writes per second by kind (status that follows health alone
// is throttled to one write per object per 5 s), its reconciles (none: readiness skips compile) and the API test
// server's request rate.
//   node bench/operator/flap.ts        (DURATION=60, TARGETS=100, SAMPLE=10)
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../test/apiserver/types.ts';
import { HEALTH_CONFIGMAP, HEALTH_KEY } from '../../api/configmaps.ts';
import type { HealthTable } from '../../api/health.ts';
import { isWrite } from '../../test/apiserver/requests.ts';
import {
  benchEndpoint,
  APP_NS,
  benchZone,
  cpuSeconds,
  DnsClient,
  dnsServiceObjects,
  envNumber,
  freePort,
  header,
  memory,
  ms,
  OPERATOR_USER,
  percentile,
  say,
  scrape,
  seedAll,
  serviceObjects,
  setSliceReady,
  startBenchCluster,
  startDnsPod,
  startOperator,
  stopChildren,
  waitForAnswers,
} from './lib.ts';

const DURATION = envNumber('DURATION', 60);
const TARGETS = envNumber('TARGETS', 100);
const SAMPLE = envNumber('SAMPLE', 10);

const id = (i: number) => String(i).padStart(3, '0');
const primary = (i: number) => `10.9.${Math.floor(i / 256)}.${i % 256}`;
const backup = (i: number) => `198.51.100.${i % 256}`;
const objects: KubeObject[] = [];
for (let i = 0; i < TARGETS; i++) {
  objects.push(...serviceObjects(`p${id(i)}`, primary(i), true));
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
const dnsPort = await freePort();
const hosts = ['127.0.0.2', '127.0.0.3'];
seedAll(cluster.server, [...dnsServiceObjects(hosts, dnsPort), benchZone(), ...objects]);
try {
  const operator = await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
  const pods = await Promise.all(hosts.map((h) => startDnsPod(cluster.dnsKubeconfig, h, dnsPort)));
  const dns = await DnsClient.open();
  const last = TARGETS - 1;
  await waitForAnswers(dns, pods, `f${id(last)}.bench.example`, [primary(last)], performance.now(), 60_000, 50);
  await sleep(3000);
  say(`flapping ${TARGETS} targets for ${DURATION} s`);

  const ready = Array.from({ length: TARGETS }, () => true);
  const sampled = new Set(Array.from({ length: SAMPLE }, (_, k) => Math.floor((k * TARGETS) / SAMPLE)));
  const latencies: number[] = [];
  let missed = 0;
  let flips = 0;
  let writeErrors = 0;
  const watchers: Promise<void>[] = [];
  // Sampled flips waiting for the health ConfigMap to say so: target index → (up, sent).
  const waitingHealth = new Map<number, { up: boolean; sent: number }>();
  const operatorLatencies: number[] = [];
  // What the latest health ConfigMap says of each primary (absent: up).
  const published = Array.from({ length: TARGETS }, () => true);
  let stale = 0;
  cluster.onWrite((event) => {
    if (event.typeKey !== '/configmaps' || event.object.metadata.name !== HEALTH_CONFIGMAP) return;
    const data = (event.object as KubeObject & { data?: Record<string, string> }).data?.[HEALTH_KEY];
    if (!data) return;
    const table = JSON.parse(data) as HealthTable;
    const at = performance.now();
    for (let i = 0; i < TARGETS; i++) published[i] = table.targets[`${APP_NS}/f${id(i)}/primary`]?.up ?? true;
    for (const [i, flip] of waitingHealth) {
      const up = table.targets[`${APP_NS}/f${id(i)}/primary`]?.up ?? true;
      if (up !== flip.up) continue;
      operatorLatencies.push(at - flip.sent);
      waitingHealth.delete(i);
    }
  });
  const writes: Promise<void>[] = [];
  cluster.server.requests.reset();
  const cpu0 = cpuSeconds(operator.proc.pid);
  const reconciles0 = await scrape(operator.metricsUrl, 'geodns_operator_reconciles_total');
  const healthUpdates0 = await scrape(operator.metricsUrl, 'geodns_operator_endpoint_health_updates_total');
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
    // A sampled flip is timed only if the pods (and the health ConfigMap) still show the state before it: when the
    // previous flip never reached them, this one changes nothing they show.
    let timed = false;
    if (sampled.has(i)) {
      const before = [up ? backup(i) : primary(i)];
      const answers = await Promise.all(pods.map((p) => dns.query(p.host, p.port, `f${id(i)}.bench.example`, 100)));
      timed = answers.every((a) => a?.length === 1 && a[0] === before[0]);
      if (!timed) stale += 1;
    }
    const sent = performance.now();
    writes.push(
      setSliceReady(cluster, `p${id(i)}`, up).catch(() => {
        writeErrors += 1;
      }),
    );
    if (timed) {
      if (published[i] !== up) waitingHealth.set(i, { up, sent });
      else waitingHealth.delete(i);
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
  await Promise.all([...writes, ...watchers]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(operator.proc.pid) - cpu0;
  const reconciles = (await scrape(operator.metricsUrl, 'geodns_operator_reconciles_total')) - reconciles0;
  const healthUpdates =
    (await scrape(operator.metricsUrl, 'geodns_operator_endpoint_health_updates_total')) - healthUpdates0;
  const mem = memory(operator.proc.pid);
  dns.close();

  const requests = cluster.server.requests;
  const op = (filter: Parameters<typeof requests.count>[0]) => requests.count({ user: OPERATOR_USER, ...filter });
  const perSecond = (n: number) => `${n} (${(n / seconds).toFixed(1)}/s)`;
  const statusWrites = op({ subresource: 'status' });
  const operatorWrites = requests
    .entries()
    .filter((e) => e.user === OPERATOR_USER && isWrite(e.verb))
    .map((e) => `${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ''} ${e.count}`)
    .join(', ');
  const benchWrites = requests.count({ user: 'admin', resource: 'endpointslices', verb: 'update' });
  const lines = [
    head,
    `${TARGETS} GeoEndpoints failing over from a Service to a fixed address; the Services' EndpointSlices flip ready ↔ unready, one every ${tickMs.toFixed(0)} ms (each target once a second), for ${seconds.toFixed(1)} s. ` +
      `Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`), API test server in the benchmark's process with RBAC on. ` +
      `${SAMPLE} of the targets are timed on every flip: EndpointSlice write sent → both pods answer the new address (polled every 10 ms, at most 1 s).`,
    '',
    `- flips: ${perSecond(flips)}; EndpointSlice writes by the benchmark: ${benchWrites}${writeErrors ? `, ${writeErrors} failed` : ''}`,
    `- **flip → both pods answer** (${latencies.length} timed flips): p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))}; **not answered within 1 s: ${missed}**; not timed because the pods still showed the flip before (it had not reached them): ${stale}`,
    `- of which flip → health ConfigMap written (the operator's share, ${operatorLatencies.length} flips): p50 ${ms(percentile(operatorLatencies, 50))}, p95 ${ms(percentile(operatorLatencies, 95))}, max ${ms(Math.max(...operatorLatencies))}`,
    `- **operator status writes: ${perSecond(statusWrites)}** (status that follows health alone: one object at most once per 5 s, ≤ ${TARGETS / 5}/s)`,
    `- operator health ConfigMap writes: ${perSecond(op({ resource: 'configmaps', verb: 'update' }) + op({ resource: 'configmaps', verb: 'create' }))}; Events: ${perSecond(op({ resource: 'events' }))}`,
    `- operator writes: ${operatorWrites}`,
    `- **API test server: ${perSecond(requests.total)} requests in all**; the operator's ${perSecond(op({}))}, the DNS pods' ${perSecond(
      requests
        .entries()
        .filter((e) => e.user.endsWith(':geodns-dns'))
        .reduce((s, e) => s + e.count, 0),
    )}`,
    `- operator: ${reconciles} reconciles (${(reconciles / seconds).toFixed(1)}/s), ${healthUpdates} EndpointSlice health updates without a compile (${(healthUpdates / seconds).toFixed(1)}/s), CPU ${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)} % of one core), RSS ${mem.rssMiB.toFixed(0)} MiB (VmHWM ${mem.hwmMiB.toFixed(0)} MiB)`,
    `- operator log lines at warn or error: ${
      Object.entries(
        operator.proc.logs
          .filter((l) => l.level === 'warn' || l.level === 'error')
          .reduce<Record<string, number>>((m, l) => ((m[String(l.msg)] = (m[String(l.msg)] ?? 0) + 1), m), {}),
      )
        .map(([msg, n]) => `${msg} × ${n}`)
        .join('; ') || 'none'
    }`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  await stopChildren();
  await cluster.server.close();
}
