// The client-node glue of the in-cluster source that runs without a server: which namespace it watches, and how
// it tells API errors in its logs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { describeApiError, resolveNamespace } from '../../dnsserver/sources/cluster.ts';
import { tempDir } from '../config/fixtures.ts';

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

describe('resolveNamespace', () => {
  it('takes the option, else the pod’s namespace, else the context’s, else default', async () => {
    const made = await tempDir();
    removals.push(made.remove);
    const podFile = path.join(made.path, 'namespace');
    await writeFile(podFile, 'geodns-system\n');
    const missing = path.join(made.path, 'missing');
    expect(resolveNamespace('explicit', kubeConfig('ctx'), podFile)).toBe('explicit');
    expect(resolveNamespace(undefined, kubeConfig('ctx'), podFile)).toBe('geodns-system');
    expect(resolveNamespace(undefined, kubeConfig('ctx'), missing)).toBe('ctx');
    expect(resolveNamespace(undefined, kubeConfig(), missing)).toBe('default');
  });
});

describe('describeApiError', () => {
  it('gives the status and the API server’s message, or the network error’s code', () => {
    const forbidden = new ApiException(
      403,
      'long text with headers',
      JSON.stringify({ kind: 'Status', message: 'configmaps is forbidden: User "x" cannot list resource' }),
      {},
    );
    expect(describeApiError(forbidden)).toBe('HTTP 403: configmaps is forbidden: User "x" cannot list resource');
    expect(describeApiError(new ApiException(500, 'x', 'not json', {}))).toBe('HTTP 500');
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect(describeApiError(refused)).toBe('fetch failed: ECONNREFUSED');
    expect(describeApiError(Object.assign(new Error('Too Many Requests'), { statusCode: 429 }))).toBe(
      'HTTP 429: Too Many Requests',
    );
  });
});
