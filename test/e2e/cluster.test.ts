// End to end in one run, as in a cluster: the API test server (RBAC on, each process bound to its documented
// rules), `geodns operator` and `geodns serve --kube` as separate processes started with their kubeconfigs, real
// HTTP and TCP targets on loopback, kubectl applying examples/cluster, dig asking the DNS server.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zoneConfigMapName } from '../../api/configmaps.ts';
import { geoEndpoint, until, yamlObjects } from '../apiserver/harness.ts';
import type { ApiServer } from '../apiserver/server.ts';
import { ADMIN_TOKEN, DNS_TOKEN, OPERATOR_NAMESPACE, OPERATOR_TOKEN, startCluster } from '../operator/cluster.ts';
import { CLI, REPO_ROOT, startServe, tempDir, type ServeProcess } from '../serve/harness.ts';

const run = promisify(execFile);
const NS = OPERATOR_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };

let api: ApiServer;
let dir: string;
let removeDir: () => Promise<void>;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let discovery: DiscoveryV1Api;
let dns: ServeProcess;
let operator: { child: ChildProcess; lines: Record<string, unknown>[] };
let primary: http.Server;
let standby: net.Server;
let primaryPort: number;
let standbyPort: number;

/** Each Service of examples/cluster gets a load-balancer address on loopback, 127.0.1.N in file order. */
const serviceNames = yamlObjects('examples/cluster/services.yaml').map((s) => s.metadata?.name ?? '');
const addressOf = (service: string): string => `127.0.1.${serviceNames.indexOf(service) + 1}`;

function kubectl(...args: string[]) {
  return run('kubectl', ['--kubeconfig', `${dir}/admin`, '--cache-dir', `${dir}/cache`, ...args], {
    cwd: REPO_ROOT,
    timeout: 20_000,
  });
}

function startOperator(): { child: ChildProcess; lines: Record<string, unknown>[] } {
  const args = [CLI, 'operator', '--kubeconfig', `${dir}/operator`, '--namespace', NS, '--metrics', 'off'];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  return { child, lines };
}

async function stopOperator(): Promise<void> {
  if (operator.child.exitCode !== null) return;
  operator.child.kill('SIGTERM');
  await once(operator.child, 'exit');
}

async function setReady(service: string, ready: boolean): Promise<void> {
  const name = `${service}-slice`;
  const body = {
    metadata: { name, namespace: 'web', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.1'], conditions: { ready } }],
  };
  try {
    const current = await discovery.readNamespacedEndpointSlice({ namespace: 'web', name });
    await discovery.replaceNamespacedEndpointSlice({
      namespace: 'web',
      name,
      body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } },
    });
  } catch {
    await discovery.createNamespacedEndpointSlice({ namespace: 'web', body });
  }
}

const answers = (name: string, ...extra: string[]) => dns.addresses(name, extra);
async function status(name: string): Promise<string | undefined> {
  return (await dns.dig([name, 'A'])).status;
}

async function condition(plural: string, name: string, type: string, namespace?: string) {
  const object = (
    namespace
      ? await custom.getNamespacedCustomObject({ ...GROUP, namespace, plural, name })
      : await custom.getClusterCustomObject({ ...GROUP, plural, name })
  ) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return object.status?.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('e2e'));
  api = await startCluster();
  await api.writeKubeconfig(`${dir}/admin`); // kubectl: the anonymous administrator
  await api.writeKubeconfig(`${dir}/operator`, OPERATOR_TOKEN);
  await api.writeKubeconfig(`${dir}/dns`, DNS_TOKEN);
  const config = new KubeConfig();
  config.loadFromString(api.kubeconfig(ADMIN_TOKEN));
  core = config.makeApiClient(CoreV1Api);
  custom = config.makeApiClient(CustomObjectsApi);
  discovery = config.makeApiClient(DiscoveryV1Api);

  // The probed targets of api.geo.example.com: an HTTP server for the primary, a TCP one for the standby.
  primary = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => primary.listen(0, addressOf('api-primary'), resolve));
  primaryPort = (primary.address() as net.AddressInfo).port;
  standby = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => standby.listen(0, addressOf('api-standby'), resolve));
  standbyPort = (standby.address() as net.AddressInfo).port;

  dns = await startServe(['--kube', '--kubeconfig', `${dir}/dns`, '--namespace', NS, '--kube-wait', '2']);
  operator = startOperator();
}, 60_000);

afterAll(async () => {
  if (operator && operator.child.exitCode === null) {
    operator.child.kill('SIGKILL');
    await once(operator.child, 'exit');
  }
  await dns?.stop();
  primary?.closeAllConnections();
  await new Promise((resolve) => primary?.close(resolve));
  await new Promise((resolve) => standby?.close(resolve));
  await api?.close();
  await removeDir?.();
});

