// Which objects a target may refer to: anything in its GeoEndpoint's own namespace, and an object in another
// namespace only where a Gateway API ReferenceGrant in that namespace allows GeoEndpoints of the referring namespace
// to refer to it (the owner of a namespace decides who may publish its objects). Pure.
import { GROUP } from '../../api/meta.ts';

/** The kinds a target can refer to, with their API groups as a ReferenceGrant names them ('' is the core group). */
export const REF_GROUPS = {
  Service: '',
  Ingress: 'networking.k8s.io',
  Gateway: 'gateway.networking.k8s.io',
} as const;
export type RefKind = keyof typeof REF_GROUPS;

/** An object a target refers to. */
export interface TargetRef {
  kind: RefKind;
  namespace: string;
  name: string;
}

/** A ReferenceGrant (gateway.networking.k8s.io/v1beta1) as far as it is read here. */
export interface ReferenceGrantInfo {
  namespace: string;
  name: string;
  from: readonly { group: string; kind: string; namespace: string }[];
  /** `name` absent: every object of the kind. */
  to: readonly { group: string; kind: string; name?: string }[];
}

/** 'Service web/www' */
export function describeRef(ref: TargetRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/**
 * Whether a GeoEndpoint in `from` may refer to `ref`: always in its own namespace; else the first ReferenceGrant of
 * the ref's namespace that allows it (undefined: none does).
 */
export function permittingGrant(
  from: string,
  ref: TargetRef,
  grants: readonly ReferenceGrantInfo[],
): { sameNamespace: true } | ReferenceGrantInfo | undefined {
  if (ref.namespace === from) return { sameNamespace: true };
  const group = REF_GROUPS[ref.kind];
  return grants.find(
    (grant) =>
      grant.namespace === ref.namespace &&
      grant.from.some((f) => f.group === GROUP && f.kind === 'GeoEndpoint' && f.namespace === from) &&
      grant.to.some((t) => t.group === group && t.kind === ref.kind && (t.name === undefined || t.name === ref.name)),
  );
}

/** What status says when no grant allows a reference: which grant would. */
export function missingGrant(from: string, ref: TargetRef): string {
  const group = REF_GROUPS[ref.kind];
  return (
    `${describeRef(ref)} is in another namespace and no ReferenceGrant in namespace ${ref.namespace} allows it: ` +
    `one with from {group: ${GROUP}, kind: GeoEndpoint, namespace: ${from}} and ` +
    `to {group: ${group === '' ? '""' : group}, kind: ${ref.kind}, name: ${ref.name}} (or no name, for every ${ref.kind})`
  );
}
