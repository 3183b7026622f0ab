import { describe, expect, it } from 'vitest';
import { validateResource, type FieldError } from '../../../api/validate.ts';
import { formatPath, parseFieldPath } from '../../../api/cel.ts';

const API = 'geodns.io/v1alpha1';

function endpoint(
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = { name: 'www', namespace: 'web' },
) {
  return {
    apiVersion: API,
    kind: 'GeoEndpoint',
    metadata,
    spec: { zoneRef: { name: 'geo-example' }, hostname: 'www.geo.example.com', ...spec },
  };
}

function probe(spec: Record<string, unknown>) {
  return { apiVersion: API, kind: 'HealthProbe', metadata: { name: 'check', namespace: 'web' }, spec };
}

function zone(spec: Record<string, unknown>) {
  return {
    apiVersion: API,
    kind: 'GeoZone',
    metadata: { name: 'geo-example' },
    spec: { apex: 'geo.example.com', soa: { hostmaster: 'hostmaster.example.com' }, ...spec },
  };
}

function errorsOf(doc: unknown): FieldError[] {
  const result = validateResource(doc);
  return result.ok ? [] : result.errors;
}

const target = (extra: Record<string, unknown> = {}) => ({
  name: 'a',
  addresses: ['192.0.2.1'],
  location: {},
  ...extra,
});

describe('validateResource: defaults', () => {
  it('fills GeoEndpoint and target defaults and the namespace', () => {
    const result = validateResource(endpoint({ targets: [target()] }, { name: 'www' }));
    expect(result.ok).toBe(true);
    if (!result.ok || result.resource.kind !== 'GeoEndpoint') return;
    expect(result.resource.metadata.namespace).toBe('default');
    expect(result.resource.spec.policy).toBe('geo');
    expect(result.resource.spec.maxAnswers).toBe(8);
    expect(result.resource.spec.targets[0]).toMatchObject({ weight: 1, priority: 0 });
  });

  it('fills HealthProbe defaults', () => {
    const result = validateResource(probe({ type: 'HTTP', port: 8080 }));
    expect(result.ok && result.resource.spec).toEqual({
      type: 'HTTP',
      port: 8080,
      path: '/',
      expectedStatus: [{ min: 200, max: 399 }],
      insecureSkipVerify: false,
      interval: '10s',
      timeout: '2s',
      failureThreshold: 3,
      successThreshold: 1,
    });
  });

  it('fills GeoZone defaults (SOA timers, default TTL, allowedNamespaces.from)', () => {
    const result = validateResource(zone({ nameServers: [{ name: 'ns1.example.net' }], allowedNamespaces: {} }));
    expect(result.ok).toBe(true);
    if (!result.ok || result.resource.kind !== 'GeoZone') return;
    expect(result.resource.spec.soa).toEqual({
      hostmaster: 'hostmaster.example.com',
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 3600,
    });
    expect(result.resource.spec.defaultTTL).toBe(300);
    expect(result.resource.spec.allowedNamespaces?.from).toBe('All');
    expect(result.resource.metadata.namespace).toBeUndefined();
  });

  it('does not change its input', () => {
    const doc = probe({ type: 'TCP', port: 80 });
    const copy = structuredClone(doc);
    validateResource(doc);
    expect(doc).toEqual(copy);
  });

  it('runs CEL rules on defaulted values (timeout default 2s against a 1s interval)', () => {
    expect(errorsOf(probe({ type: 'HTTP', port: 80, interval: '1s' }))).toEqual([
      { path: 'spec.timeout', message: 'timeout must be shorter than interval' },
    ]);
  });
});

