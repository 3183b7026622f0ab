// A Pod goes unready → every DNS pod's answer changed. www.bench.example fails over from the Service `primary`
// (load-balancer ingress 192.0.2.1) to `backup` (192.0.2.2); each Service has one Pod. A trial sets primary's Pod
// Ready=False (as its kubelet would) and times until both DNS pods answer 192.0.2.2; then Ready=True and times the
// way back.
// The chain: Pod status → the real EndpointSlice controller's watch → its EndpointSlice write → the operator's watch
// (health table, 50 ms coalescing) → one write of the health ConfigMap → the pods' watch → swap.
// Target (issue 12): p95 under 1 s, aim 250 ms.
//   node bench/operator/endpoint-unready.ts        (TRIALS=20)
import { benchEndpoint, clusterText, createService, envNumber, header, say, setPodReady } from './lib.ts';
import { rawLine, runTrials, startScenario, stopScenario, TABLE_HEAD, trialRows } from './answers.ts';

const TRIALS = envNumber('TRIALS', 20);
const PRIMARY = '192.0.2.1';
const BACKUP = '192.0.2.2';

const endpoint = benchEndpoint('www', {
  ttl: 5,
  policy: 'failover',
  targets: [
    { name: 'primary', service: { name: 'primary' }, priority: 0, location: {} },
    { name: 'backup', service: { name: 'backup' }, priority: 1, location: {} },
  ],
});

const command = `${TRIALS !== 20 ? `TRIALS=${TRIALS} ` : ''}node bench/operator/endpoint-unready.ts`;
const head = header('bench/operator/endpoint-unready.ts', command);
const scenario = await startScenario(
  'endpoint-unready',
  async (cluster) => {
    await createService(cluster, 'primary', PRIMARY, true, 1);
    await createService(cluster, 'backup', BACKUP, true, 2);
  },
  [endpoint],
  [PRIMARY],
);
try {
  const { change, restore } = await runTrials(scenario, TRIALS, {
    change: () => setPodReady(scenario.cluster, 'primary', false),
    changed: [BACKUP],
    restore: () => setPodReady(scenario.cluster, 'primary', true),
    restored: [PRIMARY],
    timeoutMs: 10_000,
    service: 'primary',
  });
  const lines = [
    head,
    `${clusterText(scenario.cluster)}. Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`). ` +
      `Each trial sets the Pod of the Service \`primary\` (failover priority 0) Ready=False (one patch of pods/status), ` +
      `then polls both pods every 5 ms until they answer the backup; then Ready=True again (the way back). ` +
      `Times start when the bench sends the Pod status write; the EndpointSlice and health ConfigMap times are when the bench's own watches saw them.`,
    '',
    ...TABLE_HEAD,
    ...trialRows('Pod unready', change),
    ...trialRows('Pod ready again', restore),
    '',
    rawLine('unready', change),
    rawLine('ready again', restore),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  await stopScenario(scenario);
}
