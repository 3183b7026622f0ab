// Loading the client configuration both sides use: --kubeconfig FILE, else $KUBECONFIG / ~/.kube/config / the
// in-cluster service account, in a KubeConfig whose requests share connections.
//
// @kubernetes/client-node 2.0.1 gives every request a new undici Agent (KubeConfig.applySecurityAuthentication
// builds one each time), so every request opens its own TCP and TLS connection: against a real API server the
// operator had hundreds open at once while it wrote a thousand statuses, and paid a handshake for each. This
// KubeConfig keeps the first dispatcher made for a cluster, server and user and gives it to every later request,
// so requests reuse kept-alive connections as client-go's do. Credentials sent as headers (tokens, which the
// in-cluster service account rotates) are still read per request; a client certificate is read once.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

export type { KubeConfig };

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export class ConnectionReusingKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getDispatcher();
    if (!made) return;
    const cluster = this.getCurrentCluster();
    const key = JSON.stringify([cluster?.name, cluster?.server, this.getCurrentUser()?.name]);
    const kept = this.#dispatchers.get(key);
    if (!kept) {
      this.#dispatchers.set(key, made);
      return;
    }
    context.setDispatcher(kept);
    // Made for this request and never used: it holds no connection.
    void made.close();
  }
}

/** What client-node's loadFromDefault() falls back to when it finds no configuration at all. */
const CLIENT_NODE_FALLBACK = 'http://localhost:8080';

/** Loads `file`, else $KUBECONFIG / ~/.kube/config / the in-cluster service account; throws without a cluster. */
export function loadKubeConfig(file?: string): KubeConfig {
  const config = new ConnectionReusingKubeConfig();
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  const server = config.getCurrentCluster()?.server;
  // The fallback is no configuration: left in, it fails later with "HTTP protocol is not allowed", naming nothing.
  if (!server || (!file && server === CLIENT_NODE_FALLBACK && config.getCurrentUser()?.name === 'user')) {
    throw new Error(
      `no Kubernetes cluster configured${file ? ` in ${file}` : ' (KUBECONFIG, ~/.kube/config or in-cluster)'}`,
    );
  }
  return config;
}