describe('the operator and the DNS server in a cluster', { timeout: 90_000 }, () => {
  it('serves examples/cluster as kubectl applies it', async () => {
    await kubectl('apply', '-f', 'examples/cluster/');
    for (const name of serviceNames) {
      const service = await core.readNamespacedService({ namespace: 'web', name });
      service.status = { loadBalancer: { ingress: [{ ip: addressOf(name) }] } };
      await core.replaceNamespacedServiceStatus({ namespace: 'web', name, body: service });
      await setReady(name, true);
    }
    // The probes check the loopback servers this test runs, every second.
    await kubectl(
      'patch',
      'hp',
      '-n',
      'web',
      'api-http',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: { port: primaryPort, interval: '1s', timeout: '500ms', failureThreshold: 2 },
      }),
    );
    await kubectl(
      'patch',
      'hp',
      '-n',
      'web',
      'api-tcp',
      '--type',
      'merge',
      '-p',
      JSON.stringify({
        spec: { port: standbyPort, interval: '1s', timeout: '500ms', failureThreshold: 2 },
      }),
    );
    // A client in Frankfurt's network (a custom network of the zone) gets the Frankfurt target.
    await pollUntil(
      async () => (await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).join(),
      addressOf('www-eu-frankfurt'),
    );
    expect(await answers('api.geo.example.com')).toEqual([addressOf('api-primary')]);
    const { stdout } = await kubectl('get', 'ge', '-n', 'web');
    expect(stdout).toMatch(/^www\s+geo-example\s+www\.geo\.example\.com\s+geo\s+6\/6\s+True\s/m);
  });

  it('fails over when a Service loses its ready endpoints, and back', async () => {
    await setReady('www-eu-frankfurt', false);
    await pollUntil(
      async () => (await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).includes(addressOf('www-eu-frankfurt')),
      false,
    );
    await until('Ready=False NoReadyEndpoints? no: other targets are up', async () => {
      const { stdout } = await kubectl('get', 'ge', '-n', 'web', 'www');
      return /5\/6/.test(stdout) ? stdout : undefined;
    });
    await setReady('www-eu-frankfurt', true);
    await pollUntil(
      async () => (await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).join(),
      addressOf('www-eu-frankfurt'),
    );
  });

  it('fails over when a probed target stops answering, after the thresholds', async () => {
    primary.closeAllConnections();
    await new Promise((resolve) => primary.close(resolve));
    await pollUntil(async () => (await answers('api.geo.example.com')).join(), addressOf('api-standby'), 15_000);
    type Probe = { status?: { addresses?: { address: string; state: string; lastError?: string }[] } };
    await until(
      'the HealthProbe status says Down',
      async () => {
        const object = (await custom.getNamespacedCustomObject({
          ...GROUP,
          namespace: 'web',
          plural: 'healthprobes',
          name: 'api-http',
        })) as Probe;
        const entry = object.status?.addresses?.find((a) => a.address === addressOf('api-primary'));
        return entry?.state === 'Down' ? entry : undefined;
      },
      15_000,
    );
  });

  it('says how many DNS pods serve the published serial', async () => {
    // The DNS Service's endpoints: this test's one DNS server.
    await discovery.createNamespacedEndpointSlice({
      namespace: NS,
      body: {
        metadata: { name: 'geodns-dns-1', labels: { 'kubernetes.io/service-name': 'geodns-dns' } },
        addressType: 'IPv4',
        ports: [{ name: 'dns', port: dns.port, protocol: 'UDP' }],
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      },
    });
    await until(
      'Serving 1/1',
      async () => {
        const { stdout } = await kubectl('get', 'gz', 'geo-example');
        return /\s1\/1\s/.test(stdout) ? stdout : undefined;
      },
      15_000,
    );
  });

  it('keeps serving through an API outage of 30 s, and the operator catches up after', async () => {
    const before = await answers('www.geo.example.com', '+subnet=10.1.0.0/16');
    await api.goAway();
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      expect(await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).toEqual(before);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await api.comeBack();
    await setReady('www-eu-frankfurt', false);
    await pollUntil(
      async () => (await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).includes(addressOf('www-eu-frankfurt')),
      false,
      30_000,
    );
    await setReady('www-eu-frankfurt', true);
  });

  it('converges after dropped watches and expired history', async () => {
    api.dropWatches(true);
    api.expireHistory();
    await kubectl('delete', 'ge', '-n', 'web', 'canary');
    await pollUntil(() => status('canary.geo.example.com'), 'NXDOMAIN', 30_000);
  });

  it('leaves out a bad GeoEndpoint with its condition and keeps the rest', async () => {
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('broken', {
        targets: [{ name: 'a', service: { name: 'missing' }, location: {}, healthProbeRef: { name: 'nope' } }],
      }),
    });
    const refs = await until('ResolvedRefs=False', async () =>
      condition('geoendpoints', 'broken', 'ResolvedRefs', 'web'),
    );
    expect(refs).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(await status('broken.geo.example.com')).toBe('NXDOMAIN');
    expect(await answers('api.geo.example.com')).toEqual([addressOf('api-standby')]);
  });

  it('writes nothing and changes no answer when the operator restarts', async () => {
    await stopOperator();
    const versions = async () =>
      (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => c.metadata?.resourceVersion).sort();
    const before = await versions();
    const www = await answers('www.geo.example.com', '+subnet=10.1.0.0/16');
    operator = startOperator();
    await until('the new operator synced', () => operator.lines.some((l) => l.msg === 'caches synced'));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await versions()).toEqual(before);
    expect(await answers('www.geo.example.com', '+subnet=10.1.0.0/16')).toEqual(www);
  });

  it('takes a deleted GeoEndpoint away (NXDOMAIN), and a deleted GeoZone with its ConfigMap (REFUSED)', async () => {
    await kubectl('delete', 'ge', '-n', 'web', 'near');
    await pollUntil(() => status('near.geo.example.com'), 'NXDOMAIN');
    await kubectl('delete', 'gz', 'geo-example');
    await pollUntil(() => status('www.geo.example.com'), 'REFUSED');
    await until('the ConfigMap gone', async () => {
      const list = await core.listNamespacedConfigMap({ namespace: NS });
      return list.items.every((c) => c.metadata?.name !== zoneConfigMapName('geo-example')) ? true : undefined;
    });
  });
});

/** Polls `read` until it returns `want` (default 20 s). */
async function pollUntil<T>(read: () => Promise<T>, want: T, timeoutMs = 20_000): Promise<void> {
  let last: T | undefined;
  await until(
    `${JSON.stringify(want)} (last: ${JSON.stringify(last)})`,
    async () => {
      last = await read();
      return last === want ? true : undefined;
    },
    timeoutMs,
  );
}
