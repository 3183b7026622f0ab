// An API test server as the operator meets it in a cluster: our CRDs, RBAC on, the operator's ServiceAccount bound
// to exactly the rules of deploy/rbac/operator.yaml, and an administrator for the test itself.
//
// The emulator's version, kept only for what still runs on it (test/helm/dashboard.test.ts, bench/operator/lib.ts);
// the operator suites run on the real control plane through real-cluster.ts. Delete this file with test/apiserver/.
import { startWithCrds, yamlObjects } from '../apiserver/harness.ts';
import { serviceAccountUser } from '../apiserver/rbac.ts';
import type { ApiServer, ApiServerOptions } from '../apiserver/server.ts';

export const OPERATOR_NAMESPACE = 'geodns-system';
export const ADMIN_TOKEN = 'admin-token';
export const OPERATOR_TOKEN = 'operator-token';
export const DNS_TOKEN = 'dns-token';

export async function startCluster(options: Pick<ApiServerOptions, 'bookmarkIntervalMs'> = {}): Promise<ApiServer> {
  const server = await startWithCrds({
    ...options,
    rbac: true,
    // kubectl sends no bearer token over plain HTTP: the tests' kubectl is the administrator.
    anonymous: { name: 'admin', groups: ['system:masters', 'system:authenticated'] },
    tokens: {
      [ADMIN_TOKEN]: { name: 'admin', groups: ['system:masters', 'system:authenticated'] },
      [OPERATOR_TOKEN]: serviceAccountUser(OPERATOR_NAMESPACE, 'geodns-operator'),
      [DNS_TOKEN]: serviceAccountUser(OPERATOR_NAMESPACE, 'geodns-dns'),
    },
  });
  server.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
  // The API test server has no ServiceAccount kind: the tokens above stand for the accounts.
  for (const object of yamlObjects('deploy/rbac/operator.yaml', 'deploy/rbac/dnsserver.yaml')) {
    if (object.kind !== 'ServiceAccount') server.seed(object);
  }
  return server;
}
