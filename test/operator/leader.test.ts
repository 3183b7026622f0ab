// Two `geodns operator --leader-elect` processes against the API test server: one leads and writes, the other
// stands by; when the leader is killed (no release) the standby takes over after the lease duration and writes
// resume. Short lease timings keep the test quick.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDocuments, zoneConfigMapName } from '../../api/configmaps.ts';
import type { CompiledZone } from '../../api/compiled.ts';
import { geoEndpoint, until, yamlObjects } from '../apiserver/harness.ts';
import { ADMIN_TOKEN, OPERATOR_NAMESPACE, OPERATOR_TOKEN, startCluster } from './cluster.ts';
import type { ApiServer } from '../apiserver/server.ts';
import { CLI, REPO_ROOT } from '../serve/harness.ts';

const NS = OPERATOR_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };

interface Operator {
  child: ChildProcess;
  lines: Record<string, unknown>[];
}

let server: ApiServer;
let dir: string;
let core: CoreV1Api;
let custom: CustomObjectsApi;
const operators: Operator[] = [];

beforeAll(async () => {
  server = await startCluster();
  for (const object of yamlObjects('examples/cluster/zone.yaml')) server.seed(object);
  dir = await mkdtemp(join(tmpdir(), 'geodns-leader-'));
  await server.writeKubeconfig(join(dir, 'kubeconfig'), OPERATOR_TOKEN);
  const config = new KubeConfig();
  config.loadFromString(server.kubeconfig(ADMIN_TOKEN));
  core = config.makeApiClient(CoreV1Api);
  custom = config.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  for (const { child } of operators) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function startOperator(): Operator {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'operator',
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--namespace',
      NS,
      '--metrics',
      'off',
      '--leader-elect',
      '--lease-duration',
      '1.5',
      '--renew-deadline',
      '1',
      '--retry-period',
      '0.2',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const operator: Operator = { child, lines: [] };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      operator.lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      operator.lines.push({ msg: line });
    }
  });
  operators.push(operator);
  return operator;
}

const leads = (o: Operator): boolean => o.lines.some((l) => l.msg === 'leading: publishing and probing');

async function applyEndpoint(name: string): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    body: geoEndpoint(name),
  });
}

async function routedNames(): Promise<string[]> {
  try {
    const cm = await core.readNamespacedConfigMap({ namespace: NS, name: zoneConfigMapName('geo-example') });
    const text = decodeDocuments({ data: cm.data, binaryData: cm.binaryData }).documents.get('geo.example.com.json');
    return text ? (JSON.parse(text) as CompiledZone).routed.map((r) => r.name) : [];
  } catch {
    return [];
  }
}

describe('geodns operator --leader-elect', () => {
  it('has one leader; a killed leader is replaced and writes resume', async () => {
    const a = startOperator();
    const b = startOperator();
    await applyEndpoint('www');
    const leader = await until('a leader', () => [a, b].find(leads));
    const standby = leader === a ? b : a;
    await until('the leader publishes', async () => (await routedNames()).includes('www.geo.example.com'));
    await until('the standby synced', () => standby.lines.some((l) => l.msg === 'caches synced'));
    expect(leads(standby)).toBe(false);

    leader.child.kill('SIGKILL'); // a crash: the Lease is not released
    await once(leader.child, 'exit');
    await applyEndpoint('api');
    await until('the standby leads', () => leads(standby), 15_000);
    await until(
      'the new leader publishes the change',
      async () => (await routedNames()).includes('api.geo.example.com'),
      15_000,
    );
    expect(standby.child.exitCode).toBeNull();
  });
});
