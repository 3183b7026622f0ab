// Where the DNS pods get a GeoIP database from: sources that cannot hold one, and refresh settings that cannot
// work, are refused at `helm install` / `helm template` with a message naming the value and what to set instead;
// the sources that can, the image volume among them, are taken by a real kube-apiserver as rendered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../../tools/control-plane/control-plane.ts';
import { deployment, render, renderChart, type PodSpec } from '../../support/helm-render.ts';

const refused: { what: string; set: string[]; setJson?: string[]; message: RegExp }[] = [
  ...(['secret', 'configMap'] as const).map((source) => ({
    what: `a ${source} (at most 1 MiB: no real database fits)`,
    set: [`dns.geoip.source=${source}`],
    message: new RegExp(
      `dns\\.geoip\\.source=${source} cannot hold a GeoIP database: a Secret or ConfigMap holds at most 1 MiB.*` +
        'Set dns\\.geoip\\.source to volume .*, image .*, initContainer .* or geoipupdate',
    ),
  })),
  {
    what: 'geoipupdate writing into a read-only image volume',
    set: [
      'dns.geoip.source=image',
      'dns.geoip.file=GeoLite2-City.mmdb',
      'dns.geoip.image.reference=registry.example.com/geoip:1',
      'dns.geoip.geoipupdate.enabled=true',
      'dns.geoip.geoipupdate.secret.name=maxmind',
    ],
    message: /dns\.geoip\.geoipupdate\.enabled: an image volume is read-only.*use dns\.geoip\.source=initContainer/,
  },
  {
    what: 'geoipupdate with the embedded database',
    set: ['dns.geoip.geoipupdate.enabled=true', 'dns.geoip.geoipupdate.secret.name=maxmind'],
    message: /dns\.geoip\.geoipupdate\.enabled needs a database file to update: set dns\.geoip\.source to geoipupdate/,
  },
  {
    what: 'geoipupdate writing into a PVC mounted read-only',
    set: [
      'dns.geoip.source=volume',
      'dns.geoip.file=GeoLite2-City.mmdb',
      'dns.geoip.geoipupdate.enabled=true',
      'dns.geoip.geoipupdate.secret.name=maxmind',
    ],
    setJson: ['dns.geoip.volume={"persistentVolumeClaim":{"claimName":"geoip","readOnly":true}}'],
    message: /dns\.geoip\.volume\.persistentVolumeClaim\.readOnly is true, geoipupdate cannot write into it/,
  },
  {
    what: 'a file geoipupdate does not write',
    set: ['dns.geoip.source=geoipupdate', 'dns.geoip.file=city.mmdb', 'dns.geoip.geoipupdate.secret.name=maxmind'],
    message: /dns\.geoip\.file=city\.mmdb is not a file geoipupdate writes: .*editionIds is "GeoLite2-City"/,
  },
];

describe('dns.geoip', () => {
  it('refuses an image volume before Kubernetes 1.33, naming the value and the version', async () => {
    const set = [
      'dns.geoip.source=image',
      'dns.geoip.file=GeoLite2-City.mmdb',
      'dns.geoip.image.reference=registry.example.com/geoip:1',
    ];
    const old = await renderChart({ set, args: ['--kube-version', '1.32.4'] });
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(
      /dns\.geoip\.source=image needs image volumes, Kubernetes 1\.33 or later \(this cluster: v1\.32\.4\); use dns\.geoip\.source=initContainer/,
    );
    expect((await renderChart({ set, args: ['--kube-version', '1.33.0'] })).code).toBe(0);
  });

  it.each(refused)('refuses $what, naming the value', async ({ set, setJson, message }) => {
    const result = await renderChart({ set, ...(setJson ? { setJson } : {}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('dns.geoip on a real kube-apiserver', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane({ name: 'geodns-geoip-chart' });
    await plane.kubectl(['create', 'namespace', 'geoip']);
  }, 120_000);
  afterAll(async () => {
    await plane?.stop();
  });

  it('keeps the image volume and the geoipupdate containers of the DNS Deployment as rendered', async () => {
    const sets = [
      [
        'dns.geoip.source=image',
        'dns.geoip.file=GeoLite2-City.mmdb',
        'dns.geoip.image.reference=registry.example.com/geoip:1',
      ],
      ['dns.geoip.source=geoipupdate', 'dns.geoip.geoipupdate.secret.name=maxmind'],
    ];
    for (const set of sets) {
      const { objects } = await render({ set, namespace: 'geoip' });
      const dns = deployment(objects, 'geodns-dns');
      const { stdout } = await plane.kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'],
        {
          input: JSON.stringify(dns),
        },
      );
      const stored = (JSON.parse(stdout) as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
      const rendered = dns.spec.template.spec;
      // Not dropped as a disabled feature's field would be, nor changed.
      expect(stored.volumes?.find((v) => v.name === 'geoip')).toMatchObject(
        rendered.volumes?.find((v) => v.name === 'geoip') ?? {},
      );
      expect(stored.initContainers?.map((c) => c.name)).toEqual(rendered.initContainers?.map((c) => c.name));
      expect(stored.containers.map((c) => c.name)).toEqual(rendered.containers.map((c) => c.name));
    }
  });
});
