// Authentication by bearer token and the RBAC authorizer: Roles, ClusterRoles and their bindings, read from the
// server's own store (so a test applies the chart's RBAC exactly as written). system:masters may do anything;
// every authenticated user may read discovery, /version and /openapi, as the default ClusterRoles allow.
import { typeKey } from './kinds.ts';
import type { Store } from './store.ts';
import { isRecord, type JsonObject } from './types.ts';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface Attributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string | undefined;
  name: string | undefined;
}

const RBAC = 'rbac.authorization.k8s.io';

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function ruleAllows(rule: JsonObject, a: Attributes): boolean {
  const verbs = list(rule.verbs);
  if (!verbs.includes('*') && !verbs.includes(a.verb)) return false;
  const groups = list(rule.apiGroups);
  if (!groups.includes('*') && !groups.includes(a.apiGroup)) return false;
  const resources = list(rule.resources);
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk =
    resources.includes('*') ||
    resources.includes(full) ||
    (a.subresource !== '' && resources.includes(`*/${a.subresource}`));
  if (!resourceOk) return false;
  const names = list(rule.resourceNames);
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(subject: JsonObject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (subject.kind === 'User') return subject.name === user.name;
  if (subject.kind === 'Group') return typeof subject.name === 'string' && user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') {
    const ns = typeof subject.namespace === 'string' ? subject.namespace : bindingNamespace;
    return user.name === `system:serviceaccount:${ns ?? ''}:${String(subject.name)}`;
  }
  return false;
}

/** The user a ServiceAccount token stands for, with the groups the API server gives it. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

export class Authorizer {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  private rulesOf(roleRef: unknown, namespace: string | undefined): JsonObject[] {
    if (!isRecord(roleRef) || typeof roleRef.name !== 'string') return [];
    const role =
      roleRef.kind === 'ClusterRole'
        ? this.store.get(typeKey({ group: RBAC, plural: 'clusterroles' }), undefined, roleRef.name)
        : this.store.get(typeKey({ group: RBAC, plural: 'roles' }), namespace, roleRef.name);
    return role && Array.isArray(role.rules) ? role.rules.filter(isRecord) : [];
  }

  allows(user: UserInfo, a: Attributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    const bindings: { rules: JsonObject[]; subjects: JsonObject[]; namespace: string | undefined }[] = [];
    for (const b of this.store.list(typeKey({ group: RBAC, plural: 'clusterrolebindings' }))) {
      bindings.push({
        rules: this.rulesOf(b.roleRef, undefined),
        subjects: Array.isArray(b.subjects) ? b.subjects.filter(isRecord) : [],
        namespace: undefined,
      });
    }
    if (a.namespace !== undefined) {
      for (const b of this.store.list(typeKey({ group: RBAC, plural: 'rolebindings' }), a.namespace)) {
        bindings.push({
          rules: this.rulesOf(b.roleRef, a.namespace),
          subjects: Array.isArray(b.subjects) ? b.subjects.filter(isRecord) : [],
          namespace: a.namespace,
        });
      }
    }
    return bindings.some(
      (b) => b.subjects.some((s) => subjectMatches(s, user, b.namespace)) && b.rules.some((r) => ruleAllows(r, a)),
    );
  }
}

export function forbiddenMessage(user: UserInfo, a: Attributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const object = a.name ? `${what} "${a.name}"` : what;
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  return `${object} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}"${scope}`;
}
