// Targets that name an Ingress or a Gateway, or a Service of another namespace: compile serves their status
// addresses where a ReferenceGrant allows the reference, leaves the target out with a condition naming what is
// missing (the grant, the object, its addresses, the kind itself) otherwise, and says in status.targets which
// object each served target's addresses came from.
import { describe, expect, it } from 'vitest';
import {
  compile,
  type CompileInput,
  type LoadBalancerInfo,
  type ReferenceGrantInfo,
  type ServiceInfo,
} from '../../../../operator/compile/index.ts';
import { endpoint, input, target } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

const INGRESS: LoadBalancerInfo = { namespace: 'web', name: 'www', addresses: ['192.0.2.31'] };
const GATEWAY: LoadBalancerInfo = { namespace: 'infra', name: 'edge', addresses: ['192.0.2.51', '2001:db8::51'] };
const SHARED: ServiceInfo = {
  namespace: 'infra',
  name: 'shared',
  addresses: ['192.0.2.41'],
  clusterIPs: ['10.0.0.41'],
  ready: true,
};
const GRANT: ReferenceGrantInfo = {
  namespace: 'infra',
  name: 'geodns-web',
  from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' }],
  to: [
    { group: '', kind: 'Service', name: 'shared' },
    { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  ],
};

const TARGETS = [
  target('edge', { gateway: { name: 'edge', namespace: 'infra' } }),
  target('ing', { ingress: { name: 'www' } }),
  target('shared', { service: { name: 'shared', namespace: 'infra' } }),
  target('dc', { addresses: ['203.0.113.7'] }),
];

function compiled(fields: Partial<CompileInput> = {}, targets = TARGETS) {
  return compile(
    input({
      services: [SHARED],
      ingresses: [INGRESS],
      gateways: [GATEWAY],
      referenceGrants: [GRANT],
      endpoints: [endpoint('web', 'www', { policy: 'multivalue', targets })],
      ...fields,
    }),
  );
}

const served = (out: ReturnType<typeof compile>) =>
  Object.fromEntries((doc(out).routed[0]?.targets ?? []).map((t) => [t.name, t.addresses]));
const summary = (out: ReturnType<typeof compile>) =>
  out.results.find((r) => r.kind === 'GeoEndpoint' && r.name === 'www')?.summary;

describe('targets from Ingresses, Gateways and other namespaces', () => {
  it('serves every kind where allowed, and status.targets names where each address came from', () => {
    const out = compiled();
    expect(served(out)).toEqual({
      dc: ['203.0.113.7'],
      edge: ['192.0.2.51', '2001:db8::51'],
      ing: ['192.0.2.31'],
      shared: ['192.0.2.41'],
    });
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web')).toMatchObject({ status: 'True' });
    expect(summary(out)?.targets).toEqual([
      { name: 'dc', source: 'addresses', addresses: ['203.0.113.7'] },
      { name: 'edge', source: 'Gateway infra/edge', addresses: ['192.0.2.51', '2001:db8::51'] },
      { name: 'ing', source: 'Ingress web/www', addresses: ['192.0.2.31'] },
      { name: 'shared', source: 'Service infra/shared', addresses: ['192.0.2.41'] },
    ]);
  });

  it('says the ClusterIP source of a useClusterIP target', () => {
    const out = compiled({}, [
      target('shared', { service: { name: 'shared', namespace: 'infra', useClusterIP: true } }),
    ]);
    expect(summary(out)?.targets).toEqual([
      { name: 'shared', source: 'Service infra/shared (ClusterIP)', addresses: ['10.0.0.41'] },
    ]);
  });

  it('leaves out the references no grant allows with RefNotPermitted naming the grant, and serves the rest', () => {
    const out = compiled({ referenceGrants: [] });
    expect(served(out)).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31'] });
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
    expect(refs.message).toBe(
      'target "edge": Gateway infra/edge is in another namespace and no ReferenceGrant in namespace infra allows it: ' +
        'one with from {group: geodns.io, kind: GeoEndpoint, namespace: web} and to {group: gateway.networking.k8s.io, ' +
        'kind: Gateway, name: edge} (or no name, for every Gateway); the target is left out; ' +
        'target "shared": Service infra/shared is in another namespace and no ReferenceGrant in namespace infra allows ' +
        'it: one with from {group: geodns.io, kind: GeoEndpoint, namespace: web} and to {group: "", kind: Service, ' +
        'name: shared} (or no name, for every Service); the target is left out',
    );
    expect(cond(out, 'GeoEndpoint', 'www', 'Accepted', 'web').status).toBe('True');
  });

  it('says the kind is not installed when the cluster lacks it, and that no grant can exist without ReferenceGrant', () => {
    const out = compiled({ gateways: [], referenceGrants: [], missingKinds: ['Gateway', 'ReferenceGrant'] });
    expect(served(out)).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31'] });
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs.reason).toBe('KindNotInstalled');
    expect(refs.message).toContain(
      'target "edge": Gateway infra/edge cannot be read: the gateway.networking.k8s.io Gateway kind is not installed in this cluster (its CRD); the target is left out',
    );
    expect(refs.message).toContain(
      '(or no name, for every Service) (the gateway.networking.k8s.io ReferenceGrant kind is not installed in this cluster); the target is left out',
    );
  });

  it('says the operator may not read a kind its RBAC lacks, and that it cannot see grants then', () => {
    const out = compiled({ gateways: [], referenceGrants: [], forbiddenKinds: ['Gateway', 'ReferenceGrant'] });
    expect(served(out)).toEqual({ dc: ['203.0.113.7'], ing: ['192.0.2.31'] });
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs.reason).toBe('KindForbidden');
    expect(refs.message).toContain(
      'target "edge": Gateway infra/edge cannot be read: the operator is not allowed to list gateway.networking.k8s.io Gateway objects (its RBAC lacks list and watch on them',
    );
    expect(refs.message).toContain(
      '(the operator is not allowed to list gateway.networking.k8s.io ReferenceGrant objects: see its RBAC); the target is left out',
    );
  });

  it.each<[string, Partial<CompileInput>, string, string]>([
    ['an Ingress that does not exist', { ingresses: [] }, 'IngressNotFound', 'target "ing": Ingress web/www not found'],
    [
      'an Ingress without addresses yet',
      { ingresses: [{ ...INGRESS, addresses: [] }] },
      'IngressHasNoAddresses',
      'target "ing": Ingress web/www has no addresses in status.loadBalancer.ingress',
    ],
    [
      'a Gateway that does not exist',
      { gateways: [] },
      'GatewayNotFound',
      'target "edge": Gateway infra/edge not found',
    ],
    [
      'a Gateway without addresses yet',
      { gateways: [{ ...GATEWAY, addresses: [] }] },
      'GatewayHasNoAddresses',
      'target "edge": Gateway infra/edge has no addresses of type IPAddress or Hostname in status.addresses',
    ],
  ])('reports %s and serves the rest', (_what, fields, reason, message) => {
    const out = compiled(fields);
    const refs = cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web');
    expect(refs.reason).toBe(reason);
    expect(refs.message).toContain(message);
    expect(Object.keys(served(out))).toHaveLength(3);
  });

  it('serves a Gateway hostname through what it resolved to, and says so', () => {
    const hostname = { hostname: 'edge.lb.example.net', resolver: '127.0.0.1:5353', addresses: ['2001:db8::52'] };
    const out = compiled({ gateways: [{ ...GATEWAY, addresses: ['2001:db8::52'], hostnames: [hostname] }] });
    expect(served(out).edge).toEqual(['2001:db8::52']);
    expect(cond(out, 'GeoEndpoint', 'www', 'ResolvedRefs', 'web').message).toContain(
      `target "edge": Gateway infra/edge's load-balancer hostname edge.lb.example.net resolved to 2001:db8::52 through 127.0.0.1:5353`,
    );
  });
});
