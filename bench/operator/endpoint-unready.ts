// EndpointSlice endpoint goes unready → every DNS pod's answer changed. www.bench.example fails over from the
// Service `primary` (load-balancer ingress 192.0.2.1) to `backup` (192.0.2.2); a trial replaces primary's
// EndpointSlice with its one endpoint unready (as the EndpointSlice controller would) and times until both DNS
// pods answer 192.0.2.2; then makes it ready again and times the way back.
// The chain: watch event → operator (health table, 50 ms coalescing) → one write of the health ConfigMap → the
// pods' watch → swap. Target (issue 12): p95 under 1 s, aim 250 ms.
//   node bench/operator/endpoint-unready.ts        (TRIALS=20)
import { benchEndpoint, envNumber, header, say, serviceObjects, setSliceReady } from './lib.ts';
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

const command = `node bench/operator/endpoint-unready.ts${TRIALS !== 20 ? ` (TRIALS=${TRIALS})` : ''}`;
const head = header('bench/operator/endpoint-unready.ts', command);
const scenario = await startScenario(
  'endpoint-unready',
  [...serviceObjects('primary', PRIMARY, true), ...serviceObjects('backup', BACKUP, true), endpoint],
  [PRIMARY],
);
try {
  const { change, restore } = await runTrials(scenario, TRIALS, {
    change: () => setSliceReady(scenario.cluster, 'primary', false),
    changed: [BACKUP],
    restore: () => setSliceReady(scenario.cluster, 'primary', true),
    restored: [PRIMARY],
    timeoutMs: 10_000,
  });
  const lines = [
    head,
    `Operator with \`--leader-elect\`, two DNS pods (\`serve --kube --workers 0\`), API test server in the benchmark's process with RBAC on. ` +
      `Each trial replaces the EndpointSlice of the Service \`primary\` (failover priority 0) with its endpoint unready, ` +
      `then polls both pods every 5 ms until they answer the backup; then makes it ready again (the way back). ` +
      `Times start when the bench sends the EndpointSlice write.`,
    '',
    ...TABLE_HEAD,
    ...trialRows('endpoint unready', change),
    ...trialRows('endpoint ready again', restore),
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
