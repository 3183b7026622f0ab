import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledZone } from '../../../api/compiled.ts';
import { runCli } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';

let dir = '';
let removeDir: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('compile'));
});
afterAll(async () => {
  await removeDir?.();
});

describe('geodns compile', () => {
  it('compiles examples/standalone to one zone document on stdout', async () => {
    const run = await runCli(['compile', 'examples/standalone']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const docs = JSON.parse(run.stdout) as CompiledZone[];
    expect(docs.map((d) => d.zone)).toEqual(['geo.example.com']);
    const [zone] = docs;
    expect(zone?.routed.map((r) => `${r.name} ${r.policy}`)).toEqual([
      'api.geo.example.com failover',
      'canary.geo.example.com weighted',
      'near.geo.example.com proximity',
      'pool.geo.example.com multivalue',
      'www.geo.example.com geo',
    ]);
    const types = new Set(zone?.records.map((r) => r.type));
    expect([...types].sort()).toEqual(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SRV', 'TXT']);
  });

  it('exits 1 on invalid input, prints the exact problem and nothing on stdout', async () => {
    const run = await runCli(['compile', 'examples/standalone', 'test/fixtures/invalid/out-of-range.yaml']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: test/fixtures/invalid/out-of-range.yaml: document 2 (GeoEndpoint web/www), line 23: spec.targets[0].weight: must be <= 1000\n',
    );
  });

  it('exits 1 when the compiler refuses a resource (a Service without addresses), writing nothing', async () => {
    const out = join(dir, 'refused');
    const run = await runCli(['compile', '--out-dir', out, 'examples/cluster']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      'error: GeoEndpoint web/www: ResolvedRefs=False (ServiceHasNoAddresses): target "eu-frankfurt": Service web/www-eu-frankfurt has no ClusterIP',
    );
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('resolves service targets from Service documents in standalone mode', async () => {
    const services = join(dir, 'services.yaml');
    // The cluster addresses the API server would have allocated (the example's targets serve them).
    const text = (await readFile('examples/cluster/services.yaml', 'utf8'))
      .split('\n---\n')
      .map((doc, i) => doc.replace('\nspec:\n', `\nspec:\n  clusterIP: 10.96.0.${100 + i}\n`))
      .join('\n---\n');
    await writeFile(services, text);
    const run = await runCli([
      'compile',
      'examples/cluster/zone.yaml',
      'examples/cluster/endpoints.yaml',
      'examples/cluster/probes.yaml',
      services,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [zone] = JSON.parse(run.stdout) as CompiledZone[];
    const www = zone?.routed.find((r) => r.name === 'www.geo.example.com');
    expect(www?.targets.find((t) => t.name === 'eu-frankfurt')?.addresses).toEqual(['10.96.0.100']);
  });

  it('writes <apex>.json with --out-dir and keeps the serial for unchanged content with --previous', async () => {
    const out = join(dir, 'out');
    const first = await runCli(['compile', '--out-dir', out, 'examples/standalone']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(await readdir(out)).toEqual(['geo.example.com.json']);
    const before = JSON.parse(await readFile(join(out, 'geo.example.com.json'), 'utf8')) as CompiledZone;
    expect(first.stderr).toBe(`wrote ${join(out, 'geo.example.com.json')} (serial ${before.serial})\n`);

    const second = await runCli(['compile', '--out-dir', out, '--previous', out, 'examples/standalone']);
    expect(second.code).toBe(0);
    const after = JSON.parse(await readFile(join(out, 'geo.example.com.json'), 'utf8')) as CompiledZone;
    expect(after.serial).toBe(before.serial);
    expect(after.contentHash).toBe(before.contentHash);
    expect(await readdir(out)).toEqual(['geo.example.com.json']);
  });

  it("warns, and still compiles, when a name's failover time is over its zone's failoverBudget", async () => {
    const slow = join(dir, 'slow.yaml');
    await writeFile(
      slow,
      [
        'apiVersion: geodns.io/v1alpha1',
        'kind: GeoEndpoint',
        'metadata: { name: slow, namespace: web }',
        'spec:',
        '  zoneRef: { name: geo-example }',
        '  hostname: slow.geo.example.com',
        '  ttl: 600',
        '  policy: weighted',
        '  targets: [{ name: a, addresses: [192.0.2.1] }]',
        '',
      ].join('\n'),
    );
    const run = await runCli(['compile', 'examples/standalone', slow]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      "warning: GeoEndpoint web/slow: Accepted=True (FailoverOverBudget): served as slow.geo.example.com in GeoZone geo-example (policy weighted, 1 target(s)); failover can take 10m1s, over the budget of 2m0s: detection 0s (probe interval × failureThreshold + timeout) + publish 1s + TTL 10m0s; lower spec.ttl or the probe's interval or failureThreshold\n",
    );
    const [zone] = JSON.parse(run.stdout) as CompiledZone[];
    expect(zone?.routed.find((r) => r.name === 'slow.geo.example.com')?.ttl).toBe(600);
  });

  it('exits 2 on bad usage', async () => {
    const none = await runCli(['compile']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no PATH given');
    const unknown = await runCli(['compile', '--bogus', 'examples/standalone']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
  });
});
