// Probe failure → answer changed, on a real control plane (bench/operator/lib.ts). www.bench.example fails over from 127.0.0.11 to 127.0.0.12, both checked by an
// HTTP HealthProbe (interval 1s, timeout 500ms, failureThreshold 2, successThreshold 1) against real node:http
// servers this benchmark runs on those addresses. A trial makes the primary answer 503 and times until both DNS
// pods answer 127.0.0.12; then makes it answer 200 again and times the way back.
// Target (issue 12): p95 at most interval × failureThreshold + 1 s = 3 s. Expected: the first failing probe comes
// 0–1 s after the change, the second (the threshold) 1 s later, so 1–2 s plus the chain of endpoint-unready.ts.
//   node bench/operator/probe-failure.ts        (TRIALS=20, INTERVAL=1s, THRESHOLD=2)
import { createServer, type Server } from 'node:http';
import { APP_NS, benchEndpoint, clusterText, envNumber, freePort, header, ms, percentile, say } from './lib.ts';
import { rawLine, runTrials, startScenario, stopScenario, TABLE_HEAD, trialRows } from './answers.ts';

const TRIALS = envNumber('TRIALS', 20);
const INTERVAL_S = envNumber('INTERVAL', 1);
const THRESHOLD = envNumber('THRESHOLD', 2);
const PRIMARY = '127.0.0.11';
const BACKUP = '127.0.0.12';

let primaryStatus = 200;
const port = await freePort();
const servers: Server[] = [];
for (const [host, status] of [
  [PRIMARY, () => primaryStatus],
  [BACKUP, () => 200],
] as const) {
  const server = createServer((_req, res) => {
    res.writeHead(status(), { 'Content-Type': 'text/plain' });
    res.end('ok\n');
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  servers.push(server);
}

const probe = {
  apiVersion: 'geodns.io/v1alpha1',
  kind: 'HealthProbe',
  metadata: { name: 'http', namespace: APP_NS },
  spec: {
    type: 'HTTP',
    port,
    path: '/healthz',
    expectedStatus: [{ min: 200, max: 299 }],
    interval: `${INTERVAL_S}s`,
    timeout: `${Math.min(500, INTERVAL_S * 500)}ms`,
    failureThreshold: THRESHOLD,
    successThreshold: 1,
  },
};
const endpoint = benchEndpoint('www', {
  ttl: 5,
  policy: 'failover',
  targets: [
    { name: 'primary', addresses: [PRIMARY], priority: 0, location: {}, healthProbeRef: { name: 'http' } },
    { name: 'backup', addresses: [BACKUP], priority: 1, location: {}, healthProbeRef: { name: 'http' } },
  ],
});

const knobs = [
  TRIALS !== 20 ? `TRIALS=${TRIALS}` : '',
  INTERVAL_S !== 1 ? `INTERVAL=${INTERVAL_S}` : '',
  THRESHOLD !== 2 ? `THRESHOLD=${THRESHOLD}` : '',
].filter(Boolean);
const command = `${knobs.length ? `${knobs.join(' ')} ` : ''}node bench/operator/probe-failure.ts`;
const head = header('bench/operator/probe-failure.ts', command);
const scenario = await startScenario('probe-failure', async () => undefined, [probe, endpoint], [PRIMARY]);
try {
  const { change, restore } = await runTrials(scenario, TRIALS, {
    change: async () => {
      primaryStatus = 503;
    },
    changed: [BACKUP],
    restore: async () => {
      primaryStatus = 200;
    },
    restored: [PRIMARY],
    timeoutMs: INTERVAL_S * THRESHOLD * 1000 + 10_000,
  });
  const budget = INTERVAL_S * THRESHOLD * 1000 + 1000;
  const p95 = percentile(
    change.map((t) => t.total),
    95,
  );
  const lines = [
    head,
    `${clusterText(scenario.cluster)}. Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`). ` +
      `HealthProbe HTTP interval ${INTERVAL_S}s, failureThreshold ${THRESHOLD}, successThreshold 1, against node:http servers on ${PRIMARY} and ${BACKUP} (port ${port}). ` +
      `Each trial makes the primary answer 503 and polls both pods every 5 ms until they answer the backup; then 200 again (the way back).`,
    '',
    ...TABLE_HEAD,
    ...trialRows('probe fails (503)', change),
    ...trialRows('probe succeeds again', restore),
    '',
    `- target: p95 ≤ interval × failureThreshold + 1 s = ${ms(budget)}; measured p95 ${ms(p95)}: ${p95 <= budget ? 'met' : '**missed**'}`,
    rawLine('fails', change),
    rawLine('succeeds again', restore),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  await stopScenario(scenario);
  for (const server of servers) server.close();
}
