// Services the cluster set imports through the Multi-Cluster Services API: compile serves an import's addresses
// where this cluster lacks the Service, names it in status.targets, prefers it to a peer's document, and never to a
// local Service.
import { describe, expect, it } from 'vitest';
import {
  compile,
  type CompileInput,
  type ImportedServiceInfo,
  type PeerTargetInfo,
} from '../../../../operator/compile/index.ts';
import { endpoint, input, target } from '../../../support/resources.ts';
import { doc } from '../../../support/compile-output.ts';

const IMPORT: ImportedServiceInfo = {
  namespace: 'web',
  name: 'www-eu',
  clusters: ['eu', 'eu-2'],
  addresses: ['192.0.2.81', '2001:db8::81'],
  clusterIPs: ['198.18.0.10'],
};
const PEER: PeerTargetInfo = {
  id: 'web/www/eu',
  peer: 'eu',
  service: { namespace: 'web', name: 'www-eu' },
  addresses: ['192.0.2.80'],
};

function compiled(fields: Partial<CompileInput> = {}, targets = [target('eu', { service: { name: 'www-eu' } })]) {
  return compile(
    input({
      endpoints: [
        endpoint('web', 'www', {
          policy: 'multivalue',
          targets: [...targets, target('us', { addresses: ['198.51.100.80'] })],
        }),
      ],
      serviceImports: [IMPORT],
      ...fields,
    }),
  );
}

const served = (out: ReturnType<typeof compile>) =>
  Object.fromEntries((doc(out).routed[0]?.targets ?? []).map((t) => [t.name, t.addresses]));
const result = (out: ReturnType<typeof compile>) =>
  out.results.find((r) => r.kind === 'GeoEndpoint' && r.name === 'www');
const sourceOf = (out: ReturnType<typeof compile>, name: string) =>
  result(out)?.summary?.targets?.find((t) => t.name === name)?.source;
const resolvedRefs = (out: ReturnType<typeof compile>) =>
  result(out)?.conditions.find((c) => c.type === 'ResolvedRefs');

describe('Services imported through the Multi-Cluster Services API', () => {
  it("serves an import's addresses (both families) for a Service this cluster lacks, naming the import", () => {
    const out = compiled();
    expect(served(out)).toEqual({ eu: ['192.0.2.81', '2001:db8::81'], us: ['198.51.100.80'] });
    expect(sourceOf(out, 'eu')).toBe('ServiceImport web/www-eu (clusters: eu,eu-2)');
    expect(resolvedRefs(out)?.status).toBe('True');
  });

  it("prefers the import to a peer's document, and a local Service to both", () => {
    const withPeer = compiled({ peerTargets: [PEER] });
    expect(served(withPeer)).toMatchObject({ eu: ['192.0.2.81', '2001:db8::81'] });
    expect(sourceOf(withPeer, 'eu')).toMatch(/^ServiceImport /);

    const local = compiled({
      peerTargets: [PEER],
      services: [{ namespace: 'web', name: 'www-eu', addresses: ['203.0.113.9'], ready: true }],
    });
    expect(served(local)).toMatchObject({ eu: ['203.0.113.9'] });
    expect(sourceOf(local, 'eu')).toBe('Service web/www-eu');

    const peerOnly = compiled({ peerTargets: [PEER], serviceImports: [] });
    expect(sourceOf(peerOnly, 'eu')).toBe('Peer eu: Service web/www-eu');
  });

  it('serves the ClusterSetIP for useClusterIP, and says what is missing when an import has nothing to serve', () => {
    const clusterIP = compiled({}, [target('eu', { service: { name: 'www-eu', useClusterIP: true } })]);
    expect(served(clusterIP)).toMatchObject({ eu: ['198.18.0.10'] });
    expect(sourceOf(clusterIP, 'eu')).toBe('ServiceImport web/www-eu (clusters: eu,eu-2) (ClusterIP)');

    const empty = compiled({ serviceImports: [{ ...IMPORT, clusters: [], addresses: [] }], peerTargets: [PEER] });
    expect(served(empty)).toEqual({ us: ['198.51.100.80'] });
    expect(resolvedRefs(empty)).toMatchObject({ status: 'False', reason: 'ServiceImportHasNoAddresses' });
    expect(resolvedRefs(empty)?.message).toContain(
      'target "eu": ServiceImport web/www-eu has no imported endpoints (no EndpointSlice labelled multicluster.kubernetes.io/service-name=www-eu in namespace web',
    );

    const headless = compiled({ serviceImports: [{ ...IMPORT, clusterIPs: [] }] }, [
      target('eu', { service: { name: 'www-eu', useClusterIP: true } }),
    ]);
    expect(resolvedRefs(headless)?.message).toContain('has no ClusterSetIP in spec.ips');
  });

  it("takes another namespace's import only where a ReferenceGrant allows the Service", () => {
    const out = compiled({ serviceImports: [{ ...IMPORT, namespace: 'infra' }] }, [
      target('eu', { service: { name: 'www-eu', namespace: 'infra' } }),
    ]);
    expect(served(out)).toEqual({ us: ['198.51.100.80'] });
    expect(resolvedRefs(out)?.reason).toBe('RefNotPermitted');
  });
});
