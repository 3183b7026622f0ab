// Health per address family with a prober that really lacks the route (docs/probes.md, "Address families"): the
// prober runs inside a network namespace this test creates, with an IPv4 target served there on its own loopback
// and IPv6 addresses (2001:db8::/32) the namespace has no route to, checked first; the connects fail in the
// namespace's own routing, so nothing is ever sent. The IPv4 addresses are Up, the IPv6 ones Unknown (not Down), and
// AAAA answers stay routed by location. Two namespaces: one with IPv6 disabled (EADDRNOTAVAIL), where `geodns serve
// --resources` runs its in-process prober and answers dig; one with IPv6 on but no route to it (ENETUNREACH), where
// `geodns operator` runs against the real control plane and writes status, the health ConfigMap and metrics.
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDocuments, HEALTH_CONFIGMAP, HEALTH_KEY } from '../../../api/configmaps.ts';
import type { HealthTable } from '../../../api/health.ts';
import { PodHost } from '../../../tools/control-plane/pod-host.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { CLI, GeodnsProcess, REPO_ROOT, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const run = promisify(execFile);
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const PORT = 8080;

/** Why this suite cannot run here, if it cannot: network namespaces need root and iproute2. */
function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root (.ci/run runs as root)';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `\`ip netns\` is unavailable: ${probe.error?.message ?? probe.stderr}`;
  return undefined;
}
const SKIP = unavailable();

/** Fails unless the namespace has no route to `address` (so a connect to it fails before anything is sent). */
async function expectNoRoute(host: PodHost, address: string): Promise<void> {
  const routes = await run('ip', ['-n', host.name, '-6', 'route', 'show', 'table', 'all']).catch(() => ({
    stdout: '',
  }));
  expect(routes.stdout).not.toMatch(/^default|^2000::\/3|^2001:db8/m);
  const lookup = await run('ip', ['-n', host.name, '-6', 'route', 'get', address]).then(
    () => 'routed',
    (error: Error & { stderr?: string }) => error.stderr ?? error.message,
  );
  expect(lookup).not.toBe('routed');
}

