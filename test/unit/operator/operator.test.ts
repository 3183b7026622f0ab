// The operator against the real kube-apiserver, etcd and kube-controller-manager, through the real
// @kubernetes/client-node with the operator's own ServiceAccount token (deploy/rbac/operator.yaml): resources become
// zone ConfigMaps, the health ConfigMap and status; readiness (Pod status → the real EndpointSlice controller) moves
// health without rewriting zones; a restart writes nothing; a bad resource is left out with its condition while the
// rest keeps being served.
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, EventsV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import pino from 'pino';
import type { Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeDocuments, HEALTH_CONFIGMAP, REVISION_ANNOTATION, zoneConfigMapName } from '../../../api/configmaps.ts';
import type { CompiledZone } from '../../../api/compiled.ts';
import type { HealthTable } from '../../../api/health.ts';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { until } from '../../support/until.ts';
import { createPod, setPodReady, uncontactedAddress } from '../../../tools/control-plane/pods.ts';
import { FaultProxy } from '../../../tools/control-plane/fault-proxy.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { OPERATOR_ACCOUNT, SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';

const NS = SYSTEM_NAMESPACE;
const OPERATOR_USER = `system:serviceaccount:${NS}:${OPERATOR_ACCOUNT}`;
type ManagedFields = { manager: string; operation: string; subresource?: string; fieldsV1?: object }[];
type Versioned = { metadata: { resourceVersion: string } };
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };

let cluster: Cluster;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let discovery: DiscoveryV1Api;
let events: EventsV1Api;
const operators: Operator[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-operator-test', audit: true });
  core = cluster.admin.makeApiClient(CoreV1Api);
  custom = cluster.admin.makeApiClient(CustomObjectsApi);
  discovery = cluster.admin.makeApiClient(DiscoveryV1Api);
  events = cluster.admin.makeApiClient(EventsV1Api);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

afterEach(async () => {
  for (const operator of operators.splice(0)) await operator.stop();
  await cluster.reset();
}, 60_000);

function startOperator(
  extra: { zoneLimitBytes?: number; metrics?: OperatorMetrics; kubeConfig?: KubeConfig; sliceGraceMs?: number } = {},
): Operator {
  const operator = new Operator({
    metrics: new OperatorMetrics(),
    kubeConfig: cluster.operator,
    ...extra,
    namespace: NS,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    healthCoalesceMs: 20,
  });
  operators.push(operator);
  void operator.start();
  return operator;
}

async function applyZone(): Promise<void> {
  await custom.createClusterCustomObject({
    ...GROUP,
    plural: 'geozones',
    body: geoZone(),
  });
}

/** Whether the EndpointSlice controller shows the Service's one Pod ready (undefined: not in a slice yet). */
async function sliceReady(service: string): Promise<boolean | undefined> {
  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: 'web',
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return slices.items.flatMap((s) => s.endpoints).find((e) => e?.targetRef?.name === `${service}-0`)?.conditions?.ready;
}

/**
 * A LoadBalancer Service (its ingress address set as a cloud's controller would) selecting one Pod bound to the
 * test Node, ready or not; returns once the real EndpointSlice controller shows that readiness.
 */
async function applyService(name: string, ip: string, ready: boolean): Promise<void> {
  await core.createNamespacedService({
    namespace: 'web',
    body: {
      metadata: { name },
      spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  const created = await core.readNamespacedService({ namespace: 'web', name });
  created.status = { loadBalancer: { ingress: [{ ip }] } };
  await core.replaceNamespacedServiceStatus({ namespace: 'web', name, body: created });
  // A pod address nothing contacts: the operator reads readiness from the slice and probes nothing here.
  await createPod(core, {
    namespace: 'web',
    name: `${name}-0`,
    labels: { app: name },
    ip: uncontactedAddress(10),
    ready,
  });
  await until(`the slice of ${name} ready=${ready}`, async () => (await sliceReady(name)) === ready, {
    timeoutMs: 30_000,
  });
}

/** Flips the Pod's Ready condition, as its kubelet would; the EndpointSlice controller follows. */
async function setReady(service: string, ready: boolean): Promise<void> {
  await setPodReady(core, 'web', `${service}-0`, ready);
}

async function applyEndpoint(name: string, targets: unknown[]): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    body: geoEndpoint(name, { policy: 'failover', targets }),
  });
}

async function zoneDocument(): Promise<CompiledZone | undefined> {
  const list = await core.listNamespacedConfigMap({ namespace: NS });
  const cm = list.items.find((c) => c.metadata?.name === zoneConfigMapName('geo-example'));
  if (!cm) return undefined;
  const text = decodeDocuments({ data: cm.data, binaryData: cm.binaryData }).documents.get('geo.example.com.json');
  return text ? (JSON.parse(text) as CompiledZone) : undefined;
}

async function healthTable(): Promise<{ table: HealthTable; revision: number } | undefined> {
  try {
    const cm = await core.readNamespacedConfigMap({ namespace: NS, name: HEALTH_CONFIGMAP });
    const text = cm.data?.['health.json'];
    if (!text) return undefined;
    return {
      table: JSON.parse(text) as HealthTable,
      revision: Number(cm.metadata?.annotations?.[REVISION_ANNOTATION]),
    };
  } catch {
    return undefined;
  }
}

async function endpointStatus(name: string): Promise<Record<string, unknown> | undefined> {
  const object = (await custom.getNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    name,
  })) as {
    status?: Record<string, unknown>;
  };
  return object.status;
}

