// Idle for 60 s with nothing changing: every request the real kube-apiserver receives (its audit log), by user,
// verb and resource. Target (issue 12): zero writes by the operator and the DNS pods other than the operator's
// lease renewals (`update leases` every retry period, 2 s).
// The cluster: the zone, 5 GeoEndpoints (Service targets whose Pods are ready, one Service whose Pod is not, and
// address targets checked by an HTTP HealthProbe every 1 s against node:http servers on 127.0.0.21-23), the DNS
// Service with two DNS pods (so the operator's serving check runs every 5 s), the operator with --leader-elect.
// The count starts once everything is Ready and the GeoZone says both pods serve its serial, plus SETTLE seconds.
// Besides ours, the control plane's own clients show in the log: kube-controller-manager (as admin, the identity
// tools/control-plane gives it) and kube-apiserver itself (its identity lease, its loopback client).
//   node bench/operator/idle.ts        (DURATION=60, SETTLE=10)
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  APP_NS,
  auditedRequests,
  benchEndpoint,
  benchZone,
  clusterText,
  condition,
  countRequests,
  createObjects,
  createService,
  DNS_USER,
  DnsClient,
  envNumber,
  freePort,
  GROUP,
  header,
  OPERATOR_USER,
  requestRows,
  say,
  startBenchCluster,
  startDnsPods,
  startOperator,
  stopChildren,
  waitForAnswers,
  who,
  WRITE_VERBS,
  type BenchCluster,
  type KubeObject,
} from './lib.ts';

const DURATION = envNumber('DURATION', 60);
const SETTLE = envNumber('SETTLE', 10);
const AFTER = 30;
const PROBED = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];

const port = await freePort();
const servers: Server[] = [];
for (const host of PROBED) {
  const server = createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  servers.push(server);
}

const endpoint = (name: string, targets: unknown[]): KubeObject => benchEndpoint(name, { policy: 'failover', targets });
const objects: KubeObject[] = [
  benchZone(),
  {
    apiVersion: 'geodns.io/v1alpha1',
    kind: 'HealthProbe',
    metadata: { name: 'http', namespace: APP_NS },
    spec: { type: 'HTTP', port, path: '/', interval: '1s', timeout: '500ms', failureThreshold: 2 },
  },
  endpoint('www', [
    { name: 'a', service: { name: 'a' }, priority: 0, location: {} },
    { name: 'b', service: { name: 'b' }, priority: 1, location: {} },
  ]),
  endpoint('down', [{ name: 'c', service: { name: 'c' }, location: {} }]),
  endpoint('api', [
    { name: 'p', addresses: [PROBED[0]!], priority: 0, location: {}, healthProbeRef: { name: 'http' } },
    { name: 's', addresses: [PROBED[1]!], priority: 1, location: {}, healthProbeRef: { name: 'http' } },
  ]),
  endpoint('pool', [
    { name: 'x', addresses: [PROBED[2]!], location: {}, healthProbeRef: { name: 'http' } },
    { name: 'y', service: { name: 'a' }, location: {} },
  ]),
  endpoint('static', [{ name: 'z', addresses: ['198.51.100.1'], location: {} }]),
];

async function settled(cluster: BenchCluster): Promise<boolean> {
  const zone = (await cluster.custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'bench' })) as {
    status?: { serving?: string };
  };
  const endpoints = (await cluster.custom.listNamespacedCustomObject({
    ...GROUP,
    namespace: APP_NS,
    plural: 'geoendpoints',
  })) as { items: KubeObject[] };
  return zone.status?.serving === '2/2' && endpoints.items.every((e) => condition(e, 'Ready').status !== undefined);
}

const command = `${DURATION !== 60 ? `DURATION=${DURATION} ` : ''}node bench/operator/idle.ts`;
const head = header('bench/operator/idle.ts', command);
const cluster = await startBenchCluster('idle');
try {
  await createService(cluster, 'a', '192.0.2.1', true, 1);
  await createService(cluster, 'b', '192.0.2.2', true, 2);
  await createService(cluster, 'c', '192.0.2.3', false, 3);
  await createObjects(cluster, objects);
  await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
  const pods = await startDnsPods(cluster);
  const dns = await DnsClient.open();
  await waitForAnswers(dns, pods, 'www.bench.example', ['192.0.2.1'], performance.now(), 60_000, 50);
  dns.close();
  // Settled: every resource Ready (the one without ready endpoints: Ready=False), the zone served by both pods.
  while (!(await settled(cluster))) await sleep(200);
  say(`settled; waiting ${SETTLE} s more, then counting for ${DURATION} s`);
  await sleep(SETTLE * 1000);
  const revision0 = await cluster.plane.etcdRevision();
  const from = Date.now();
  await sleep(DURATION * 1000);
  const to = Date.now();
  const revision1 = await cluster.plane.etcdRevision();
  const seconds = (to - from) / 1000;
  // The audit log records a watch when it ends: the DNS pods' watches (20–28 s) started in the window end by then.
  say(`counted; ${AFTER} s more for the watches started meanwhile to end`);
  await sleep(AFTER * 1000);
  const requests = await auditedRequests(cluster, from, to);
  const ours = (user: string) => user === OPERATOR_USER || user === DNS_USER;
  const isRenewal = (r: (typeof requests)[number]) =>
    r.user === OPERATOR_USER && r.resource === 'leases' && r.verb === 'update';
  const writes = requests.filter((r) => WRITE_VERBS.has(r.verb));
  const renewals = writes.filter(isRenewal).length;
  const other = writes.filter((r) => ours(r.user) && !isRenewal(r));
  const theirs = writes.filter((r) => !ours(r.user));
  const describe = (list: typeof requests) => {
    const counts = new Map<string, number>();
    for (const r of list) {
      const key = `${who(r.user)} ${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.name ? ` ${r.name}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, n]) => `${key} × ${n}`).join(', ');
  };
  const lines = [
    head,
    `${clusterText(cluster)}. Operator with \`--leader-elect\` (lease renewals every 2 s), two DNS pods (\`serve --kube --workers 0\`). ` +
      `5 GeoEndpoints (Service targets, one Service whose Pod is not ready, address targets probed over HTTP every 1 s), the DNS Service's Pods naming both DNS pods (the operator asks them for the serial every 5 s). ` +
      `Counted for ${seconds.toFixed(1)} s after everything had settled (+${SETTLE} s): every request the audit log records as received in that time, read ${AFTER} s later (a watch is recorded when it ends: the DNS pods' end after 20–28 s, the operator's informers' when client-node's 30 s inactivity timeout aborts a quiet one), by who sent it.`,
    '',
    `- **writes by the operator and the DNS pods other than lease renewals: ${other.length}** ${other.length === 0 ? '(target met)' : '(**target missed**)'}` +
      (other.length ? `: ${describe(other)}` : ''),
    `- lease renewals (operator \`update leases\`): ${renewals} (${(renewals / seconds).toFixed(2)}/s)`,
    `- writes by the control plane's own clients: ${theirs.length}${theirs.length ? ` (${describe(theirs)})` : ''}`,
    `- etcd revisions meanwhile (every write stored): ${revision1 - revision0}`,
    `- all requests: ${requests.length} (${(requests.length / seconds).toFixed(2)}/s); the operator's ${countRequests(requests, { user: OPERATOR_USER })}, the DNS pods' ${countRequests(requests, { user: DNS_USER })}`,
    '',
    '| who | verb | resource | requests |',
    '|---|---|---|---:|',
    ...requestRows(requests),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  await stopChildren();
  await cluster.stop();
  for (const server of servers) server.close();
}
