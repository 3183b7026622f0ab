// deploy/kube-geodns.yaml (the plain-kubectl install) is the chart's rendering, and every object in it is valid.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PLAIN_MANIFESTS, renderPlainManifests } from '../../../scripts/plain-manifests.ts';
import { parseRendered, validateObject, type K8sObject } from '../../support/helm-render.ts';

describe('deploy/kube-geodns.yaml', () => {
  it('is the chart rendered with its defaults (npm run gen:deploy after changing the chart)', async () => {
    expect(await readFile(PLAIN_MANIFESTS, 'utf8')).toBe(await renderPlainManifests());
  });

  it('holds the namespace first, no helm test pod, and objects valid against their schemas', async () => {
    const { objects } = parseRendered(await readFile(PLAIN_MANIFESTS, 'utf8'));
    expect(objects[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'geodns-system' } });
    expect(objects.some((o) => o.kind === 'Pod')).toBe(false);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual([
      'geodns-dns',
      'geodns-operator',
    ]);
    for (const object of objects) await validateObject(object);
  });

  it('says its objects are managed by kubectl: no helm release owns them', async () => {
    const text = await readFile(PLAIN_MANIFESTS, 'utf8');
    const { objects } = parseRendered(text);
    const labelled = [
      ...objects,
      ...objects.flatMap((o) => {
        const template = (o as { spec?: { template?: { metadata?: K8sObject['metadata'] } } }).spec?.template;
        return template?.metadata ? [{ kind: `${o.kind} pod template`, metadata: template.metadata }] : [];
      }),
    ];
    for (const object of labelled.slice(1)) {
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by'], `${object.kind} ${object.metadata.name}`).toBe(
        'kubectl',
      );
      expect(Object.keys(object.metadata.annotations ?? {}).filter((a) => a.startsWith('meta.helm.sh/'))).toEqual([]);
    }
    expect(text).not.toMatch(/managed-by: Helm/);
  });
});
