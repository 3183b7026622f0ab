// Idle for 60 s with nothing changing: every request the API test server receives, by user, verb and resource.
// Target (issue 12): zero writes other than the lease renewals (`update leases` every retry period, 2 s).
// The cluster: the zone, 5 GeoEndpoints (Service targets with ready EndpointSlices, and address targets checked by
// an HTTP HealthProbe every 1 s against node:http servers on 127.0.0.21-23), the DNS Service with two DNS pods
// (so the operator's serving check runs every 5 s), the operator with --leader-elect. The count starts once
// everything is Ready and the GeoZone says both pods serve its serial, plus SETTLE seconds.
//   node bench/operator/idle.ts        (DURATION=60, SETTLE=10)
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWrite } from '../../test/apiserver/requests.ts';
import type { KubeObject } from '../../test/apiserver/types.ts';
import {
  benchEndpoint,
  APP_NS,
  benchZone,
  condition,
  DnsClient,
  dnsServiceObjects,
  envNumber,
  freePort,
  header,
  OPERATOR_USER,
  say,
  seedAll,
  serviceObjects,
  startBenchCluster,
  startDnsPod,
  startOperator,
  stopChildren,
  waitForAnswers,
} from './lib.ts';

const DURATION = envNumber('DURATION', 60);
const SETTLE = envNumber('SETTLE', 10);
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
  ...serviceObjects('a', '192.0.2.1', true),
  ...serviceObjects('b', '192.0.2.2', true),
  ...serviceObjects('c', '192.0.2.3', false),
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

const command = `${DURATION !== 60 ? `DURATION=${DURATION} ` : ''}node bench/operator/idle.ts`;
const head = header('bench/operator/idle.ts', command);
const cluster = await startBenchCluster('idle');
const dnsPort = await freePort();
const hosts = ['127.0.0.2', '127.0.0.3'];
seedAll(cluster.server, [...dnsServiceObjects(hosts, dnsPort), benchZone(), ...objects]);
try {
  await startOperator(cluster.operatorKubeconfig, ['--leader-elect']);
  const pods = await Promise.all(hosts.map((h) => startDnsPod(cluster.dnsKubeconfig, h, dnsPort)));
  const dns = await DnsClient.open();
  await waitForAnswers(dns, pods, 'www.bench.example', ['192.0.2.1'], performance.now(), 60_000, 50);
  dns.close();
  // Settled: every resource Ready (the one without ready endpoints: Ready=False), the zone served by both pods.
  for (;;) {
    const zone = cluster.server.store.get('geodns.io/geozones', undefined, 'bench');
    const serving = (zone?.status as { serving?: string } | undefined)?.serving;
    const endpoints = cluster.server.store.list('geodns.io/geoendpoints');
    if (serving === '2/2' && endpoints.every((e) => condition(e, 'Ready').status !== undefined)) break;
    await sleep(200);
  }
  say(`settled; waiting ${SETTLE} s more, then counting for ${DURATION} s`);
  await sleep(SETTLE * 1000);
  const before = cluster.server.store.currentRevision;
  cluster.server.requests.reset();
  const t0 = performance.now();
  await sleep(DURATION * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const entries = cluster.server.requests.entries();
  const total = cluster.server.requests.total;
  const writes = entries.filter((e) => isWrite(e.verb));
  const renewals = writes
    .filter((e) => e.resource === 'leases' && e.verb === 'update' && e.user === OPERATOR_USER)
    .reduce((sum, e) => sum + e.count, 0);
  const other = writes.filter((e) => !(e.resource === 'leases' && e.verb === 'update' && e.user === OPERATOR_USER));
  const stored = cluster.server.store.currentRevision - before;
  const who = (user: string) =>
    user === OPERATOR_USER ? 'operator' : user.endsWith(':geodns-dns') ? 'DNS pods' : user;
  const rows = entries
    .sort((a, b) => who(a.user).localeCompare(who(b.user)) || a.verb.localeCompare(b.verb) || b.count - a.count)
    .map(
      (e) =>
        `| ${who(e.user)} | ${e.verb} | ${e.group ? `${e.group}/` : ''}${e.resource}${e.subresource ? `/${e.subresource}` : ''} | ${e.count} |`,
    );
  const lines = [
    head,
    `Operator with \`--leader-elect\` (lease renewals every 2 s), two DNS pods (\`serve --kube --workers 0\`), API test server in the benchmark's process with RBAC on. ` +
      `5 GeoEndpoints (Service targets, one Service without ready endpoints, address targets probed over HTTP every 1 s), the DNS Service's EndpointSlice naming both pods (the operator asks them for the serial every 5 s). ` +
      `Counted for ${seconds.toFixed(1)} s after everything had settled (+${SETTLE} s); every request to a resource, by who sent it.`,
    '',
    `- **writes other than lease renewals: ${other.reduce((sum, e) => sum + e.count, 0)}** ${other.length === 0 ? '(target met)' : '(**target missed**)'}` +
      (other.length
        ? `: ${other.map((e) => `${who(e.user)} ${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ''} × ${e.count}`).join(', ')}`
        : ''),
    `- lease renewals (operator \`update leases\`): ${renewals} (${(renewals / seconds).toFixed(2)}/s)`,
    `- objects stored meanwhile (resourceVersions the store handed out): ${stored}`,
    `- all HTTP requests: ${total} (${(total / seconds).toFixed(2)}/s), of which to resources ${entries.reduce((s, e) => s + e.count, 0)}`,
    '',
    '| who | verb | resource | requests |',
    '|---|---|---|---:|',
    ...rows,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  say('stopping');
  await stopChildren();
  await cluster.server.close();
  for (const server of servers) server.close();
}
