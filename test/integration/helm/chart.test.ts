// The chart with its default values: every object validates against its Kubernetes schema, and the workloads
// are what docs/install.md promises (security, probes, ports, labels, leader election, the DNS Service).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/serve.ts';
import { expectLockedDown, expectProbes } from '../../support/helm-checks.ts';
import {
  CHART,
  deployment,
  find,
  flagValues,
  NAMESPACE,
  render,
  validateObject,
  type K8sObject,
  type Container,
  type PodSpec,
  type Rendered,
} from '../../support/helm-render.ts';

let rendered: Rendered;
beforeAll(async () => {
  rendered = await render();
});

const OPERATOR = 'geodns-operator';
const DNS = 'geodns-dns';

describe('the chart with default values', () => {
  it('renders the documented objects, each valid against its schema', async () => {
    const names = rendered.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual(
      [
        'ClusterRole/geodns-operator',
        'ClusterRoleBinding/geodns-operator',
        'Deployment/geodns-dns',
        'Deployment/geodns-operator',
        'PodDisruptionBudget/geodns-dns',
        'PodDisruptionBudget/geodns-operator',
        'Pod/geodns-dns-test',
        'Role/geodns-dns',
        'Role/geodns-operator',
        'RoleBinding/geodns-dns',
        'RoleBinding/geodns-operator',
        'Service/geodns-dns',
        'Service/geodns-dns-metrics',
        'Service/geodns-operator-metrics',
        'ServiceAccount/geodns-dns',
        'ServiceAccount/geodns-operator',
      ].sort(),
    );
    for (const object of rendered.objects) await validateObject(object);
  });

  it('the validator refuses a broken object (so the check above means something)', async () => {
    const broken = structuredClone(find(rendered.objects, 'Service', DNS)) as K8sObject & {
      spec: { ports: { port: unknown }[] };
    };
    broken.spec.ports[0]!.port = 'fifty-three';
    await expect(validateObject(broken)).rejects.toThrow(/Service geodns-dns does not validate/);
  });

  it('puts namespaced objects in the release namespace and labels everything', () => {
    for (const object of rendered.objects) {
      const clusterScoped = object.kind.startsWith('Cluster');
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(
        clusterScoped ? undefined : NAMESPACE,
      );
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'kube-geodns',
        'app.kubernetes.io/instance': 'geodns',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'kube-geodns-0.1.0',
      });
    }
  });

  it('runs the operator as 2 replicas with leader election and anti-affinity', () => {
    const operator = deployment(rendered.objects, OPERATOR);
    expect(operator.spec.replicas).toBe(2);
    const pod = operator.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.args.slice(0, 3)).toEqual(['operator', '--namespace', NAMESPACE]);
    expect(container.args).toContain('--leader-elect');
    expect(flagValues(container.args, '--lease-duration')).toEqual(['15']);
    expect(flagValues(container.args, '--renew-deadline')).toEqual(['10']);
    expect(flagValues(container.args, '--retry-period')).toEqual(['2']);
    expect(flagValues(container.args, '--metrics')).toEqual(['0.0.0.0:9154']);
    expect(flagValues(container.args, '--dns-service')).toEqual([DNS]);
    expect(pod.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: 'kubernetes.io/hostname',
              labelSelector: { matchLabels: operator.spec.selector.matchLabels },
            },
          },
        ],
      },
    });
    expect(pod.serviceAccountName).toBe(OPERATOR);
    // It talks to the API: its token stays mounted.
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9154, protocol: 'TCP' }]);
    expectProbes(container);
    expectLockedDown(pod);
  });

  it('runs the DNS server with --kube, NSID from the pod name, a high port and topology spread', () => {
    const dns = deployment(rendered.objects, DNS);
    expect(dns.spec.replicas).toBe(3);
    const pod = dns.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.args.slice(0, 4)).toEqual(['serve', '--kube', '--namespace', NAMESPACE]);
    expect(flagValues(container.args, '--listen')).toEqual(['0.0.0.0:5353']);
    expect(flagValues(container.args, '--metrics')).toEqual(['0.0.0.0:9153']);
    expect(flagValues(container.args, '--nsid')).toEqual(['$(POD_NAME)']);
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    // No GeoZone names known: no fallback folder, embedded GeoIP, rate limiting off.
    expect(container.args).not.toContain('--config');
    expect(container.args).not.toContain('--geoip');
    expect(container.args.filter((a) => a.startsWith('--rrl'))).toEqual([]);
    expect(container.ports).toEqual([
      { name: 'dns-udp', containerPort: 5353, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 5353, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
    ]);
    expect(pod.serviceAccountName).toBe(DNS);
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    for (const constraint of pod.topologySpreadConstraints ?? []) {
      expect(constraint).toMatchObject({ maxSkew: 1, labelSelector: { matchLabels: dns.spec.selector.matchLabels } });
    }
    expectProbes(container);
    expectLockedDown(pod);
  });

  it('mounts the operator’s DNSSEC key Secret read-only, optional, and gives the DNS pods no Secret access', () => {
    const pod = deployment(rendered.objects, DNS).spec.template.spec;
    const container = pod.containers[0]!;
    expect(flagValues(container.args, '--dnssec-keys')).toEqual(['/etc/geodns/dnssec']);
    expect(container.volumeMounts).toContainEqual({
      name: 'dnssec-keys',
      mountPath: '/etc/geodns/dnssec',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: 'dnssec-keys',
      secret: { secretName: 'geodns-dnssec-keys', optional: true },
    });
    // The operator's rule for Secrets is in its own namespace only; nothing lets the DNS pods read one.
    const rules = rendered.objects
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .map((o) => ({
        name: o.metadata.name,
        kind: o.kind,
        rules: (o as unknown as { rules: { resources?: string[] }[] }).rules,
      }));
    const withSecrets = rules.filter((r) => r.rules.some((rule) => rule.resources?.includes('secrets')));
    expect(withSecrets.map((r) => `${r.kind}/${r.name}`)).toEqual(['Role/geodns-operator']);
  });

  it('selects each component by stable labels its pods carry', () => {
    for (const [name, component] of [
      [OPERATOR, 'operator'],
      [DNS, 'dns'],
    ] as const) {
      const workload = deployment(rendered.objects, name);
      expect(workload.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': 'kube-geodns',
        'app.kubernetes.io/instance': 'geodns',
        'app.kubernetes.io/component': component,
      });
      expect(workload.spec.template.metadata.labels).toMatchObject(workload.spec.selector.matchLabels);
      const pdb = find(rendered.objects, 'PodDisruptionBudget', name) as unknown as {
        spec: { maxUnavailable: number; selector: unknown };
      };
      expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: workload.spec.selector.matchLabels } });
    }
  });

  it('maps port 53 over UDP and TCP to the container port, keeping the client address (Local)', () => {
    const service = find(rendered.objects, 'Service', DNS) as unknown as {
      spec: Record<string, unknown> & { ports: unknown[]; selector: unknown };
    };
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    expect(service.spec.selector).toEqual(deployment(rendered.objects, DNS).spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([
      { name: 'dns-udp', port: 53, targetPort: 'dns-udp', protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 'dns-tcp', protocol: 'TCP' },
    ]);
  });

  it('exposes each component’s metrics port on a ClusterIP Service', () => {
    for (const [component, port] of [
      ['dns', 9153],
      ['operator', 9154],
    ] as const) {
      const service = find(rendered.objects, 'Service', `geodns-${component}-metrics`) as unknown as {
        spec: Record<string, unknown>;
      };
      expect(service.spec).toEqual({
        type: 'ClusterIP',
        selector: deployment(rendered.objects, `geodns-${component}`).spec.selector.matchLabels,
        ports: [{ name: 'metrics', port, targetPort: 'metrics', protocol: 'TCP' }],
      });
    }
  });

  it('the helm test pod mounts no service-account token and is locked down too', () => {
    const pod = find(rendered.objects, 'Pod', 'geodns-dns-test') as unknown as {
      metadata: { annotations: Record<string, string> };
      spec: PodSpec;
    };
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expectLockedDown(pod.spec);
  });

  it('keeps a DNS pod ready through a slow or missed readiness probe (a Local load balancer follows readiness)', () => {
    const probe = deployment(rendered.objects, DNS).spec.template.spec.containers[0]!.readinessProbe as unknown as {
      periodSeconds: number;
      timeoutSeconds: number;
      failureThreshold: number;
      successThreshold: number;
    };
    // One timeout is not enough to take the pod, and with it the node, out of the load balancer.
    expect(probe.failureThreshold).toBeGreaterThanOrEqual(3);
    expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds);
    expect(probe.successThreshold).toBe(1);
    // ...and a pod that stops answering /readyz still leaves within a quarter of a minute.
    expect(probe.periodSeconds * probe.failureThreshold).toBeLessThanOrEqual(15);
  });

  it('the helm test pod runs a pinned, maintained image that has sh and dig (not Debian jessie)', () => {
    const pod = find(rendered.objects, 'Pod', 'geodns-dns-test') as unknown as { spec: PodSpec };
    const { image, command } = pod.spec.containers[0]! as Container & { command: string[] };
    expect(image).toMatch(/^[a-z0-9.-]+\/[a-z0-9./-]+(:\d+(\.\d+)+|@sha256:[0-9a-f]{64})$/);
    expect(image).not.toMatch(/jessie|stretch|buster|:latest/);
    expect(command).toEqual(['sh', '-c']);
  });

  it('sets resources on every container', () => {
    for (const name of [OPERATOR, DNS]) {
      const container = deployment(rendered.objects, name).spec.template.spec.containers[0]!;
      expect(container.resources).toMatchObject({ requests: { cpu: expect.any(String), memory: expect.any(String) } });
      expect(container.resources).toMatchObject({ limits: { memory: expect.any(String) } });
    }
  });
});

describe('the chart’s CRDs', () => {
  it('are the top-level crds/ byte for byte (npm run gen:crds writes both)', async () => {
    const top = (await readdir(path.join(REPO_ROOT, 'crds'))).sort();
    expect((await readdir(path.join(CHART, 'crds'))).sort()).toEqual(top);
    for (const file of top) {
      expect(await readFile(path.join(CHART, 'crds', file), 'utf8'), file).toBe(
        await readFile(path.join(REPO_ROOT, 'crds', file), 'utf8'),
      );
    }
  });

  it('are printed first with --include-crds, as helm install applies them', async () => {
    const { objects } = await render({ args: ['--include-crds'] });
    expect(objects.slice(0, 3).map((o) => o.kind)).toEqual(Array(3).fill('CustomResourceDefinition'));
    for (const crd of objects.slice(0, 3)) await validateObject(crd);
  });
});