async function total(counter: Counter): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Every write the operator's ServiceAccount made, as the audit log records them. */
async function operatorWrites(): Promise<string[]> {
  const writes = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
  return (await cluster.plane.requests())
    .filter((r) => r.user === OPERATOR_USER && writes.has(r.verb))
    .map((r) => `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''} ${r.time}`);
}

function condition(status: Record<string, unknown> | undefined, type: string) {
  return (status?.conditions as { type: string; status: string; reason: string; message: string }[] | undefined)?.find(
    (c) => c.type === type,
  );
}

describe('geodns operator', () => {
  it('publishes a zone ConfigMap owned by its GeoZone, and status on the zone and its names', async () => {
    await applyZone();
    await applyService('primary', '203.0.113.10', true);
    await applyEndpoint('www', [
      { name: 'primary', service: { name: 'primary' }, priority: 0, location: { continent: 'EU' } },
      { name: 'backup', addresses: ['198.51.100.7'], priority: 1, location: { continent: 'EU' } },
    ]);
    startOperator();
    const doc = await until('the zone ConfigMap', zoneDocument);
    expect(doc.zone).toBe('geo.example.com');
    expect(doc.routed.map((r) => r.name)).toEqual(['www.geo.example.com']);
    expect(doc.routed[0]?.targets.map((t) => [t.name, t.addresses])).toEqual([
      ['backup', ['198.51.100.7']],
      ['primary', ['203.0.113.10']],
    ]);
    const cm = await core.readNamespacedConfigMap({ namespace: NS, name: zoneConfigMapName('geo-example') });
    const zone = (await custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
      metadata: { uid: string };
    };
    expect(cm.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'GeoZone', name: 'geo-example', uid: zone.metadata.uid, controller: true }),
    ]);
    const status = await until('the GeoEndpoint status', async () => {
      const s = await endpointStatus('www');
      return condition(s, 'Ready') ? s : undefined;
    });
    expect(condition(status, 'Accepted')).toMatchObject({ status: 'True' });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(status.targetsSummary).toBe('2/2');
    // Conditions as the real server stores them: each carries the generation it was derived from and when it moved.
    const www = (await custom.getNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      name: 'www',
    })) as { metadata: { generation: number; managedFields: ManagedFields } };
    for (const c of status.conditions as { observedGeneration: number; lastTransitionTime: string }[]) {
      expect(c.observedGeneration).toBe(www.metadata.generation);
      expect(Number.isNaN(Date.parse(c.lastTransitionTime))).toBe(false);
    }
    // Who owns what, as the server records it: the operator's status patches own the status (and only that), and
    // its ConfigMap writes own the ConfigMap, both under the operator's field manager.
    const statusOwners = www.metadata.managedFields.filter((m) => m.subresource === 'status');
    expect(statusOwners).toEqual([expect.objectContaining({ manager: 'geodns-operator', operation: 'Update' })]);
    expect(Object.keys(statusOwners[0]!.fieldsV1 ?? {})).toEqual(['f:status']);
    expect(cm.metadata?.managedFields).toEqual([
      expect.objectContaining({ manager: 'geodns-operator', operation: 'Update' }),
    ]);
  });

  it('moves health, not zones, when a Service loses its ready endpoints, and says so in status', async () => {
    await applyZone();
    await applyService('primary', '203.0.113.10', true);
    await applyEndpoint('www', [{ name: 'primary', service: { name: 'primary' }, location: { continent: 'EU' } }]);
    const metrics = new OperatorMetrics();
    const operator = startOperator({ metrics });
    const first = await until('the zone ConfigMap', zoneDocument);
    const zoneCm = await core.readNamespacedConfigMap({ namespace: NS, name: zoneConfigMapName('geo-example') });
    await operator.settled();
    const runsBefore = await total(metrics.reconciles);

    await setReady('primary', false);
    const health = await until('the target down in the health ConfigMap', async () => {
      const h = await healthTable();
      return h?.table.targets['web/www/primary']?.up === false ? h : undefined;
    });
    expect(health.table.targets['web/www/primary']?.reason).toBe('Service web/primary has no ready endpoints');
    const status = await until('Ready=False', async () => {
      const s = await endpointStatus('www');
      return condition(s, 'Ready')?.status === 'False' ? s : undefined;
    });
    expect(condition(status, 'Ready')?.reason).toBe('NoReadyEndpoints');
    expect(status.targetsSummary).toBe('0/1');
    // The transition is recorded as an Event next to the GeoEndpoint.
    const event = await until('a NoReadyEndpoints Event', async () => {
      const list = (await events.listNamespacedEvent({ namespace: 'web' })).items;
      return list.find((e) => e.reason === 'NoReadyEndpoints' && e.regarding?.name === 'www');
    });
    // As the real server stores it: a name of the regarded object's, a MicroTime, who reported it and about what.
    const www = (await custom.getNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      name: 'www',
    })) as { metadata: { uid: string } };
    expect(event).toMatchObject({
      type: 'Warning',
      action: 'Reconcile',
      reportingController: 'geodns.io/operator',
      reportingInstance: 'geodns-operator',
      regarding: { apiVersion: 'geodns.io/v1alpha1', kind: 'GeoEndpoint', namespace: 'web', name: 'www' },
    });
    expect(event.regarding?.uid).toBe(www.metadata.uid);
    expect(event.metadata?.name).toMatch(/^www\./);
    expect(String(event.eventTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(event.note).toMatch(/^Ready=False: /);

    await setReady('primary', true);
    const back = await until('the target up again', async () => {
      const h = await healthTable();
      return h && h.table.targets['web/www/primary'] === undefined ? h : undefined;
    });
    expect(back.revision).toBeGreaterThan(health.revision);
    // Readiness took the short way: two health updates and not one pipeline run (no compile).
    await operator.settled();
    expect(await total(metrics.reconciles)).toBe(runsBefore);
    expect(await total(metrics.healthUpdates)).toBe(2);
    // The zone document was never rewritten for health.
    const after = await core.readNamespacedConfigMap({ namespace: NS, name: zoneConfigMapName('geo-example') });
    expect(after.metadata?.resourceVersion).toBe(zoneCm.metadata?.resourceVersion);
    expect((await zoneDocument())?.serial).toBe(first.serial);
  });

  it('a Service applied with its ready endpoints is pending until its EndpointSlice arrives, never NoReadyEndpoints', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'fresh', service: { name: 'fresh', useClusterIP: true }, location: {} }]);
    const operator = startOperator();
    await until('the zone ConfigMap', zoneDocument);
    await operator.settled();
    // Every version of the GeoEndpoint's Ready condition, as the API server stored it.
    const readiness: string[] = [];
    const stopWatch = await new Watch(cluster.admin).watch(
      `/apis/geodns.io/v1alpha1/namespaces/web/geoendpoints`,
      { fieldSelector: 'metadata.name=www' },
      (_phase: string, object: { status?: Record<string, unknown> }) => {
        const ready = condition(object.status, 'Ready');
        if (ready) readiness.push(`${ready.status}/${ready.reason}`);
      },
      () => undefined,
    );
    try {
      // The Service first, then its slice once the operator has seen the Service without one: the moment before
      // the EndpointSlice reaches the cache, which "applied together" leaves to chance.
      await core.createNamespacedService({
        namespace: 'web',
        body: { metadata: { name: 'fresh' }, spec: { ports: [{ port: 80 }] } },
      });
      await until('the Service in the cache', () => operator.caches.services.get('fresh', 'web'));
      await operator.settled();
      const pending = await until('the target pending in the health ConfigMap', async () => {
        const reason = (await healthTable())?.table.targets['web/www/fresh']?.reason;
        return reason?.includes('no EndpointSlice seen yet') ? reason : undefined;
      });
      expect(pending).toBe('Service web/fresh: no EndpointSlice seen yet');
      await discovery.createNamespacedEndpointSlice({
        namespace: 'web',
        body: {
          metadata: { name: 'fresh-1', labels: { 'kubernetes.io/service-name': 'fresh' } },
          addressType: 'IPv4',
          endpoints: [{ addresses: [uncontactedAddress(20)], conditions: { ready: true } }],
          ports: [{ port: 80, protocol: 'TCP' }],
        },
      });
      const status = await until('Ready=True', async () => {
        const s = await endpointStatus('www');
        return condition(s, 'Ready')?.status === 'True' ? s : undefined;
      });
      expect(status.targetsSummary).toBe('1/1');
      await operator.settled();
    } finally {
      stopWatch.abort();
    }
    expect(readiness).not.toContainEqual(expect.stringMatching(/NoReadyEndpoints/));
    expect(readiness.at(-1)).toBe('True/Ready');
    const warnings = (await events.listNamespacedEvent({ namespace: 'web' })).items.filter(
      (e) => e.regarding?.name === 'www' && (e.type === 'Warning' || e.reason === 'NoReadyEndpoints'),
    );
    expect(warnings.map((e) => `${e.type} ${e.reason}`)).toEqual([]);
  });

  it('a Service whose slice has no ready endpoint says NoReadyEndpoints at once; one with no slice after the grace', async () => {
    await applyZone();
    await applyEndpoint('idle', [{ name: 'idle', service: { name: 'idle', useClusterIP: true }, location: {} }]);
    await applyEndpoint('lonely', [{ name: 'lonely', service: { name: 'lonely', useClusterIP: true }, location: {} }]);
    const operator = startOperator({ sliceGraceMs: 1500 });
    await until('the zone ConfigMap', zoneDocument);
    await operator.settled();
    for (const name of ['idle', 'lonely'])
      await core.createNamespacedService({
        namespace: 'web',
        body: { metadata: { name }, spec: { ports: [{ port: 80 }] } },
      });
    await discovery.createNamespacedEndpointSlice({
      namespace: 'web',
      body: {
        metadata: { name: 'idle-1', labels: { 'kubernetes.io/service-name': 'idle' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [uncontactedAddress(21)], conditions: { ready: false } }],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    });
    for (const name of ['idle', 'lonely']) {
      const status = await until(`${name}: NoReadyEndpoints`, async () => {
        const s = await endpointStatus(name);
        return condition(s, 'Ready')?.reason === 'NoReadyEndpoints' ? s : undefined;
      });
      expect(condition(status, 'Ready')?.status).toBe('False');
      const event = await until(`${name}: a NoReadyEndpoints Event`, async () => {
        const list = (await events.listNamespacedEvent({ namespace: 'web' })).items;
        return list.find((e) => e.reason === 'NoReadyEndpoints' && e.regarding?.name === name);
      });
      expect(event.type).toBe('Warning');
    }
    // No slice at all: down for want of endpoints once the grace has passed, though nothing changed in the cluster
    // since (the pipeline's recheck at the end of the grace).
    const lonely = (await healthTable())?.table.targets['web/lonely/lonely'];
    expect(lonely).toMatchObject({ up: false, reason: 'Service web/lonely has no ready endpoints' });
  });

  it('writes the health ConfigMap again when someone deletes it, and keeps it current afterwards', async () => {
    await applyZone();
    await applyService('primary', '203.0.113.10', false);
    await applyEndpoint('www', [{ name: 'primary', service: { name: 'primary' }, location: { continent: 'EU' } }]);
    startOperator();
    const first = await until('the target down in the health ConfigMap', async () => {
      const h = await healthTable();
      return h?.table.targets['web/www/primary']?.up === false ? h : undefined;
    });
    await core.deleteNamespacedConfigMap({ namespace: NS, name: HEALTH_CONFIGMAP });
    const again = await until('the health ConfigMap written again', async () => {
      const h = await healthTable();
      return h?.table.targets['web/www/primary']?.up === false ? h : undefined;
    });
    expect(again.revision).toBeGreaterThan(first.revision);
    await setReady('primary', true);
    await until('the target up again', async () => {
      const h = await healthTable();
      return h && h.table.targets['web/www/primary'] === undefined ? h : undefined;
    });
  });

  it('leaves out a GeoEndpoint whose Service is missing, with its condition, and serves the rest', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    await applyEndpoint('broken', [{ name: 'a', service: { name: 'nowhere' }, location: { continent: 'EU' } }]);
    startOperator();
    const doc = await until('the zone ConfigMap', zoneDocument);
    expect(doc.routed.map((r) => r.name)).toEqual(['www.geo.example.com']);
    const status = await until('the broken endpoint status', async () => {
      const s = await endpointStatus('broken');
      return condition(s, 'ResolvedRefs') ? s : undefined;
    });
    expect(condition(status, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'ServiceNotFound' });
    expect(condition(status, 'ResolvedRefs')?.message).toContain('Service web/nowhere not found');
  });

  it('writes nothing when restarted over a cluster it already published', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    const first = startOperator();
    await until('the zone ConfigMap', zoneDocument);
    await until('status written', async () => condition(await endpointStatus('www'), 'Ready'));
    await first.settled();
    await first.stop();
    operators.splice(operators.indexOf(first), 1);
    const before = (await core.listNamespacedConfigMap({ namespace: NS })).metadata?.resourceVersion;
    const versions = async () => [
      ((await custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as Versioned)
        .metadata.resourceVersion,
      (
        (await custom.getNamespacedCustomObject({
          ...GROUP,
          namespace: 'web',
          plural: 'geoendpoints',
          name: 'www',
        })) as Versioned
      ).metadata.resourceVersion,
    ];
    const statusBefore = await versions();
    const writesBefore = await operatorWrites();
    expect(writesBefore.length).toBeGreaterThan(0); // the first operator's ConfigMaps and status

    const second = startOperator();
    await until('the second operator synced', () => second.synced);
    await second.settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await second.settled();
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const newest = Math.max(...list.items.map((c) => Number(c.metadata?.resourceVersion)));
    expect(newest).toBeLessThanOrEqual(Number(before));
    expect(await versions()).toEqual(statusBefore);
    // The API server's audit log agrees: the second operator only read and watched.
    expect(await operatorWrites()).toEqual(writesBefore);
  });

  it('says ZoneTooLarge and keeps the last published version when the zone outgrows one ConfigMap', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    const size = await (async () => {
      const probe = startOperator();
      const doc = await until('the zone ConfigMap', zoneDocument);
      await probe.stop();
      operators.splice(operators.indexOf(probe), 1);
      return JSON.stringify(doc).length;
    })();
    startOperator({ zoneLimitBytes: size + 200 });
    await applyEndpoint('api', [
      { name: 'a', addresses: Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 1}`), location: { continent: 'EU' } },
    ]);
    const status = await until('ZoneTooLarge', async () => {
      const zone = (await custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
        status?: Record<string, unknown>;
      };
      return condition(zone.status, 'Ready')?.reason === 'ZoneTooLarge' ? zone.status : undefined;
    });
    expect(condition(status, 'Ready')?.status).toBe('False');
    expect(condition(status, 'Ready')?.message).toMatch(/the last published version keeps serving$/);
    expect((await zoneDocument())?.routed.map((r) => r.name)).toEqual(['www.geo.example.com']);
    // The GeoZone is cluster-scoped: its Event lives in `default`, where the API server takes it.
    const event = await until('a ZoneTooLarge Event', async () =>
      (await events.listEventForAllNamespaces()).items.find(
        (e) => e.reason === 'ZoneTooLarge' && e.regarding?.name === 'geo-example',
      ),
    );
    expect(event.metadata?.namespace).toBe('default');
    expect(event).toMatchObject({ type: 'Warning', regarding: { kind: 'GeoZone', name: 'geo-example' } });
    expect(event.regarding?.namespace).toBeUndefined();
  });

  it('deletes the zone ConfigMap when its GeoZone is deleted', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    startOperator();
    await until('the zone ConfigMap', zoneDocument);
    await custom.deleteClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' });
    await until('the zone ConfigMap gone', async () => ((await zoneDocument()) === undefined ? true : undefined));
  });

  it('retries a status write the API server refuses with 409, from the fresh object', async () => {
    await applyZone();
    await applyEndpoint('www', [{ name: 'a', addresses: ['192.0.2.1'], location: { continent: 'EU' } }]);
    // The operator reaches the real server through the fault proxy, which answers its first two status patches of
    // www with the server's own 409 Conflict Status.
    const proxy = await FaultProxy.start(cluster.plane);
    try {
      const file = await proxy.serviceAccountKubeconfig(
        NS,
        OPERATOR_ACCOUNT,
        `${cluster.plane.dir}/proxied.kubeconfig`,
      );
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(file);
      const conflicts = proxy.fail({
        status: 409,
        count: 2,
        match: { verb: 'patch', resource: 'geoendpoints', subresource: 'status', name: 'www' },
      });
      startOperator({ kubeConfig });
      const status = await until('the status written after the conflicts', async () => {
        const s = await endpointStatus('www');
        return condition(s, 'Ready') ? s : undefined;
      });
      expect(conflicts.hits).toBe(2); // both conflicts were met, and the write after them landed
      // The proxy records a request's code when its answer has passed through, which can be after the status read.
      const patches = await until('the three status patches answered', () => {
        const seen = proxy.requests.filter((r) => r.subresource === 'status' && r.name === 'www');
        return seen.length >= 3 && seen.every((r) => r.code !== undefined) ? seen : undefined;
      });
      expect(patches.map((r) => [r.code, r.injected])).toEqual([
        [409, true],
        [409, true],
        [200, false],
      ]);
      expect(condition(status, 'Accepted')).toMatchObject({ status: 'True' });
    } finally {
      for (const operator of operators.splice(0)) await operator.stop();
      await proxy.close();
    }
  });
});
