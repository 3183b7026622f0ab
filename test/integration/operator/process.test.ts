// `geodns operator` as a user starts it: a separate process with its ServiceAccount's kubeconfig, against the real
// kube-apiserver. Resources applied with the real kubectl become a zone ConfigMap; /readyz says ready once the caches
// synced; SIGTERM stops it cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zoneConfigMapName } from '../../../api/configmaps.ts';
import { until } from '../../support/until.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { spawnGeodns, type GeodnsProcess } from '../../support/serve.ts';

const NS = SYSTEM_NAMESPACE;

let cluster: Cluster;
let operator: GeodnsProcess | undefined;

/** The real kubectl as the administrator. */
const kubectl = (...args: string[]) => cluster.plane.kubectl(args, { timeoutMs: 20_000 });

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-process-test' });
}, 120_000);

afterAll(async () => {
  await operator?.signal('SIGKILL');
  await cluster?.stop();
});

describe('geodns operator (a process)', () => {
  // The cluster starts without any GeoZone: the operator waits for one instead of giving up.
  it('publishes what kubectl applies, is ready once synced, and stops on SIGTERM', async () => {
    operator = spawnGeodns(['operator', '--namespace', NS, '--metrics', '127.0.0.1:0', '--log-level', 'info'], {
      env: { ...process.env, KUBECONFIG: cluster.operatorKubeconfig },
    });
    const lines = operator.logs;
    const started = await until('the starting line', () => lines.find((l) => l.msg === 'starting'));
    const metrics = String(started.metrics);
    await until('the caches synced', () => lines.some((l) => l.msg === 'caches synced'));
    const ready = await fetch(`http://${metrics}/readyz`);
    expect(ready.status).toBe(200);

    await kubectl('apply', '-f', 'examples/cluster/00-namespace.yaml', '-f', 'examples/cluster/zone.yaml');
    await kubectl('apply', '-f', 'examples/cluster/endpoints.yaml', '-f', 'examples/cluster/probes.yaml');
    const name = zoneConfigMapName('geo-example');
    const out = await until('the zone ConfigMap', async () => {
      const { stdout } = await kubectl('get', 'configmap', '-n', NS, name, '-o', 'json').catch(() => ({ stdout: '' }));
      return stdout ? (JSON.parse(stdout) as { metadata: { annotations: Record<string, string> } }) : undefined;
    });
    expect(out.metadata.annotations['geodns.io/zone']).toBe('geo.example.com');
    const { stdout: table } = await kubectl('get', 'ge', '-n', 'web', 'api');
    expect(table).toMatch(/^NAME\s+ZONE\s+HOSTNAME\s+POLICY\s+HEALTHY\s+READY\s+AGE/);
    const metricsText = await (await fetch(`http://${metrics}/metrics`)).text();
    expect(metricsText).toMatch(/^geodns_operator_caches_synced 1$/m);
    expect(metricsText).toMatch(/^geodns_operator_reconciles_total\{result="ok"\} [1-9]\d*$/m);
    expect(metricsText).toMatch(/^geodns_operator_reconcile_duration_seconds_count [1-9]\d*$/m);
    expect(metricsText).toMatch(/^geodns_operator_writes_total\{kind="zone_configmap",verb="create"\} 1$/m);

    const { code } = await operator.signal('SIGTERM');
    expect(code).toBe(0);
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
