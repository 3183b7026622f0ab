// values.schema.json refuses wrong values before anything renders, and says which value and why.
import { describe, expect, it } from 'vitest';
import { renderChart } from './render.ts';

const refused: { what: string; set?: string[]; setJson?: string[]; message: RegExp }[] = [
  {
    what: 'a string for a count',
    set: ['dns.replicas=three'],
    message: /dns\.replicas: Invalid type. Expected: integer/,
  },
  {
    what: 'zero replicas',
    set: ['operator.replicas=0'],
    message: /operator\.replicas: Must be greater than or equal to 1/,
  },
  {
    what: 'a Service type that does not exist',
    set: ['dns.service.type=Ingress'],
    message: /dns\.service\.type must be one of the following: "ClusterIP", "NodePort", "LoadBalancer"/,
  },
  {
    what: 'a misspelt traffic policy',
    set: ['dns.service.externalTrafficPolicy=local'],
    message: /dns\.service\.externalTrafficPolicy must be one of the following: "Local", "Cluster"/,
  },
  {
    what: 'a privileged container port (the pods run as non-root)',
    set: ['dns.port=53'],
    message: /dns\.port: Must be greater than or equal to 1024/,
  },
  {
    what: 'a node port outside the node port range',
    set: ['dns.service.type=NodePort', 'dns.service.nodePorts.udp=53'],
    message: /dns\.service\.nodePorts\.udp: Must be greater than or equal to 30000/,
  },
  {
    what: 'several operator replicas without leader election',
    set: ['operator.replicas=2', 'operator.leaderElection.enabled=false'],
    message: /operator\.leaderElection\.enabled must be one of the following: true/,
  },
  {
    what: 'a GeoIP Secret without its name and key',
    set: ['dns.geoip.source=secret'],
    message: /dns\.geoip\.secret\.name: String length must be greater than or equal to 1/,
  },
  {
    what: 'a GeoIP volume without a volume source',
    set: ['dns.geoip.source=volume', 'dns.geoip.file=GeoLite2-City.mmdb'],
    message: /dns\.geoip\.volume: Must have at least 1 properties/,
  },
  {
    what: 'an unknown GeoIP source',
    set: ['dns.geoip.source=maxmind'],
    message: /dns\.geoip\.source must be one of the following: "embedded", "secret", "configMap", "volume"/,
  },
  {
    what: 'a misspelt key',
    set: ['dns.replica=3'],
    message: /dns: Additional property replica is not allowed/,
  },
  {
    what: 'a rate-limit exemption that is not a CIDR',
    setJson: ['dns.rrl.exempt=["10.0.0.1"]'],
    message: /dns\.rrl\.exempt\.0: Does not match pattern/,
  },
  {
    what: 'rate limiting behind SNAT (externalTrafficPolicy Cluster)',
    set: ['dns.rrl.rate=50', 'dns.service.externalTrafficPolicy=Cluster'],
    message: /dns\.service\.externalTrafficPolicy must be one of the following: "Local"/,
  },
  {
    what: 'a log level that does not exist',
    set: ['operator.logLevel=verbose'],
    message: /operator\.logLevel must be one of the following: "fatal", "error"/,
  },
  {
    what: 'a fallback zone that is not a GeoZone name',
    setJson: ['dns.fallback.zones=["Geo_Example"]'],
    message: /dns\.fallback\.zones\.0: Does not match pattern/,
  },
  {
    what: 'a GeoZone to create without a name or an apex',
    set: ['geoZone.create=true'],
    message: /geoZone\.spec: apex is required/,
  },
  {
    what: 'a ServiceMonitor without the metrics Services',
    set: ['metrics.serviceMonitor.enabled=true', 'metrics.service.enabled=false'],
    message: /metrics\.service\.enabled must be one of the following: true/,
  },
  {
    what: 'a sampling rate above 1',
    set: ['dns.queryLogSample=2'],
    message: /dns\.queryLogSample: Must be less than or equal to 1/,
  },
  {
    what: 'an image digest that is not sha256',
    set: ['image.digest=latest'],
    message: /image\.digest: Does not match pattern/,
  },
];

describe('values.schema.json', () => {
  it.each(refused)('refuses $what', async ({ set, setJson, message }) => {
    const result = await renderChart({ ...(set ? { set } : {}), ...(setJson ? { setJson } : {}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema\(s\)/);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
