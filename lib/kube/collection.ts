// One collection of the API (a path such as /api/v1/namespaces/web/configmaps or /apis/geodns.io/v1alpha1/geozones,
// with optional selectors) as the reflector lists and watches it, through client-node's authentication and Watch.
// The list is a plain GET read as JSON, like client-go's dynamic client: objects from lists and from watch events
// then have the same shape (client-node's typed lists would turn timestamps into Dates, its watches do not), and
// one function serves every kind.
import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, Watch } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';
import type { Listed, ListWatchClient } from './reflector.ts';

export interface Collection {
  /** The collection's path on the API server, without a query. */
  path: string;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** A list that takes longer than this is abandoned and retried. */
const LIST_TIMEOUT_MS = 30_000;
/**
 * Watches are asked to end after 20 to 28 s (jittered, so that clients do not renew in step): before client-node's
 * 30 s inactivity timeout, which then only fires when something is wrong. A watch the server ends cleanly confirms
 * the view current and keeps its connection for the next request.
 */
const WATCH_TIMEOUT_SECONDS = [20, 28] as const;

const http = new IsomorphicFetchHttpLibrary();

function selectors(collection: Collection): Record<string, string> {
  return {
    ...(collection.labelSelector ? { labelSelector: collection.labelSelector } : {}),
    ...(collection.fieldSelector ? { fieldSelector: collection.fieldSelector } : {}),
  };
}

/** GETs the collection; throws an ApiException with the status when the server refuses. */
async function list<T>(kubeConfig: KubeConfig, collection: Collection, signal: AbortSignal): Promise<Listed<T>> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('no Kubernetes cluster configured');
  const url = new URL(server + collection.path);
  for (const [key, value] of Object.entries(selectors(collection))) url.searchParams.set(key, value);
  const context = new RequestContext(url.toString(), HttpMethod.GET);
  context.setHeaderParam('Accept', 'application/json');
  await kubeConfig.applySecurityAuthentication(context);
  context.setSignal(AbortSignal.any([signal, AbortSignal.timeout(LIST_TIMEOUT_MS)]));
  const response = await http.send(context).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode !== 200) {
    throw new ApiException(response.httpStatusCode, `listing ${collection.path}`, text, response.headers);
  }
  const body = JSON.parse(text) as { items?: T[] | null; metadata?: { resourceVersion?: string } };
  return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
}

/** client-node's list and watch of `collection`, as the reflector wants them. */
export function collectionClient<T>(kubeConfig: KubeConfig, collection: Collection): ListWatchClient<T> {
  const watcher = new Watch(kubeConfig);
  const [low, high] = WATCH_TIMEOUT_SECONDS;
  return {
    list: (signal) => list<T>(kubeConfig, collection, signal),
    watch(resourceVersion, onEvent, signal, opened) {
      return new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        let ended = false;
        const onAbort = () => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (error: unknown) => {
          ended = true;
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        };
        const query = {
          ...selectors(collection),
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: low + Math.floor(Math.random() * (high - low + 1)),
        };
        // client-node resolves once the server has answered (200: the stream is open), and also after a refusal,
        // which it has already passed to done.
        watcher.watch(collection.path, query, onEvent, done).then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
          else if (!ended) opened?.();
        }, done);
      });
    },
  };
}
