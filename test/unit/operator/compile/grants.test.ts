// Which objects a GeoEndpoint's target may refer to: its own namespace's always, another namespace's only where a
// ReferenceGrant there names GeoEndpoints of the referring namespace (from) and the object's group, kind and name (to).
import { describe, expect, it } from 'vitest';
import {
  missingGrant,
  permittingGrant,
  type ReferenceGrantInfo,
  type TargetRef,
} from '../../../../operator/compile/grants.ts';

const SHARED: TargetRef = { kind: 'Service', namespace: 'infra', name: 'shared' };
const EDGE: TargetRef = { kind: 'Gateway', namespace: 'infra', name: 'edge' };

function grant(fields: Partial<ReferenceGrantInfo> = {}): ReferenceGrantInfo {
  return {
    namespace: 'infra',
    name: 'geodns-web',
    from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'web' }],
    to: [{ group: '', kind: 'Service', name: 'shared' }],
    ...fields,
  };
}

describe('permittingGrant', () => {
  it('permits its own namespace without any grant', () => {
    expect(permittingGrant('infra', SHARED, [])).toEqual({ sameNamespace: true });
  });

  it('permits another namespace with a grant that names the GeoEndpoint namespace and the object', () => {
    const g = grant();
    expect(permittingGrant('web', SHARED, [g])).toBe(g);
  });

  it('reads a to entry without a name as every object of that kind', () => {
    const g = grant({ to: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway' }] });
    expect(permittingGrant('web', EDGE, [g])).toBe(g);
    expect(permittingGrant('web', { ...EDGE, name: 'other' }, [g])).toBe(g);
    expect(permittingGrant('web', SHARED, [g])).toBeUndefined();
  });

  it.each<[string, Partial<ReferenceGrantInfo>]>([
    ['a grant in another namespace', { namespace: 'web' }],
    ['from another namespace', { from: [{ group: 'geodns.io', kind: 'GeoEndpoint', namespace: 'shop' }] }],
    ['from another kind', { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }] }],
    ['from another group', { from: [{ group: 'example.com', kind: 'GeoEndpoint', namespace: 'web' }] }],
    ['to another name', { to: [{ group: '', kind: 'Service', name: 'private' }] }],
    ['to the kind in another group', { to: [{ group: 'networking.k8s.io', kind: 'Service' }] }],
    ['to another kind', { to: [{ group: 'networking.k8s.io', kind: 'Ingress' }] }],
  ])('refuses %s', (_why, fields) => {
    expect(permittingGrant('web', SHARED, [grant(fields)])).toBeUndefined();
  });

  it('takes any grant of several that allows it', () => {
    const allows = grant({ name: 'second' });
    expect(permittingGrant('web', SHARED, [grant({ to: [{ group: '', kind: 'Secret' }] }), allows])).toBe(allows);
  });
});

describe('missingGrant', () => {
  it('names the grant that would allow the reference', () => {
    expect(missingGrant('web', SHARED)).toBe(
      'Service infra/shared is in another namespace and no ReferenceGrant in namespace infra allows it: one with ' +
        'from {group: geodns.io, kind: GeoEndpoint, namespace: web} and to {group: "", kind: Service, name: shared} ' +
        '(or no name, for every Service)',
    );
  });
});
