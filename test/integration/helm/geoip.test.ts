// Where the DNS pods get a GeoIP database from: sources that cannot hold one, and refresh settings that cannot
// work, are refused at `helm install` / `helm template` with a message naming the value and what to set instead.
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../support/helm-render.ts';

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
  it.each(refused)('refuses $what, naming the value', async ({ set, setJson, message }) => {
    const result = await renderChart({ set, ...(setJson ? { setJson } : {}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
