// The API test server as kubectl sees it: apply (client- and server-side), get with our printer columns, get -w,
// explain, strategic merge patch, status patches, wait, delete, and CEL refusals at apply time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './harness.ts';
import { Kubectl, kubectlMinor } from './kubectl.ts';
import { ApiServer } from './server.ts';

let server: ApiServer;
let kubectl: Kubectl;
let minor = 0;

beforeAll(async () => {
  server = await ApiServer.start();
  kubectl = new Kubectl(server);
  minor = await kubectlMinor();
});

afterAll(async () => {
  kubectl.cleanup();
  await server.close();
});

const READY = JSON.stringify({
  status: {
    targetsSummary: '6/6',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Published',
        message: 'served',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
});

describe('kubectl', () => {
  it('applies crds/ and examples/cluster/', async () => {
    const crds = await kubectl.run(['apply', '-f', 'crds/']);
    expect(crds.stderr).toBe('');
    expect(crds.stdout.trim().split('\n')).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/geoendpoints.geodns.io created',
      'customresourcedefinition.apiextensions.k8s.io/geozones.geodns.io created',
      'customresourcedefinition.apiextensions.k8s.io/healthprobes.geodns.io created',
    ]);
    const established = await kubectl.run(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=10s']);
    expect(established.stdout).toContain('geoendpoints.geodns.io condition met');

    const examples = await kubectl.run(['apply', '-f', 'examples/cluster/']);
    expect(examples.stderr).toBe('');
    const lines = examples.stdout.trim().split('\n');
    expect(lines[0]).toBe('namespace/web created');
    expect(lines).toContain('geozone.geodns.io/geo-example created');
    expect(lines).toContain('geoendpoint.geodns.io/www created');
    expect(lines).toContain('healthprobe.geodns.io/api-http created');
    expect(lines).toContain('service/www-eu-frankfurt created');
    expect(lines.every((l) => l.endsWith(' created'))).toBe(true);
  });

  it('applies server-side over a client-side apply without conflicts', async () => {
    const result = await kubectl.run(['apply', '--server-side', '-f', 'examples/cluster/']);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('geoendpoint.geodns.io/www serverside-applied');
    expect(lines.every((l) => l.endsWith(' serverside-applied'))).toBe(true);
    const fields = await kubectl.run([
      'get',
      'ge',
      'www',
      '-n',
      'web',
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    ]);
    expect(fields.stdout.split(' ')).toContain('kubectl');
  });

  it('shows our printer columns in get gz,ge,hp', async () => {
    const result = await kubectl.run(['get', 'gz,ge,hp', '-A']);
    expect(result.stderr).toBe('');
    const text = result.stdout;
    expect(text).toMatch(/^NAME\s+APEX\s+SERIAL\s+ENDPOINTS\s+SERVING\s+READY\s+AGE$/m);
    expect(text).toMatch(/^geozone\.geodns\.io\/geo-example\s+geo\.example\.com\s+\d+s$/m);
    expect(text).toMatch(/^NAMESPACE\s+NAME\s+ZONE\s+HOSTNAME\s+POLICY\s+HEALTHY\s+READY\s+AGE$/m);
    expect(text).toMatch(
      /^web\s+geoendpoint\.geodns\.io\/canary\s+geo-example\s+canary\.geo\.example\.com\s+weighted\s+\d+s$/m,
    );
    expect(text).toMatch(/^NAMESPACE\s+NAME\s+TYPE\s+PORT\s+INTERVAL\s+UP\s+READY\s+AGE$/m);
    expect(text).toMatch(/^web\s+healthprobe\.geodns\.io\/api-tcp\s+TCP\s+9000\s+10s\s+\d+s$/m);
  });

  it('explains geoendpoint.spec.targets from the CRD schema', async () => {
    const result = await kubectl.run(['explain', 'geoendpoint.spec.targets']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/KIND:\s+GeoEndpoint/);
    expect(result.stdout).toMatch(/FIELD:\s+targets\s+<\[\]Object>/);
    expect(result.stdout).toContain('Where the name can point.');
    expect(result.stdout).toMatch(/healthProbeRef\s+<Object>/);
  });

  it('watches with get -w until a change arrives', async () => {
    const watch = kubectl.start(['get', 'ge', '-n', 'web', '-w']);
    try {
      await until('the initial list', () => /^www\s/m.test(watch.output()));
      const patched = await kubectl.run([
        'patch',
        'ge',
        'pool',
        '-n',
        'web',
        '--type=merge',
        '-p',
        '{"spec":{"policy":"weighted"}}',
      ]);
      expect(patched.stdout.trim()).toBe('geoendpoint.geodns.io/pool patched');
      await until(
        'the change',
        () => /^pool\s+geo-example\s+pool\.geo\.example\.com\s+weighted\s/m.test(watch.output()),
        15_000,
      );
    } finally {
      watch.stop();
    }
  });

  it('patches a Service with a strategic merge patch (lists merged by key)', async () => {
    const result = await kubectl.run([
      'patch',
      'svc',
      'api-primary',
      '-n',
      'web',
      '-p',
      '{"spec":{"ports":[{"port":80,"name":"web"}]}}',
    ]);
    expect(result.stdout.trim()).toBe('service/api-primary patched');
    const ports = await kubectl.run(['get', 'svc', 'api-primary', '-n', 'web', '-o', 'jsonpath={.spec.ports}']);
    expect(JSON.parse(ports.stdout)).toEqual([{ name: 'web', port: 80, protocol: 'TCP', targetPort: 8080 }]);
  });

  it('patches status through --subresource=status, and wait sees the condition', async () => {
    if (minor < 24) return; // --subresource arrived in kubectl 1.24
    const wait = kubectl.run(['wait', '--for=condition=Ready', 'ge/www', '-n', 'web', '--timeout=15s']);
    await until('the wait to watch', () => server.watches.count > 0);
    const patched = await kubectl.run([
      'patch',
      'ge',
      'www',
      '-n',
      'web',
      '--subresource=status',
      '--type=merge',
      '-p',
      READY,
    ]);
    expect(patched.stdout.trim()).toBe('geoendpoint.geodns.io/www patched');
    const waited = await wait;
    expect(waited.stdout.trim()).toBe('geoendpoint.geodns.io/www condition met');
    const row = await kubectl.run(['get', 'ge', 'www', '-n', 'web', '--no-headers']);
    expect(row.stdout).toMatch(/^www\s+geo-example\s+www\.geo\.example\.com\s+geo\s+6\/6\s+True\s+\d+s$/m);
  });

  it('refuses an invalid GeoEndpoint at apply with the CEL message', async () => {
    const bad = [
      'apiVersion: geodns.io/v1alpha1',
      'kind: GeoEndpoint',
      'metadata: { name: bad, namespace: web }',
      'spec:',
      '  zoneRef: { name: geo-example }',
      '  hostname: bad.geo.example.com',
      '  policy: weighted',
      '  targets:',
      '    - { name: a, addresses: [192.0.2.1], location: {}, weight: 0 }',
    ].join('\n');
    const result = await kubectl.run(['apply', '-f', '-'], bad);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'The GeoEndpoint "bad" is invalid: spec.targets: Invalid value: "array": the weighted policy needs at least one target with weight > 0',
    );
  });

  it('refuses an unknown field at apply (kubectl asks for strict field validation)', async () => {
    const result = await kubectl.run(
      ['apply', '-f', '-'],
      'apiVersion: geodns.io/v1alpha1\nkind: HealthProbe\nmetadata: { name: x, namespace: web }\nspec: { type: TCP, port: 1, colour: red }\n',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown field "spec.colour"');
  });

  it('deletes', async () => {
    const result = await kubectl.run(['delete', 'ge', 'www', '-n', 'web']);
    expect(result.stdout.trim()).toBe('geoendpoint.geodns.io "www" deleted');
    const gone = await kubectl.run(['get', 'ge', 'www', '-n', 'web']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): geoendpoints.geodns.io "www" not found');
  });
});
