// The chart on a real cluster: the pinned helm and kubectl against the real kube-apiserver, etcd and
// kube-controller-manager of tools/control-plane (no kubelet: pods never run, so nothing waits for readiness; what
// is checked is what the server accepts and stores). The tests run in order on one control plane:
//   1. helm lint --strict;
//   2. deploy/kube-geodns.yaml applied with kubectl after crds/, as docs/install.md says (a helm install beside it
//      refused: one operator per cluster), and deleted again;
//   3. helm install with the default values: helm creates the CRDs from crds/, the server stores every object; a
//      second release in another namespace is refused, naming the first;
//   4. every toggle case of toggle-cases.ts sent to the server as a dry run with strict field validation;
//   5. helm uninstall of the default release leaves nothing behind but the CRDs, which helm keeps on purpose;
//   6. helm install with every toggle that creates objects (ServiceMonitor and PrometheusRule need the
//      prometheus-operator CRDs: scripts/kube/prometheus-operator-crds.sh generates them into a cache); its GeoZone
//      kept when geoZone.create is turned off and at uninstall (helm.sh/resource-policy: keep);
//   7. helm upgrade from the previous chart version (packaged from git history), with the CRDs left as they were
//      until the documented kubectl apply brings them up to date.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_MANIFESTS } from '../../../scripts/plain-manifests.ts';
import { startControlPlane, type ControlPlane } from '../../../tools/control-plane/control-plane.ts';
import { REPO_ROOT } from '../../support/serve.ts';
import { until } from '../../support/until.ts';
import { CHART, parseRendered, render, type K8sObject } from '../../support/helm-render.ts';
import { cases, zoneSpec } from '../../support/helm-cases.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);
const CHART_CRDS = path.join(CHART, 'crds');
const GEODNS_CRDS = ['geoendpoints.geodns.io', 'geozones.geodns.io', 'healthprobes.geodns.io'];
const MONITORING_KINDS = ['servicemonitors', 'prometheusrules'];

/** Every value that makes the chart create an object it does not create by default. */
const EVERY_OBJECT = {
  set: [
    'metrics.serviceMonitor.enabled=true',
    'metrics.prometheusRule.enabled=true',
    'metrics.grafanaDashboard.enabled=true',
    'networkPolicy.enabled=true',
    'geoZone.create=true',
    'geoZone.name=geo-example',
    'operator.peers.clusterName=us',
    'operator.peers.port=9155',
  ],
  setJson: [`geoZone.spec=${JSON.stringify(zoneSpec)}`],
};

const everyObjectFlags = () => [
  ...EVERY_OBJECT.set.flatMap((s) => ['--set', s]),
  ...EVERY_OBJECT.setJson.flatMap((s) => ['--set-json', s]),
];

let plane: ControlPlane;
let work: string;
let removeWork: (() => Promise<void>) | undefined;
let monitoringCrds: string;

beforeAll(async () => {
  // A cold cache generates the prometheus-operator CRDs (about a minute); a warm one answers at once.
  const [started, crds] = await Promise.all([
    // Dual-stack Services, as the toggle case for a dual-stack LoadBalancer needs (a single-stack cluster refuses
    // ipFamilies IPv6: "not configured on this cluster").
    startControlPlane({
      name: 'geodns-helm-test',
      apiServerArgs: ['--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112'],
    }),
    run('bash', ['scripts/kube/prometheus-operator-crds.sh'], { cwd: REPO_ROOT, timeout: 600_000 }),
  ]);
  plane = started;
  monitoringCrds = crds.stdout.trim();
  ({ dir: work, remove: removeWork } = await tempDir('helm'));
}, 660_000);

afterAll(async () => {
  await plane?.stop();
  await removeWork?.();
});

interface Stored extends K8sObject {
  metadata: K8sObject['metadata'] & { managedFields?: { manager: string; operation: string }[] };
}

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

async function kubectlJson<T>(args: string[], input?: string): Promise<T> {
  const { stdout } = await plane.kubectl([...args, '-o', 'json'], input === undefined ? {} : { input });
  return JSON.parse(stdout) as T;
}

/** The objects of `manifest` as the server stores them (with their field managers). */
async function storedOf(manifest: string): Promise<Stored[]> {
  return (await kubectlJson<{ items: Stored[] }>(['get', '-f', '-', '--show-managed-fields'], manifest)).items;
}

/**
 * Every object of `manifest` exists and holds every field as rendered: nothing pruned, renamed or rewritten by
 * the server (it may add defaults). Returns what it found.
 */