describe('validateResource: errors', () => {
  it('refuses what is not a mapping, and wrong apiVersion and kind', () => {
    expect(errorsOf('text')).toEqual([{ path: '', message: 'a resource must be a mapping' }]);
    expect(errorsOf({ apiVersion: 'geodns.io/v1', kind: 'GeoZone' })).toEqual([
      { path: 'apiVersion', message: 'must be geodns.io/v1alpha1 (got "geodns.io/v1")' },
    ]);
    expect(errorsOf({ apiVersion: API })).toEqual([{ path: 'kind', message: 'is required' }]);
  });

  it('reports every schema problem at once, with list indexes in the path', () => {
    expect(
      errorsOf(
        endpoint({
          ttl: -1,
          targets: [target(), target({ name: 'b', addresses: ['192.0.2.2', 'fe80::1::2'], priority: 101 })],
        }),
      ),
    ).toEqual([
      { path: 'spec.ttl', message: 'must be >= 0' },
      { path: 'spec.targets[1].addresses[1]', message: 'must be an IPv4 or IPv6 address (got "fe80::1::2")' },
      { path: 'spec.targets[1].priority', message: 'must be <= 100' },
    ]);
  });

  it('reports the metadata rules', () => {
    expect(errorsOf(endpoint({ targets: [target()] }, { namespace: 'Web' }))).toEqual([
      { path: 'metadata.name', message: 'is required' },
      {
        path: 'metadata.namespace',
        message:
          'must be a DNS-1123 label: lower case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters (got "Web")',
      },
    ]);
    expect(errorsOf({ ...probe({ type: 'TCP', port: 80 }), metadata: 'x' })).toEqual([
      { path: 'metadata', message: 'must be a mapping (got "x")' },
    ]);
  });

  it('evaluates CEL rules at their node and reports fieldPath', () => {
    expect(errorsOf(probe({ type: 'TCP', port: 80, host: 'x.example.com' }))).toEqual([
      { path: 'spec', message: 'bodyMatch and host apply to HTTP and HTTPS probes only' },
    ]);
    expect(
      errorsOf(
        probe({
          type: 'HTTP',
          port: 80,
          expectedStatus: [
            { min: 200, max: 299 },
            { min: 500, max: 400 },
          ],
        }),
      ),
    ).toEqual([{ path: 'spec.expectedStatus[1]', message: 'min must not exceed max' }]);
    expect(errorsOf(zone({ nameServers: [{ name: 'ns1.example.net' }, { name: 'ns1.example.net' }] }))).toEqual([
      { path: 'spec.nameServers', message: 'name server names must be unique' },
    ]);
    expect(
      errorsOf(zone({ nameServers: [{ name: 'ns1.example.net' }], allowedNamespaces: { from: 'Selector' } })),
    ).toEqual([{ path: 'spec.allowedNamespaces', message: 'from: Selector requires selector' }]);
  });

  it('accepts spec.dnssec.unsign only with dnssec.enabled false', () => {
    const ns = [{ name: 'ns1.example.net' }];
    expect(validateResource(zone({ nameServers: ns, dnssec: { unsign: true } })).ok).toBe(true);
    expect(validateResource(zone({ nameServers: ns, dnssec: { enabled: false, unsign: true } })).ok).toBe(true);
    expect(validateResource(zone({ nameServers: ns, dnssec: { enabled: true, unsign: false } })).ok).toBe(true);
    expect(errorsOf(zone({ nameServers: ns, dnssec: { enabled: true, unsign: true } }))).toEqual([
      { path: 'spec.dnssec.unsign', message: 'dnssec.unsign takes the zone off DNSSEC: it needs dnssec.enabled false' },
    ]);
  });

  it('checks spec.peers: unique names, peerAuth required, URLs, and defaults peerTimeout and the Secret key', () => {
    const ns = [{ name: 'ns1.example.net' }];
    const peers = [
      { name: 'eu', url: 'https://peer.eu.example.net:8443' },
      { name: 'us', url: 'http://127.0.0.1:9100/base' },
    ];
    const result = validateResource(
      zone({ nameServers: ns, peers, peerAuth: { secretRef: { name: 'geodns-peers' } } }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok || result.resource.kind !== 'GeoZone') return;
    expect(result.resource.spec.peerTimeout).toBe('30s');
    expect(result.resource.spec.peerAuth?.secretRef).toEqual({ name: 'geodns-peers', key: 'key' });
    expect(errorsOf(zone({ nameServers: ns, peers }))).toEqual([
      { path: 'spec.peerAuth', message: 'peers require peerAuth' },
    ]);
    const auth = { secretRef: { name: 's' } };
    expect(errorsOf(zone({ nameServers: ns, peerAuth: auth, peers: [peers[0], peers[0]] }))).toEqual([
      { path: 'spec.peers', message: 'peer names must be unique' },
    ]);
    const bad = errorsOf(zone({ nameServers: ns, peerAuth: auth, peers: [{ name: 'eu', url: 'ftp://x' }] }));
    expect(bad.map((e) => e.path)).toEqual(['spec.peers[0].url']);
  });

  it('says what a pattern means instead of showing the regular expression', () => {
    expect(errorsOf(probe({ type: 'TCP', port: 80, interval: '10 seconds' }))).toEqual([
      {
        path: 'spec.interval',
        message:
          'must be a duration: 1 to 4 groups of a number and h, m, s or ms (e.g. 10s, 1m30s, 500ms) (got "10 seconds")',
      },
    ]);
    expect(errorsOf(endpoint({ hostname: 'www..geo.example.com', targets: [target()] }))).toEqual([
      {
        path: 'spec.hostname',
        message:
          'must be a DNS name (labels of letters, digits, - and _, separated by dots) (got "www..geo.example.com")',
      },
    ]);
  });

  it('compares durations, not strings', () => {
    expect(errorsOf(probe({ type: 'TCP', port: 80, interval: '1m', timeout: '30s' }))).toEqual([]);
    expect(errorsOf(probe({ type: 'TCP', port: 80, interval: '900ms', timeout: '1s' }))).toEqual([
      { path: 'spec.timeout', message: 'timeout must be shorter than interval' },
    ]);
  });

  it('still checks CEL rules elsewhere when one part fails the schema', () => {
    const errors = errorsOf(
      endpoint({ targets: [target({ weight: 'heavy' }), target({ name: 'b', location: { latitude: 1 } })] }),
    );
    expect(errors).toEqual([
      { path: 'spec.targets[0].weight', message: 'must be an integer (got "heavy")' },
      { path: 'spec.targets[1].location', message: 'latitude and longitude must be given together' },
    ]);
  });
});

describe('paths', () => {
  it('formats and parses field paths', () => {
    expect(formatPath(['spec', 'targets', 1, 'addresses', 0])).toBe('spec.targets[1].addresses[0]');
    expect(formatPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    );
    expect(parseFieldPath(".targets[2].m['a.b']")).toEqual(['targets', 2, 'm', 'a.b']);
  });
});