/** HTTP servers answering 200 on each of `addresses`:PORT, inside the namespace; resolves once they listen. */
async function serveInside(host: PodHost, addresses: string[]): Promise<ChildProcess> {
  const script = `
    const http = require('node:http');
    let left = ${addresses.length};
    for (const address of ${JSON.stringify(addresses)}) {
      http.createServer((req, res) => res.end('ok')).listen(${PORT}, address, () => {
        if (--left === 0) console.log('listening');
      });
    }`;
  const child = host.spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the target servers exited (${code})`)));
  });
  return child;
}

const probeSpec = { type: 'HTTP', port: PORT, interval: '1s', timeout: '500ms', failureThreshold: 2 };

/** eu and us served on the namespace's loopback, ap's IPv4 address refusing; each with an unroutable IPv6. */
const targets = [
  { name: 'eu', addresses: ['127.0.0.1', '2001:db8::1'], location: { continent: 'EU', country: 'DE' } },
  { name: 'us', addresses: ['127.0.0.2', '2001:db8::2'], location: { continent: 'NA', country: 'US' } },
  { name: 'ap', addresses: ['127.0.0.3', '2001:db8::3'], location: { continent: 'AS', country: 'JP' } },
].map((t) => ({ ...t, healthProbeRef: { name: 'http' } }));

const networks = [
  { cidr: '10.1.0.0/16', location: { continent: 'EU', country: 'DE' } },
  { cidr: '10.2.0.0/16', location: { continent: 'NA', country: 'US' } },
  { cidr: '10.3.0.0/16', location: { continent: 'AS', country: 'JP' } },
];

const hosts: PodHost[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const host of hosts) await host.remove();
}, 30_000);

async function podHost(options: { ipv6: boolean }): Promise<PodHost> {
  const host = await PodHost.create();
  hosts.push(host);
  if (!options.ipv6) await run('ip', ['netns', 'exec', host.name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
  for (const address of ['2001:db8::1', '2001:db8::2', '2001:db8::3']) await expectNoRoute(host, address);
  children.push(await serveInside(host, ['127.0.0.1', '127.0.0.2']));
  return host;
}

describe.skipIf(SKIP !== undefined)(
  SKIP === undefined ? 'a prober without a route to IPv6' : `a prober without a route to IPv6 (skipped: ${SKIP})`,
  { timeout: 120_000 },
  () => {
    describe('geodns serve --resources, inside a namespace with IPv6 disabled', () => {
      let dir: TempDir;
      let server: ServeProcess;

      beforeAll(async () => {
        const host = await podHost({ ipv6: false });
        dir = await tempDir('family');
        const documents = [
          geoZone({ networks }),
          geoEndpoint('www', { ttl: 30, targets }),
          {
            apiVersion: 'geodns.io/v1alpha1',
            kind: 'HealthProbe',
            metadata: { name: 'http', namespace: 'web' },
            spec: probeSpec,
          },
        ];
        await writeFile(path.join(dir.dir, 'all.yaml'), documents.map((d) => JSON.stringify(d)).join('\n---\n'));
        server = await startServe(['--resources', dir.dir, '--log-level', 'info'], {
          listen: [`${host.address}:0`],
          spawn: (command, args, options) => host.spawn(command, args, options),
        });
        children.push(server.child);
      }, 60_000);

      afterAll(async () => {
        await server?.stop();
        await dir?.remove();
      });

      it('keeps the IPv4 verdicts, calls IPv6 Unknown, and answers AAAA by location', async () => {
        // ap's IPv4 address refuses: Down after two failures, and its IPv6 address goes with it.
        await server.waitForLog((l) => l.address === '127.0.0.3' && l.to === 'Down', 'ap down', 20_000);
        await server.waitForLog((l) => l.address === '127.0.0.1' && l.to === 'Up', 'eu up', 20_000);
        const unknown = await server.waitForLog((l) => l.address === '2001:db8::1' && l.noRoute === true, 'no route');
        expect(unknown).toMatchObject({ to: 'Unknown', error: expect.stringContaining('EADDRNOTAVAIL') });
        // Many probe intervals later no IPv6 address was ever called Down.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect(server.logs.filter((l) => String(l.address).includes(':') && l.to === 'Down')).toEqual([]);

        const aaaa = async (subnet: string) => {
          const answer = await server.dig(['www.geo.example.com', 'AAAA', `+subnet=${subnet}`]);
          return { addresses: answer.answer.map((r) => r.data).sort(), scope: answer.ecs?.scope };
        };
        expect(await aaaa('10.1.0.0/24')).toEqual({ addresses: ['2001:db8::1'], scope: 16 });
        expect(await aaaa('10.2.0.0/24')).toEqual({ addresses: ['2001:db8::2'], scope: 16 });
        // ap is down by its IPv4 verdict: Japan gets a healthy target, never ap's IPv6 address.
        const japan = await aaaa('10.3.0.0/24');
        expect(japan.addresses).toHaveLength(1);
        expect(japan.addresses).not.toContain('2001:db8::3');
        const a = await server.dig(['www.geo.example.com', 'A', '+subnet=10.1.0.0/24']);
        expect(a.answer.map((r) => r.data)).toEqual(['127.0.0.1']);
      });
    });

    describe('geodns operator against the real control plane, inside a namespace with no IPv6 route', () => {
      let cluster: Cluster;
      let operator: GeodnsProcess;
      let host: PodHost;
      const metricsPort = 9464;

      beforeAll(async () => {
        cluster = await startCluster({ name: 'geodns-family-health-test' });
        host = await podHost({ ipv6: true });
        const port = await host.forward(cluster.plane.apiPort);
        const kubeconfig = await cluster.plane.serviceAccountKubeconfig(
          SYSTEM_NAMESPACE,
          'geodns-operator',
          path.join(cluster.plane.dir, 'family-operator.kubeconfig'),
          { server: `https://${host.gateway}:${port}` },
        );
        operator = new GeodnsProcess(
          host.spawn(
            process.execPath,
            [
              CLI,
              'operator',
              '--kubeconfig',
              kubeconfig,
              '--namespace',
              SYSTEM_NAMESPACE,
              '--metrics',
              `${host.address}:${metricsPort}`,
              '--log-level',
              'info',
            ],
            { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
          ),
        );
        children.push(operator.child);
        await operator.waitForLog((l) => l.msg === 'caches synced', 'caches synced', 30_000);
      }, 120_000);

      afterAll(async () => {
        await operator?.stop();
        await cluster?.stop();
      }, 60_000);

      it('shows IPv4 Up and IPv6 Unknown in status and metrics, with HealthProbes Ready, and routes AAAA by location', async () => {
        const custom = cluster.admin.makeApiClient(CustomObjectsApi);
        const core = cluster.admin.makeApiClient(CoreV1Api);
        await custom.createClusterCustomObject({ ...GROUP, plural: 'geozones', body: geoZone({ networks }) });
        for (const [name, spec] of [
          ['http', probeSpec],
          ['idle', { type: 'TCP', port: 9 }],
        ] as const) {
          await custom.createNamespacedCustomObject({
            ...GROUP,
            namespace: 'web',
            plural: 'healthprobes',
            body: { apiVersion: 'geodns.io/v1alpha1', kind: 'HealthProbe', metadata: { name }, spec },
          });
        }
        await custom.createNamespacedCustomObject({
          ...GROUP,
          namespace: 'web',
          plural: 'geoendpoints',
          body: geoEndpoint('www', { ttl: 30, targets }),
        });

        type ProbeStatus = {
          addresses?: { address: string; state: string; lastError?: string }[];
          families?: { family: string; reachable: string; up: number; unknown: number }[];
          conditions?: { type: string; status: string; reason: string; message: string }[];
        };
        const probeStatus = async (): Promise<ProbeStatus> => {
          const object = (await custom.getNamespacedCustomObject({
            ...GROUP,
            namespace: 'web',
            plural: 'healthprobes',
            name: 'http',
          })) as { status?: ProbeStatus };
          return object.status ?? {};
        };
        const states = (status: ProbeStatus) =>
          Object.fromEntries((status.addresses ?? []).map((a) => [a.address, a.state]));
        const status = await until('IPv4 judged and IPv6 Unknown for want of a route', probeStatus, {
          accept: (s) => {
            const by = states(s);
            return (
              by['127.0.0.1'] === 'Up' &&
              by['127.0.0.3'] === 'Down' &&
              s.families?.some((f) => f.family === 'IPv6' && f.reachable === 'False') === true
            );
          },
          timeoutMs: 30_000,
        });
        expect(states(status)).toEqual({
          '127.0.0.1': 'Up',
          '127.0.0.2': 'Up',
          '127.0.0.3': 'Down',
          '2001:db8::1': 'Unknown',
          '2001:db8::2': 'Unknown',
          '2001:db8::3': 'Unknown',
        });
        expect(status.addresses?.find((a) => a.address === '2001:db8::1')?.lastError).toContain('ENETUNREACH');
        expect(status.families).toEqual([
          expect.objectContaining({ family: 'IPv4', reachable: 'True', up: 2, unknown: 0 }),
          expect.objectContaining({ family: 'IPv6', reachable: 'False', up: 0, unknown: 3 }),
        ]);
        expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
          status: 'True',
          reason: 'Probing',
          message: expect.stringContaining('the prober has no route to IPv6'),
        });

        // kubectl get shows the READY column: True for the probe in use, False (NoTargets) for the idle one.
        const table = await until(
          'the READY column of both probes',
          async () => (await cluster.plane.kubectl(['get', 'healthprobes', '-n', 'web'])).stdout,
          { accept: (text) => /^idle\s.*\sFalse\s/m.test(text) && /^http\s.*\sTrue\s/m.test(text) },
        );
        expect(table.split('\n')[0]).toMatch(/\bREADY\b/);
        const idle = await cluster.plane.kubectl([
          'get',
          'healthprobe',
          'idle',
          '-n',
          'web',
          '-o',
          "jsonpath={.status.conditions[?(@.type=='Ready')].reason}",
        ]);
        expect(idle.stdout).toBe('NoTargets');

        // The health the DNS pods read: eu and us up with no address left out, ap down with its IPv4 address.
        const health = await until(
          'the published health table',
          async () => {
            const cm = await core.readNamespacedConfigMap({ namespace: SYSTEM_NAMESPACE, name: HEALTH_CONFIGMAP });
            const text = decodeDocuments({ data: cm.data, binaryData: cm.binaryData }).documents.get(HEALTH_KEY);
            return text ? (JSON.parse(text) as HealthTable) : undefined;
          },
          { accept: (t) => t?.targets['web/www/ap']?.up === false },
        );
        expect(health?.targets['web/www/eu']).toEqual({ up: true, since: expect.any(String) });
        expect(health?.targets['web/www/us']).toEqual({ up: true, since: expect.any(String) });
        expect(health?.targets['web/www/ap']).toMatchObject({ up: false, downAddresses: ['127.0.0.3'] });

        // The GeoEndpoint says which family was not probed and what its targets follow.
        const ready = await until(
          'the GeoEndpoint note',
          async () => {
            const object = (await custom.getNamespacedCustomObject({
              ...GROUP,
              namespace: 'web',
              plural: 'geoendpoints',
              name: 'www',
            })) as { status?: ProbeStatus };
            return object.status?.conditions?.find((c) => c.type === 'Ready');
          },
          { accept: (c) => c?.message.includes('IPv6 not probed') === true },
        );
        expect(ready).toMatchObject({ status: 'True', message: expect.stringMatching(/^2\/3 served target/) });

        // Metrics: the prober reaches IPv4 and not IPv6; no-route results are counted apart from failures.
        const metrics = await (await fetch(`http://${host.address}:${metricsPort}/metrics`)).text();
        expect(metrics).toMatch(/^geodns_operator_probe_family_reachable\{family="IPv4"\} 1$/m);
        expect(metrics).toMatch(/^geodns_operator_probe_family_reachable\{family="IPv6"\} 0$/m);
        expect(metrics).toMatch(/^geodns_operator_probe_results_total\{result="no_route"\} [1-9]/m);

        // AAAA from the published zone and health, as a DNS pod answers it: by location, with the ECS scope.
        for (const [subnet, expected] of [
          ['10.1.0.0/24', '2001:db8::1'],
          ['10.2.0.0/24', '2001:db8::2'],
        ] as const) {
          const route = await runCli(
            [
              'route',
              '--kube',
              '--kubeconfig',
              cluster.dnsKubeconfig,
              '--namespace',
              SYSTEM_NAMESPACE,
              '--name',
              'www.geo.example.com',
              '--type',
              'AAAA',
              '--subnet',
              subnet,
            ],
            {},
          );
          expect(route.code, route.stderr).toBe(0);
          expect(route.stdout).toContain(`answer: ${expected}, ECS scope /16`);
        }
      });
    });
  },
);
