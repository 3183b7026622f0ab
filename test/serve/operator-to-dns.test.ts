// The whole cluster path, as in a cluster: resources applied → `geodns operator` writes the zone and health
// ConfigMaps → `geodns serve --kube` reads them → dig gets the answer. Both run as processes with their own
// service accounts, bound to exactly deploy/rbac/*.yaml, against the API test server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geoEndpoint, until, yamlObjects } from '../apiserver/harness.ts';
import type { ApiServer } from '../apiserver/server.ts';
import { ADMIN_TOKEN, DNS_TOKEN, OPERATOR_NAMESPACE, OPERATOR_TOKEN, startCluster } from '../operator/cluster.ts';
import { CLI, REPO_ROOT, pollUntil, startServe, tempDir, type ServeProcess } from './harness.ts';

const G = { group: 'geodns.io', version: 'v1alpha1' };

let api: ApiServer;
let operator: ChildProcess | undefined;
let dns: ServeProcess | undefined;
let remove: () => Promise<void>;
let custom: CustomObjectsApi;

beforeAll(async () => {
  const temp = await tempDir('operator-to-dns');
  remove = temp.remove;
  api = await startCluster();
  const admin = new KubeConfig();
  admin.loadFromString(api.kubeconfig(ADMIN_TOKEN));
  custom = admin.makeApiClient(CustomObjectsApi);
  // startCluster() has the namespace web already.
  for (const object of yamlObjects('examples/cluster/zone.yaml')) api.seed(object);

  const operatorKubeconfig = path.join(temp.dir, 'operator');
  const dnsKubeconfig = path.join(temp.dir, 'dns');
  await writeFile(operatorKubeconfig, api.kubeconfig(OPERATOR_TOKEN));
  await writeFile(dnsKubeconfig, api.kubeconfig(DNS_TOKEN));
  operator = spawn(process.execPath, [CLI, 'operator', '--namespace', OPERATOR_NAMESPACE, '--metrics', '127.0.0.1:0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, KUBECONFIG: operatorKubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: operator.stdout! }).on('line', (line) => lines.push(line));
  await until('the operator synced', () => lines.some((l) => l.includes('"caches synced"')), 20_000);
  dns = await startServe(['--kube', '--kubeconfig', dnsKubeconfig, '--namespace', OPERATOR_NAMESPACE]);
});

afterAll(async () => {
  await dns?.stop();
  if (operator && operator.exitCode === null && operator.signalCode === null) {
    const exited = once(operator, 'exit');
    operator.kill('SIGTERM');
    const timer = setTimeout(() => operator?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await api?.close();
  await remove?.();
});

describe('operator → ConfigMaps → geodns serve --kube', () => {
  it('answers what was applied, with the serial the operator published, and follows a change', async () => {
    const served = async () => Number((await dns!.dig(['geo.example.com', 'SOA'])).answer[0]?.data.split(' ')[2]);
    const inStep = async () => [await served(), await serial()] as const;
    await pollUntil(inStep, ([soa, status]) => soa > 0 && soa === status, 'the published serial served');
    expect(await dns!.addresses('mail.geo.example.com')).toEqual(['192.0.2.25']);

    const before = await serial();
    await custom.createNamespacedCustomObject({
      ...G,
      plural: 'geoendpoints',
      namespace: 'web',
      body: geoEndpoint('app'),
    });
    await pollUntil(
      () => dns!.addresses('app.geo.example.com'),
      (a) => a.join() === '192.0.2.1',
      'the new name',
    );
    await pollUntil(inStep, ([soa, status]) => soa === status && soa > (before ?? 0), 'the new serial served');
  });
});

async function serial(): Promise<number | undefined> {
  const zone = (await custom.getClusterCustomObject({ ...G, plural: 'geozones', name: 'geo-example' })) as {
    status?: { serial?: number };
  };
  return zone.status?.serial;
}
