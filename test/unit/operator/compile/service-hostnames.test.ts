// A Service target behind a load balancer that publishes a hostname: compile serves the addresses it resolved to and
// the GeoEndpoint's ResolvedRefs says where they came from, or why there are none (naming the hostname and the
// resolver's error); never the false "has no load-balancer or external addresses".
import { describe, expect, it } from 'vitest';
import { compile, type ServiceHostname, type ServiceInfo } from '../../../../operator/compile/index.ts';
import { endpoint, input, target } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

const HOST = 'lb-1.elb.example.com';
const RESOLVER = '127.0.0.1:5353';

function service(hostname: Omit<ServiceHostname, 'hostname' | 'resolver'>, ips: string[] = []): ServiceInfo {
  const resolved: ServiceHostname = { hostname: HOST, resolver: RESOLVER, ...hostname };
  return {
    namespace: 'web',
    name: 'lb',
    addresses: [...ips, ...resolved.addresses],
    hostnames: [resolved],
    clusterIPs: ['10.0.0.1'],
    ready: true,
  };
}

function compiled(info: ServiceInfo, useClusterIP = false) {
  return compile(
    input({
      services: [info],
      endpoints: [
        endpoint('web', 'www', {
          targets: [
            target('eu', { service: { name: 'lb', ...(useClusterIP ? { useClusterIP } : {}) } }),
            target('us', { addresses: ['192.0.2.99'] }),
          ],
        }),
      ],
    }),
  );
}

describe('Service targets with a load-balancer hostname', () => {
  it('serves the resolved addresses and says the hostname was resolved, through which resolver', () => {
    const out = compiled(service({ addresses: ['127.0.0.2', '::1'] }));
    expect(doc(out).routed[0]?.targets.find((t) => t.name === 'eu')?.addresses).toEqual(['127.0.0.2', '::1']);
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
      message: `all 2 target(s) resolved; target "eu": Service web/lb's load-balancer hostname ${HOST} resolved to 127.0.0.2, ::1 through ${RESOLVER}`,
    });
  });

  it('while resolution fails, serves the last good addresses and says so with the error and until when', () => {
    const out = compiled(
      service({
        addresses: ['127.0.0.2'],
        error: `queryA ETIMEOUT ${HOST}`,
        kept: { resolvedAt: '2026-12-06T09:00:00.000Z', until: '2026-12-06T10:00:00.000Z' },
      }),
    );
    expect(doc(out).routed[0]?.targets.find((t) => t.name === 'eu')?.addresses).toEqual(['127.0.0.2']);
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web')).toMatchObject({
      status: 'False',
      reason: 'HostnameResolutionFailed',
      message:
        `target "eu": Service web/lb's load-balancer hostname ${HOST} could not be resolved through ${RESOLVER}: ` +
        `queryA ETIMEOUT ${HOST}; serving its last good addresses 127.0.0.2 (resolved 2026-12-06T09:00:00.000Z) ` +
        'until 2026-12-06T10:00:00.000Z at the latest',
    });
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'web').status).toBe('True');
  });

  it('leaves the target out when resolution fails with nothing to keep, and the rest of the name is served', () => {
    const out = compiled(service({ addresses: [], error: `queryA ECONNREFUSED ${HOST}` }));
    expect(doc(out).routed[0]?.targets.map((t) => t.name)).toEqual(['us']);
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs).toMatchObject({ status: 'False', reason: 'HostnameResolutionFailed' });
    expect(refs.message).toBe(
      `target "eu": Service web/lb's load-balancer hostname ${HOST} could not be resolved through ${RESOLVER}: ` +
        `queryA ECONNREFUSED ${HOST}; no earlier answer to keep; the target is left out`,
    );
    expect(refs.message).not.toMatch(/no load-balancer or external addresses/);
  });

  it('says a hostname without records has none (an answer, not a failure), and one not resolved yet is pending', () => {
    const empty = cond(compiled(service({ addresses: [] })), 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(empty).toMatchObject({
      status: 'False',
      reason: 'HostnameHasNoAddresses',
      message: `target "eu": Service web/lb's load-balancer hostname ${HOST} has no A or AAAA records (through ${RESOLVER}); the target is left out`,
    });
    const pending = cond(
      compiled(service({ addresses: [], pending: true })),
      'GeoEndpoint',
      'www',
      'ResolvedRefs',
      'web',
    );
    expect(pending).toMatchObject({ status: 'False', reason: 'HostnameNotResolvedYet' });
    expect(pending.message).toContain(`${HOST} is not resolved yet`);
  });

  it('serves the IP ingress entries beside a hostname that fails, still reporting the hostname', () => {
    const out = compiled(service({ addresses: [], error: 'queryA ESERVFAIL x' }, ['127.0.1.5']));
    expect(doc(out).routed[0]?.targets.find((t) => t.name === 'eu')?.addresses).toEqual(['127.0.1.5']);
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs.reason).toBe('HostnameResolutionFailed');
    expect(refs.message).not.toMatch(/left out/);
  });

  it('a useClusterIP target ignores the hostname', () => {
    const out = compiled(service({ addresses: [], error: 'queryA ESERVFAIL x' }), true);
    expect(doc(out).routed[0]?.targets.find((t) => t.name === 'eu')?.addresses).toEqual(['10.0.0.1']);
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web')).toMatchObject({
      status: 'True',
      message: 'all 2 target(s) resolved',
    });
  });
});
