// values.schema.json refuses wrong values before anything renders, and says which value and why (in helm v4's
// words: `at '/json/pointer': reason`). Rules that span several values are the templates' (refusals.test.ts): helm
// prints a schema failure at the value it checked, never the cause or the fix.
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../support/helm-render.ts';

const refused: { what: string; set?: string[]; setJson?: string[]; message: RegExp | RegExp[] }[] = [
  {
    what: 'a string for a count',
    set: ['dns.replicas=three'],
    message: /at '\/dns\/replicas': got string, want integer/,
  },
  {
    what: 'zero replicas',
    set: ['operator.replicas=0'],
    message: /at '\/operator\/replicas': minimum: got 0, want 1/,
  },
  {
    what: 'a Service type that does not exist',
    set: ['dns.service.type=Ingress'],
    message: /at '\/dns\/service\/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'$/m,
  },
  {
    what: 'a misspelt traffic policy',
    set: ['dns.service.externalTrafficPolicy=local'],
    message: /at '\/dns\/service\/externalTrafficPolicy': value must be one of 'Local', 'Cluster'$/m,
  },
  {
    what: 'a privileged container port (the pods run as non-root)',
    set: ['dns.port=53'],
    message: /at '\/dns\/port': minimum: got 53, want 1,024/,
  },
  {
    what: 'a node port outside the node port range',
    set: ['dns.service.type=NodePort', 'dns.service.nodePorts.udp=53'],
    message: /at '\/dns\/service\/nodePorts\/udp': minimum: got 53, want 30,000/,
  },
  {
    what: 'geoipupdate without the Secret of the MaxMind account',
    set: ['dns.geoip.source=geoipupdate'],
    message: /at '\/dns\/geoip\/geoipupdate\/secret\/name': minLength: got 0, want 1/,
  },
  {
    what: 'a GeoIP volume without a volume source',
    set: ['dns.geoip.source=volume', 'dns.geoip.file=GeoLite2-City.mmdb'],
    message: /at '\/dns\/geoip\/volume': minProperties: got 0, want 1/,
  },
  {
    what: 'a GeoIP image volume without its image',
    set: ['dns.geoip.source=image', 'dns.geoip.file=GeoLite2-City.mmdb'],
    message: /at '\/dns\/geoip\/image\/reference': minLength: got 0, want 1/,
  },
  {
    what: 'a GeoIP init container without the path of the file in its image',
    set: ['dns.geoip.source=initContainer', 'dns.geoip.file=db.mmdb', 'dns.geoip.initContainer.image=db:1'],
    message: /at '\/dns\/geoip\/initContainer\/path': minLength: got 0, want 2/,
  },
  {
    what: 'an unknown GeoIP source',
    set: ['dns.geoip.source=maxmind'],
    message:
      /at '\/dns\/geoip\/source': value must be one of 'embedded', 'volume', 'image', 'initContainer', 'geoipupdate', 'secret', 'configMap'$/m,
  },
  {
    what: 'a misspelt key',
    set: ['dns.replica=3'],
    message: /at '\/dns': additional properties 'replica' not allowed/,
  },
  {
    what: 'a rate-limit exemption that is not a CIDR',
    setJson: ['dns.rrl.exempt=["10.0.0.1"]'],
    message: /at '\/dns\/rrl\/exempt\/0': '10\.0\.0\.1' does not match pattern/,
  },
  {
    what: 'a log level that does not exist',
    set: ['operator.logLevel=verbose'],
    message: /at '\/operator\/logLevel': value must be one of 'fatal', 'error'/,
  },
  {
    what: 'a fallback zone that is not a GeoZone name',
    setJson: ['dns.fallback.zones=["Geo_Example"]'],
    message: /at '\/dns\/fallback\/zones\/0': 'Geo_Example' does not match pattern/,
  },
  {
    what: 'a GeoZone to create without a name or an apex',
    set: ['geoZone.create=true'],
    // helm lists the errors of sibling properties in no fixed order.
    message: [
      /at '\/geoZone\/name': minLength: got 0, want 1/,
      /at '\/geoZone\/spec': missing properties [^\n]*'apex'/,
    ],
  },
  {
    what: 'a sampling rate above 1',
    set: ['dns.queryLogSample=2'],
    message: /at '\/dns\/queryLogSample': maximum: got 2, want 1/,
  },
  {
    what: 'a listen address with a port (the port is dns.port)',
    setJson: ['dns.listenAddresses=["0.0.0.0:53"]'],
    message: /at '\/dns\/listenAddresses\/0': '0\.0\.0\.0:53' does not match pattern/,
  },
  {
    what: 'a CPU request that is not a quantity',
    setJson: ['dns.resources.requests.cpu="two"'],
    message: /at '\/dns\/resources\/requests\/cpu': 'two' does not match pattern/,
  },
  {
    what: 'an image digest that is not sha256',
    set: ['image.digest=latest'],
    message: /at '\/image\/digest': 'latest' does not match pattern/,
  },
];

describe('values.schema.json', () => {
  it.each(refused)('refuses $what', async ({ set, setJson, message }) => {
    const result = await renderChart({ ...(set ? { set } : {}), ...(setJson ? { setJson } : {}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema\(s\)/);
    for (const expected of [message].flat()) expect(result.stderr).toMatch(expected);
    expect(result.stdout).toBe('');
  });
});