async function expectStoredAsRendered(manifest: string): Promise<Stored[]> {
  const { objects } = parseRendered(manifest);
  const stored = await storedOf(manifest);
  expect(stored.map(key).sort()).toEqual(objects.map(key).sort());
  for (const object of objects) {
    expect(
      stored.find((s) => key(s) === key(object)),
      key(object),
    ).toMatchObject(object);
  }
  return stored;
}

function managers(object: Stored): string[] {
  return (object.metadata.managedFields ?? []).map((m) => `${m.manager} ${m.operation}`);
}

/** The release's objects as helm applied them: its ownership marks and helm v4's server-side apply. */
async function expectRelease(release: string, namespace: string): Promise<K8sObject[]> {
  const { stdout: manifest } = await plane.helm(['get', 'manifest', release, '-n', namespace]);
  const stored = await expectStoredAsRendered(manifest);
  for (const object of stored) {
    expect(object.metadata.annotations, key(object)).toMatchObject({
      'meta.helm.sh/release-name': release,
      'meta.helm.sh/release-namespace': namespace,
    });
    expect(object.metadata.labels?.['app.kubernetes.io/instance'], key(object)).toBe(release);
    expect(managers(object), key(object)).toContain('helm Apply');
  }
  return stored;
}

async function listable(namespaced: boolean): Promise<string[]> {
  const { stdout } = await plane.kubectl(['api-resources', '--verbs=list', `--namespaced=${namespaced}`, '-o', 'name']);
  // Events record what happened to objects; they are not objects of a release and expire on their own.
  return stdout.split('\n').filter((t) => t !== '' && !/^events(\.events\.k8s\.io)?$/.test(t));
}

