// The client configuration both sides load shares connections between requests: 30 requests through client-node
// against a real HTTPS server on loopback take one or two TLS connections, where client-node's own KubeConfig
// opens one per request (the behaviour this works around; if an upgrade fixes it, this test says so).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../../lib/kube/kubeconfig.ts';
import { tempDir } from '../../../support/temp-dir.ts';

let server: https.Server;
let connections = 0;
let file: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'kubernetes' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  server = https.createServer({ key: pems.private, cert: pems.cert }, (request, response) => {
    const name = request.url?.split('/').pop() ?? '';
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const temp = await tempDir('kubeconfig');
  removeDir = temp.remove;
  file = path.join(temp.dir, 'kubeconfig');
  const ca = Buffer.from(pems.cert).toString('base64');
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: test, cluster: { server: 'https://127.0.0.1:${port}', certificate-authority-data: ${ca} } }]
users: [{ name: test, user: { token: secret } }]
contexts: [{ name: test, context: { cluster: test, user: test } }]
current-context: test
`,
  );
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await removeDir?.();
});

async function connectionsFor(config: KubeConfig, requests: number): Promise<number> {
  const before = connections;
  const core = config.makeApiClient(CoreV1Api);
  for (let i = 0; i < requests; i++) {
    const read = await core.readNamespacedConfigMap({ namespace: 'default', name: `cm-${i}` });
    expect(read.metadata?.name).toBe(`cm-${i}`);
  }
  return connections - before;
}

describe('loadKubeConfig', () => {
  it('reuses connections across requests', async () => {
    expect(await connectionsFor(loadKubeConfig(file), 30)).toBeLessThanOrEqual(2);
  });

  it('is needed: client-node 2.0.1 alone opens a connection per request', async () => {
    const plain = new KubeConfig();
    plain.loadFromFile(file);
    expect(await connectionsFor(plain, 30)).toBe(30);
  });

  it('refuses a kubeconfig without a cluster, naming the file', async () => {
    const empty = `${file}.empty`;
    await writeFile(empty, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig(empty)).toThrow(`no Kubernetes cluster configured in ${empty}`);
  });

  it('refuses to run on the fallback of client-node when there is no configuration at all', async () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    const { dir, remove } = await tempDir('no-kubeconfig');
    try {
      delete process.env.KUBECONFIG;
      process.env.HOME = dir;
      expect(() => loadKubeConfig()).toThrow(
        'no Kubernetes cluster configured (KUBECONFIG, ~/.kube/config or in-cluster)',
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await remove();
    }
  });
});
