// The chart's RBAC is deploy/rbac/*.yaml rule for rule: the least privilege the operator's and the DNS server's
// tests run under (test/support/operator-cluster.ts applies exactly those files to the real control plane), and nothing more.
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/serve.ts';
import { find, NAMESPACE, render, type K8sObject } from '../../support/helm-render.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
type RbacObject = K8sObject & {
  rules?: Rule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
};

async function documented(file: string): Promise<RbacObject[]> {
  const text = await readFile(path.join(REPO_ROOT, 'deploy/rbac', file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as RbacObject);
}

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

let rendered: RbacObject[];
let files: RbacObject[];
beforeAll(async () => {
  rendered = (await render()).objects.filter((o) => RBAC_KINDS.has(o.kind)) as RbacObject[];
  files = [...(await documented('operator.yaml')), ...(await documented('dnsserver.yaml'))];
});

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('the chart’s RBAC', () => {
  it('has the same objects as deploy/rbac (release geodns in geodns-system)', () => {
    expect(rendered.map(key).sort()).toEqual(files.map(key).sort());
  });

  it('has exactly the documented rules, rule for rule, in each Role and ClusterRole', () => {
    for (const file of files.filter((o) => o.rules)) {
      const ours = find(rendered, file.kind, file.metadata.name) as RbacObject;
      expect(ours.metadata.namespace).toBe(file.metadata.namespace);
      expect(ours.rules, key(file)).toEqual(file.rules);
    }
  });

  it('binds each role to the documented service account', () => {
    for (const file of files.filter((o) => o.roleRef)) {
      const ours = find(rendered, file.kind, file.metadata.name) as RbacObject;
      expect(ours.roleRef, key(file)).toEqual(file.roleRef);
      expect(ours.subjects, key(file)).toEqual(file.subjects);
    }
  });

  it('uses no wildcard verbs, resources or groups, and cluster scope only for the operator', () => {
    for (const object of rendered.filter((o) => o.rules)) {
      for (const rule of object.rules!) {
        for (const field of [rule.apiGroups, rule.resources, rule.verbs]) expect(field).not.toContain('*');
      }
    }
    const clusterScoped = rendered.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.metadata.name);
    expect(clusterScoped).toEqual(['geodns-operator', 'geodns-operator']);
  });

  it('follows the release name and namespace, keeping the rules', async () => {
    const other = (await render({ release: 'dns', namespace: 'edge' })).objects as RbacObject[];
    const role = find(other, 'Role', 'dns-geodns-dns');
    expect(role.metadata.namespace).toBe('edge');
    expect(role.rules).toEqual(find(files, 'Role', 'geodns-dns').rules);
    const binding = find(other, 'ClusterRoleBinding', 'dns-geodns-operator');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'dns-geodns-operator', namespace: 'edge' }]);
    expect(NAMESPACE).toBe('geodns-system');
  });
});