/** Every object in `namespace`, of every kind the server lists (Events aside). */
async function namespaceContents(namespace: string): Promise<string[]> {
  const list = await kubectlJson<{ items: K8sObject[] }>(['get', (await listable(true)).join(','), '-n', namespace]);
  return list.items.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** Every cluster-scoped object that carries the release's instance label. */
async function clusterObjectsOf(release: string): Promise<string[]> {
  const list = await kubectlJson<{ items: K8sObject[] }>([
    'get',
    (await listable(false)).join(','),
    '-l',
    `app.kubernetes.io/instance=${release}`,
  ]);
  return list.items.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/** A namespace made ahead of the release, once the ServiceAccount controller has filled it; returns its contents. */
async function freshNamespace(namespace: string): Promise<string[]> {
  await plane.kubectl(['create', 'namespace', namespace]);
  return until(
    `the default ServiceAccount in ${namespace}`,
    async () => {
      const contents = await namespaceContents(namespace);
      return contents.includes('ServiceAccount/default') && contents;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** helm uninstall; the namespace as it was before, and no cluster-scoped object of the release but `kept`. */
async function uninstallLeavesNothing(
  release: string,
  namespace: string,
  before: string[],
  kept: string[] = [],
): Promise<void> {
  expect((await namespaceContents(namespace)).length).toBeGreaterThan(before.length);
  await plane.helm(['uninstall', release, '-n', namespace]);
  // What the Services' EndpointSlices were: the real garbage collector removes them after their owners.
  await until(
    `${namespace} as it was before the release`,
    async () => {
      const now = await namespaceContents(namespace);
      return JSON.stringify(now) === JSON.stringify(before) || false;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(await clusterObjectsOf(release)).toEqual(kept);
}

/** `helm install` refused before it created anything; returns helm's message. */
async function refusedInstall(release: string, namespace: string): Promise<string> {
  const before = await namespaceContents(namespace);
  const message = await plane.helm(['install', release, CHART, '-n', namespace]).then(
    () => 'installed',
    (error: Error) => error.message,
  );
  expect(await namespaceContents(namespace)).toEqual(before);
  const { stdout } = await plane.helm(['list', '-A', '-q']);
  expect(stdout.split('\n')).not.toContain(release);
  return message;
}

async function crdObjects(): Promise<Map<string, K8sObject & { spec: Record<string, unknown> }>> {
  const list = await kubectlJson<{ items: (K8sObject & { spec: Record<string, unknown> })[] }>(['get', 'crd']);
  return new Map(list.items.map((crd) => [crd.metadata.name, crd]));
}

/** The CRDs of a chart's crds/ folder, by name. */
async function chartCrds(folder: string): Promise<Map<string, K8sObject & { spec: Record<string, unknown> }>> {
  const crds = new Map<string, K8sObject & { spec: Record<string, unknown> }>();
  for (const file of (await readdir(folder)).sort()) {
    for (const doc of parseAllDocuments(await readFile(path.join(folder, file), 'utf8'))) {
      const crd = doc.toJS() as (K8sObject & { spec: Record<string, unknown> }) | null;
      if (crd) crds.set(crd.metadata.name, crd);
    }
  }
  return crds;
}

async function expectCrdsAsIn(folder: string): Promise<void> {
  const stored = await crdObjects();
  for (const [name, crd] of await chartCrds(folder)) expect(stored.get(name)?.spec, name).toMatchObject(crd.spec);
}

async function git(args: string[]): Promise<string> {
  return (await run('git', args, { cwd: REPO_ROOT, maxBuffer: 32 << 20 })).stdout;
}

/**
 * The previous version of the chart in git history: the newest commit whose Chart.yaml names another version than
 * the working tree's; while the version has never changed, the commit that first released it (the chart as users
 * could first install it).
 */
async function previousChart(): Promise<{ commit: string; version: string }> {
  const versionOf = (text: string) => (parse(text) as { version: string }).version;
  const current = versionOf(await readFile(path.join(CHART, 'Chart.yaml'), 'utf8'));
  const commits = (await git(['log', '--format=%H', '--', 'helm/kube-geodns/Chart.yaml'])).split('\n').filter(Boolean);
  if (commits.length === 0) throw new Error('no history of helm/kube-geodns/Chart.yaml: is this a shallow clone?');
  for (const commit of commits) {
    const version = versionOf(await git(['show', `${commit}:helm/kube-geodns/Chart.yaml`]));
    if (version !== current) return { commit, version };
  }
  return { commit: commits.at(-1)!, version: current };
}

describe('the chart on a real cluster', { timeout: 120_000 }, () => {
  it('passes helm lint --strict, with the defaults and with every object it can create', async () => {
    for (const values of [[], everyObjectFlags()]) {
      const { stdout } = await plane.helm(['lint', '--strict', CHART, ...values]);
      expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('deploy/kube-geodns.yaml is accepted by kubectl apply after crds/, stored as written, and deleted again', async () => {
    await plane.kubectl(['apply', '--server-side', '-f', 'crds/']);
    await plane.kubectl(['wait', '--for=condition=Established', 'crd', ...GEODNS_CRDS, '--timeout=30s']);
    await plane.kubectl(['apply', '-f', PLAIN_MANIFESTS]);
    const manifest = await readFile(PLAIN_MANIFESTS, 'utf8');
    const stored = await expectStoredAsRendered(manifest);
    expect(stored.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual([
      'geodns-dns',
      'geodns-operator',
    ]);
    // One operator per cluster: a helm release beside the plain install is refused, saying which operator runs.
    expect(await refusedInstall('second', 'default')).toMatch(
      /another kube-geodns operator runs in this cluster: ClusterRoleBinding geodns-operator, installed without helm \(deploy\/kube-geodns\.yaml\), operator namespace geodns-system\. Run one operator per cluster/,
    );
    // Uninstall as docs/install.md says (the Namespace goes last, through the real namespace controller).
    await plane.kubectl(['delete', '-f', PLAIN_MANIFESTS, '--timeout=60s'], { timeoutMs: 90_000 });
    await plane.kubectl(['delete', '-f', 'crds/', '--timeout=60s'], { timeoutMs: 90_000 });
    const { stdout } = await plane.kubectl(['get', '-f', PLAIN_MANIFESTS, '--ignore-not-found', '-o', 'name']);
    expect(stdout).toBe('');
    expect([...(await crdObjects()).keys()].filter((name) => name.endsWith('.geodns.io'))).toEqual([]);
  });

  let defaultNamespace: string[];
  it('helm install with the default values: the CRDs from crds/, then every object as rendered', async () => {
    defaultNamespace = await freshNamespace('geodns-system');
    const { stdout } = await plane.helm(['install', 'geodns', CHART, '-n', 'geodns-system']);
    expect(stdout).toMatch(/STATUS: deployed/);
    await expectCrdsAsIn(CHART_CRDS);
    // helm creates crds/ without its release marks: they belong to no release.
    for (const crd of GEODNS_CRDS) {
      const stored = (await crdObjects()).get(crd)!;
      expect(stored.metadata.labels?.['app.kubernetes.io/instance'], crd).toBeUndefined();
    }
    const objects = await expectRelease('geodns', 'geodns-system');
    const rendered = await render();
    // Everything but the `helm test` pod, a hook that only `helm test` creates.
    expect(objects.map(key).sort()).toEqual(
      rendered.objects
        .filter((o) => o.kind !== 'Pod')
        .map(key)
        .sort(),
    );
  });

  it('a second release in another namespace is refused while the first runs, naming it', async () => {
    expect(await refusedInstall('second', 'default')).toMatch(
      /another kube-geodns operator runs in this cluster: ClusterRoleBinding geodns-operator, helm release geodns in namespace geodns-system, operator namespace geodns-system\. Run one operator per cluster .* Upgrade that installation instead, or uninstall it first/,
    );
    // The release itself upgrades: its own operator is not another.
    const { stdout } = await plane.helm(['upgrade', 'geodns', CHART, '-n', 'geodns-system', '--reuse-values']);
    expect(stdout).toMatch(/REVISION: 2/);
  });

  describe('every toggle case, sent to the real kube-apiserver as a dry run (strict field validation)', () => {
    let dryRunNamespace: string[];
    beforeAll(async () => {
      const files = MONITORING_KINDS.map((k) => path.join(monitoringCrds, `monitoring.coreos.com_${k}.yaml`));
      await plane.kubectl(['apply', '--server-side', ...files.flatMap((f) => ['-f', f])]);
      await plane.kubectl([
        'wait',
        '--for=condition=Established',
        ...MONITORING_KINDS.map((k) => `crd/${k}.monitoring.coreos.com`),
        '--timeout=30s',
      ]);
      dryRunNamespace = await freshNamespace('dry-run');
    }, 60_000);

    it.each(cases)('$name', async ({ values, set, setJson }) => {
      // Another release and namespace than the installed one: every object is a creation, checked in full.
      const { stdout: manifest, objects } = await render({
        values: values ?? [],
        set: set ?? [],
        setJson: setJson ?? [],
        release: 'dry',
        namespace: 'dry-run',
      });
      const { stdout } = await plane.kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-f', '-', '-o', 'name'],
        { input: manifest },
      );
      expect(stdout.trim().split('\n')).toHaveLength(objects.length);
      // Nothing was written.
      expect(await namespaceContents('dry-run')).toEqual(dryRunNamespace);
    });
  });

  const installedTemplates = new Set<string>();
  async function noteTemplates(release: string, namespace: string): Promise<void> {
    const { stdout } = await plane.helm(['get', 'manifest', release, '-n', namespace]);
    for (const source of parseRendered(stdout).sources) installedTemplates.add(source.replace(/^kube-geodns\//, ''));
  }

  it('helm uninstall of the default release leaves no object behind; the CRDs stay, as helm keeps crds/ on purpose', async () => {
    await noteTemplates('geodns', 'geodns-system');
    await uninstallLeavesNothing('geodns', 'geodns-system', defaultNamespace);
    const crds = await crdObjects();
    for (const crd of GEODNS_CRDS) expect(crds.has(crd), crd).toBe(true);
  });

  let monitoredNamespace: string[];
  it('helm install with every toggle that creates objects (prometheus-operator CRDs installed)', async () => {
    monitoredNamespace = await freshNamespace('monitored');
    await plane.helm(['install', 'monitored', CHART, '-n', 'monitored', ...everyObjectFlags()]);
    const objects = await expectRelease('monitored', 'monitored');
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'NetworkPolicy', 'GeoZone', 'ConfigMap']) {
      expect(kinds, kind).toContain(kind);
    }
    // The GeoZone passed the CRD's schema and CEL rules on the real server.
    const zone = await kubectlJson<{ spec: unknown }>(['get', 'geozone', 'geo-example']);
    expect(zone.spec).toMatchObject(zoneSpec as object);
    // Between them, the two releases install every template of the chart (the test pod aside).
    await noteTemplates('monitored', 'monitored');
    const templates = (await readdir(path.join(CHART, 'templates'))).filter((f) => f.endsWith('.yaml'));
    expect([...installedTemplates].sort()).toEqual(templates.map((f) => `templates/${f}`).sort());
  });

  it('the chart’s GeoZone outlives geoZone.create=false and helm uninstall (resource-policy keep)', async () => {
    const zoneUid = async () =>
      (await kubectlJson<K8sObject & { metadata: { uid: string } }>(['get', 'geozone', 'geo-example'])).metadata.uid;
    const createZone = (create: boolean) =>
      plane.helm([
        'upgrade',
        'monitored',
        CHART,
        '-n',
        'monitored',
        '--reuse-values',
        '--set',
        `geoZone.create=${create}`,
      ]);
    const uid = await zoneUid();
    await createZone(false);
    // Out of the release, still the same object: the zone keeps answering.
    const { stdout: manifest } = await plane.helm(['get', 'manifest', 'monitored', '-n', 'monitored']);
    expect(parseRendered(manifest).objects.some((o) => o.kind === 'GeoZone')).toBe(false);
    expect(await zoneUid()).toBe(uid);
    // Turned on again, the release takes the kept object back.
    await createZone(true);
    expect(await zoneUid()).toBe(uid);
    await uninstallLeavesNothing('monitored', 'monitored', monitoredNamespace, ['GeoZone/geo-example']);
    expect(await zoneUid()).toBe(uid);
    // Deleting it is the user's step (docs/install.md, "Uninstall").
    await plane.kubectl(['delete', 'geozone', 'geo-example']);
    expect(await clusterObjectsOf('monitored')).toEqual([]);
  });

  it('helm upgrade from the previous chart version; the CRDs change only when the user applies them', async () => {
    // A cluster without the CRDs, so that the previous chart installs its own (docs/install.md, "Uninstall").
    await plane.kubectl(['delete', '-f', CHART_CRDS, '--timeout=60s'], { timeoutMs: 90_000 });
    const previous = await previousChart();
    const old = path.join(work, 'previous');
    const chartPath = path.relative(REPO_ROOT, CHART);
    await git(['archive', '--format=tar', `--output=${path.join(work, 'previous.tar')}`, previous.commit, chartPath]);
    await run('mkdir', ['-p', old]);
    await run('tar', ['-xf', path.join(work, 'previous.tar'), '-C', old]);
    const oldChart = path.join(old, chartPath);
    // Packaged, as a chart repository would serve each version.
    const packages = path.join(work, 'packages');
    const oldPackage = (await plane.helm(['package', oldChart, '-d', path.join(packages, 'previous')])).stdout;
    const newPackage = (await plane.helm(['package', CHART, '-d', path.join(packages, 'current')])).stdout;
    const tgz = (text: string) => /saved it to: (\S+)/.exec(text)![1]!;

    const before = await freshNamespace('upgraded');
    await plane.helm(['install', 'geodns', tgz(oldPackage), '-n', 'upgraded']);
    await expectCrdsAsIn(path.join(oldChart, 'crds'));
    const { stdout: oldManifest } = await plane.helm(['get', 'manifest', 'geodns', '-n', 'upgraded']);
    await expectRelease('geodns', 'upgraded');

    const { stdout } = await plane.helm(['upgrade', 'geodns', tgz(newPackage), '-n', 'upgraded']);
    expect(stdout).toMatch(/REVISION: 2/);
    await expectRelease('geodns', 'upgraded');
    const { stdout: newManifest } = await plane.helm(['get', 'manifest', 'geodns', '-n', 'upgraded']);
    // What the previous version had and this one has not is deleted.
    const gone = parseRendered(oldManifest).objects.filter(
      (o) => !parseRendered(newManifest).objects.some((n) => key(n) === key(o)),
    );
    for (const object of gone) {
      const { stdout: left } = await plane.kubectl(['get', '-f', '-', '--ignore-not-found', '-o', 'name'], {
        input: JSON.stringify(object),
      });
      expect(left, key(object)).toBe('');
    }

    // helm never upgrades crds/: the CRDs are still the previous version's.
    await expectCrdsAsIn(path.join(oldChart, 'crds'));
    const changed =
      JSON.stringify([...(await chartCrds(path.join(oldChart, 'crds')))]) !==
      JSON.stringify([...(await chartCrds(CHART_CRDS))]);
    // helm created them (field manager helm), so a plain server-side apply of other values conflicts with it...
    const plain = await plane.kubectl(['apply', '--server-side', '-f', CHART_CRDS]).then(
      () => 'applied',
      (error: Error) => error.message,
    );
    if (changed) expect(plain).toMatch(/conflict with "helm"/);
    else expect(plain).toBe('applied');
    // ...and the documented command takes them over.
    await plane.kubectl(['apply', '--server-side', '--force-conflicts', '-f', CHART_CRDS]);
    await expectCrdsAsIn(CHART_CRDS);

    await uninstallLeavesNothing('geodns', 'upgraded', before);
  });
});
