// Which namespace a process works in: the option, else its pod's, else the kubeconfig context's, else default.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { podNamespace, resolveNamespace } from '../../../../lib/kube/namespace.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const removals: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const remove of removals.splice(0)) await remove();
});

function kubeConfig(namespace?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'x',
  });
  return kc;
}

async function files(): Promise<{ pod: string; empty: string; missing: string }> {
  const made = await tempDir('namespace');
  removals.push(made.remove);
  const pod = path.join(made.dir, 'namespace');
  const empty = path.join(made.dir, 'empty');
  await writeFile(pod, 'geodns-system\n');
  await writeFile(empty, '\n');
  return { pod, empty, missing: path.join(made.dir, 'missing') };
}

describe('podNamespace', () => {
  it('reads the service account’s namespace file, and is undefined without one or when it is empty', async () => {
    const { pod, empty, missing } = await files();
    expect(podNamespace(pod)).toBe('geodns-system');
    expect(podNamespace(empty)).toBeUndefined();
    expect(podNamespace(missing)).toBeUndefined();
  });
});

describe('resolveNamespace', () => {
  it('takes the option, else the pod’s namespace, else the context’s, else default', async () => {
    const { pod, missing } = await files();
    expect(resolveNamespace('explicit', kubeConfig('ctx'), pod)).toBe('explicit');
    expect(resolveNamespace(undefined, kubeConfig('ctx'), pod)).toBe('geodns-system');
    expect(resolveNamespace(undefined, kubeConfig('ctx'), missing)).toBe('ctx');
    expect(resolveNamespace(undefined, kubeConfig(), missing)).toBe('default');
  });
});
