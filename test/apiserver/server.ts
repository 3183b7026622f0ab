// The API test server: an HTTP server on 127.0.0.1 that maps Kubernetes REST paths onto the registry, serves
// watches, discovery, OpenAPI v3 and Tables, authenticates bearer tokens, authorizes with RBAC, and can be told
// to misbehave. See docs/apiserver.md for what it emulates and what it does not.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { Catalog } from './catalog.ts';
import { Controllers } from './controllers.ts';
import { coreVersions, group, groupList, resourceList, version } from './discovery.ts';
import { ApiError, badRequest, methodNotAllowed, statusBody } from './errors.ts';
import { Faults } from './faults.ts';
import { apiVersionOf, typeKey, type ResourceType } from './kinds.ts';
import { openapiDocument, openapiIndex } from './openapi.ts';
import { Authorizer, forbiddenMessage, type Attributes, type UserInfo } from './rbac.ts';
import { Registry, type DeleteOptions, type FieldValidation, type WriteOptions } from './registry.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import { Store } from './store.ts';
import { toTable, wantsTable } from './table.ts';
import { isRecord, type JsonObject, type KubeObject } from './types.ts';
import { Watches } from './watch.ts';

export interface ApiServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Watch history kept, in events; a watch from before it gets 410 Gone. */
  historySize?: number;
  bookmarkIntervalMs?: number;
  /** Longest watch (the API server picks 30 to 60 minutes); a request's timeoutSeconds may shorten it. */
  maxWatchSeconds?: number;
  /** Bearer tokens and who they stand for. Without any, every request acts as an administrator. */
  tokens?: Record<string, UserInfo>;
  /**
   * Who a request without an Authorization header is, when tokens are set (default: nobody, 401). kubectl sends no
   * bearer token over plain HTTP, so tests that drive kubectl beside token-bound clients make it an administrator.
   */
  anonymous?: UserInfo;
  /** Authorize requests with the RBAC objects in the store (system:masters bypasses it). */
  rbac?: boolean;
  /** Objects created at start (namespaces default, kube-system and kube-public always exist). */
  objects?: KubeObject[];
}

const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export class ApiServer {
  readonly store: Store;
  readonly catalog = new Catalog();
  readonly registry: Registry;
  readonly faults = new Faults();
  readonly watches: Watches;
  private readonly controllers: Controllers;
  private readonly authorizer: Authorizer;
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private listeningPort = 0;
  private comeBackTimer: NodeJS.Timeout | undefined;

  private readonly options: ApiServerOptions;

  private constructor(options: ApiServerOptions) {
    this.options = options;
    this.store = new Store(options.historySize);
    this.registry = new Registry(this.store, this.catalog);
    this.controllers = new Controllers(this.registry, this.catalog);
    this.watches = new Watches(this.store);
    this.authorizer = new Authorizer(this.store);
    this.http = createServer((req, res) => void this.handle(req, res));
    this.http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    for (const name of ['default', 'kube-system', 'kube-public'])
      this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const object of options.objects ?? []) this.seed(object);
  }

  static async start(options: ApiServerOptions = {}): Promise<ApiServer> {
    const server = new ApiServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  /** Creates an object directly (as an administrator), e.g. the RBAC rules or fixtures of a test. */
  seed(object: KubeObject): KubeObject {
    const type = this.catalog.byKind(object.apiVersion, object.kind);
    if (!type) throw new Error(`no such kind ${object.apiVersion} ${object.kind}`);
    return this.registry.create(type, object.metadata.namespace, object, { fieldManager: 'seed' });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => {
        this.http.off('error', reject);
        const address = this.http.address();
        this.listeningPort = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  /** A kubeconfig for this server (YAML), with a bearer token when one is given. */
  kubeconfig(token?: string): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // Plain HTTP on loopback: client-node refuses http:// unless TLS verification is declared off.
      clusters: [{ name: 'apiserver', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'user', user: token ? { token } : {} }],
      contexts: [{ name: 'apiserver', context: { cluster: 'apiserver', user: 'user', namespace: 'default' } }],
      'current-context': 'apiserver',
    });
  }

  async writeKubeconfig(file: string, token?: string): Promise<void> {
    await writeFile(file, this.kubeconfig(token));
  }

  /** Ends every watch: abruptly by default (a broken connection), or cleanly. */
  dropWatches(abrupt = true): void {
    this.watches.dropAll(abrupt);
  }

  /** Forgets the watch history: every watch from an older resourceVersion gets 410 Gone. */
  expireHistory(): void {
    this.store.compact();
  }

  /** Goes away: stops listening and breaks every connection. It comes back after `ms`, or on comeBack(). */
  async goAway(ms?: number): Promise<void> {
    this.dropWatches(true);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    if (ms !== undefined) this.comeBackTimer = setTimeout(() => void this.comeBack(), ms);
  }

  /** Listens again on the same port, with the same data. */
  async comeBack(): Promise<void> {
    clearTimeout(this.comeBackTimer);
    if (!this.http.listening) await this.listen(this.listeningPort);
  }

  async close(): Promise<void> {
    clearTimeout(this.comeBackTimer);
    this.controllers.stop();
    this.dropWatches(true);
    const closed = new Promise<void>((resolve) => (this.http.listening ? this.http.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private send(
    res: ServerResponse,
    code: number,
    body: unknown,
    warnings: string[] = [],
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const h: Record<string, string | string[]> = { 'Content-Type': 'application/json', ...headers };
    if (warnings.length > 0) h.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(code, h);
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const warnings: string[] = [];
    try {
      const raw = await readBody(req);
      if (this.faults.delayMs > 0) await new Promise((r) => setTimeout(r, this.faults.delayMs));
      const failure = this.faults.take(req.method ?? 'GET', req.url ?? '/');
      if (failure) {
        const headers: Record<string, string> =
          failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
        const details =
          failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : undefined;
        this.send(
          res,
          failure.status,
          statusBody(failure.status, failure.reason, 'injected fault', details),
          [],
          headers,
        );
        return;
      }
      const user = this.authenticate(req);
      await this.route(req, res, raw, user, warnings);
    } catch (error) {
      if (error instanceof ApiError) this.send(res, error.code, error.status(), warnings, error.headers);
      else {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.send(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${message}`));
      }
    }
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const tokens = this.options.tokens;
    if (!tokens || Object.keys(tokens).length === 0) return ADMIN;
    const header = req.headers.authorization ?? '';
    if (header === '' && this.options.anonymous) return this.options.anonymous;
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const user = token !== undefined ? tokens[token] : undefined;
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }

  private authorize(user: UserInfo, a: Attributes): void {
    if (!this.options.rbac || this.authorizer.allows(user, a)) return;
    throw new ApiError(403, 'Forbidden', forbiddenMessage(user, a), {
      name: a.name,
      group: a.apiGroup,
      kind: a.resource,
    });
  }

  /** Parses /api/v1/... and /apis/GROUP/VERSION/... into a type, namespace, name and subresource. */
  private target(group: string, version: string, rest: string[]): Target | undefined {
    let namespace: string | undefined;
    let parts = rest;
    if (parts[0] === 'namespaces' && parts.length >= 3) {
      namespace = parts[1];
      parts = parts.slice(2);
    }
    const [plural, name, subresource, ...extra] = parts;
    if (!plural || extra.length > 0) return undefined;
    const type = this.catalog.find(group, version, plural);
    if (!type) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    return { type, namespace, name, subresource: subresource ?? '' };
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    user: UserInfo,
    warnings: string[],
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const types = this.catalog.all();

    if (method === 'GET') {
      const fixed: Record<string, () => unknown> = {
        '/version': () => version(),
        '/api': () => coreVersions(`127.0.0.1:${this.port}`),
        '/apis': () => groupList(types),
        '/openapi/v3': () => openapiIndex(types),
      };
      const found = fixed[path];
      if (found) return this.send(res, 200, found());
      if (['/healthz', '/livez', '/readyz'].includes(path))
        return this.send(res, 200, 'ok', [], { 'Content-Type': 'text/plain' });
      if (segments[0] === 'openapi' && segments[1] === 'v3') {
        const gv = segments[2] === 'api' ? segments.slice(3).join('/') : segments.slice(3).join('/');
        const doc = segments.length >= 4 ? openapiDocument(types, gv) : undefined;
        if (doc) return this.send(res, 200, doc);
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
      if (segments[0] === 'api' && segments.length === 2) {
        const list = resourceList(types, segments[1] ?? '');
        if (list) return this.send(res, 200, list);
      }
      if (segments[0] === 'apis' && segments.length === 2) {
        const g = group(types, segments[1] ?? '');
        if (g) return this.send(res, 200, g);
      }
      if (segments[0] === 'apis' && segments.length === 3) {
        const list = resourceList(types, `${segments[1]}/${segments[2]}`);
        if (list) return this.send(res, 200, list);
      }
    }

    let target: Target | undefined;
    if (segments[0] === 'api' && segments.length >= 3) target = this.target('', segments[1] ?? '', segments.slice(2));
    else if (segments[0] === 'apis' && segments.length >= 4)
      target = this.target(segments[1] ?? '', segments[2] ?? '', segments.slice(3));
    if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await this.resource(req, res, target, url.searchParams, raw, user, warnings);
  }

  private writeOptions(
    params: URLSearchParams,
    warnings: string[],
    req: IncomingMessage,
  ): WriteOptions & { force?: boolean } {
    const validation = params.get('fieldValidation');
    if (validation && !['Strict', 'Warn', 'Ignore'].includes(validation)) {
      throw badRequest(`fieldValidation must be one of Ignore, Warn, Strict (got ${validation})`);
    }
    const agent = (req.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown';
    return {
      dryRun: params.getAll('dryRun').includes('All'),
      fieldManager: params.get('fieldManager') ?? agent,
      fieldValidation: (validation as FieldValidation | null) ?? 'Warn',
      warnings,
      force: params.get('force') === 'true',
    };
  }

  private render(type: ResourceType, object: KubeObject, asTable: boolean, includeObject: string | null): JsonObject {
    if (asTable)
      return toTable(type, [object], { resourceVersion: object.metadata.resourceVersion }, includeObject ?? undefined);
    return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
  }

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    target: Target,
    params: URLSearchParams,
    raw: string,
    user: UserInfo,
    warnings: string[],
  ): Promise<void> {
    const { type, namespace, name, subresource } = target;
    const method = req.method ?? 'GET';
    const asTable = wantsTable(req.headers.accept);
    const includeObject = params.get('includeObject');
    if (subresource && subresource !== 'status' && !(type.plural === 'namespaces' && subresource === 'finalize')) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (subresource === 'status' && !type.status)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const watching = method === 'GET' && !name && ['1', 'true'].includes(params.get('watch') ?? '');
    const verb =
      method === 'GET'
        ? name
          ? 'get'
          : watching
            ? 'watch'
            : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PUT'
            ? 'update'
            : method === 'PATCH'
              ? 'patch'
              : method === 'DELETE'
                ? name
                  ? 'delete'
                  : 'deletecollection'
                : '';
    if (!verb || (verb === 'create' && name) || ((verb === 'update' || verb === 'patch') && !name)) {
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
    // Namespaces are addressed as /api/v1/namespaces/NAME: the "namespace" of the URL is their name.
    this.authorize(user, { verb, apiGroup: type.group, resource: type.plural, subresource, namespace, name });
    const write = () => this.writeOptions(params, warnings, req);
    const body = (): unknown => {
      try {
        return raw === '' ? {} : JSON.parse(raw);
      } catch (error) {
        throw badRequest(
          `the body of the request could not be decoded: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
    const one = (code: number, object: KubeObject) =>
      this.send(res, code, this.render(type, object, asTable, includeObject), warnings);
    const sub = subresource === 'finalize' ? undefined : subresource || undefined;

    switch (verb) {
      case 'get':
        return one(200, this.registry.get(type, namespace, name ?? ''));
      case 'list': {
        const limit = Number(params.get('limit') ?? '0');
        const result = this.registry.list(type, namespace, {
          labelSelector: params.get('labelSelector') ?? undefined,
          fieldSelector: params.get('fieldSelector') ?? undefined,
          limit: Number.isFinite(limit) ? limit : 0,
          continue: params.get('continue') ?? undefined,
        });
        const metadata: JsonObject = { resourceVersion: result.resourceVersion };
        if (result.continue) metadata.continue = result.continue;
        if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
        if (asTable) return this.send(res, 200, toTable(type, result.items, metadata, includeObject ?? undefined));
        const items = result.items.map((o) => this.render(type, o, false, null));
        return this.send(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata, items });
      }
      case 'watch': {
        const labels = labelMatcher(params.get('labelSelector') ?? undefined);
        const fields = fieldMatcher(params.get('fieldSelector') ?? undefined, type.kind);
        const requested = Number(params.get('timeoutSeconds') ?? 'NaN');
        const max = this.options.maxWatchSeconds ?? 1800;
        this.watches.serve(res, {
          type,
          namespace,
          matches: (o) => labels(o) && fields(o),
          resourceVersion: params.get('resourceVersion') ?? undefined,
          bookmarks: params.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: params.get('sendInitialEvents') === 'true',
          timeoutSeconds: Number.isFinite(requested) && requested > 0 ? Math.min(requested, max) : max,
          bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 60_000,
          render: (o) => this.render(type, o, asTable, includeObject),
        });
        return;
      }
      case 'create':
        return one(201, this.registry.create(type, namespace, body(), write()));
      case 'update':
        if (subresource === 'finalize') return one(200, this.finalizeNamespace(type, name ?? '', body()));
        return one(
          200,
          this.registry.update(type, type.namespaced ? namespace : undefined, name ?? '', body(), write(), sub),
        );
      case 'patch':
        return one(
          200,
          this.registry.patch(type, namespace, name ?? '', mediaType(req.headers['content-type']), raw, write(), sub),
        );
      case 'delete': {
        const { object, gone } = this.registry.delete(type, namespace, name ?? '', this.deleteOptions(params, body()));
        return one(gone ? 200 : 202, object);
      }
      case 'deletecollection': {
        const options = this.deleteOptions(params, body());
        const { items } = this.registry.list(type, namespace, {
          labelSelector: params.get('labelSelector') ?? undefined,
          fieldSelector: params.get('fieldSelector') ?? undefined,
        });
        const deleted = items.map(
          (o) => this.registry.delete(type, o.metadata.namespace, o.metadata.name ?? '', options).object,
        );
        const list = deleted.map((o) => this.render(type, o, false, null));
        return this.send(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: {}, items: list });
      }
    }
  }

  private deleteOptions(params: URLSearchParams, body: unknown): DeleteOptions {
    const b = isRecord(body) ? body : {};
    const policy =
      params.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
    if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw badRequest(`propagationPolicy must be one of Background, Foreground, Orphan (got ${policy})`);
    }
    const preconditions = isRecord(b.preconditions) ? b.preconditions : {};
    return {
      dryRun: params.getAll('dryRun').includes('All') || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
      propagationPolicy: policy as DeleteOptions['propagationPolicy'],
      preconditions: {
        uid: typeof preconditions.uid === 'string' ? preconditions.uid : undefined,
        resourceVersion: typeof preconditions.resourceVersion === 'string' ? preconditions.resourceVersion : undefined,
      },
    };
  }

  /** PUT /api/v1/namespaces/NAME/finalize: sets spec.finalizers (the namespace controller's last step). */
  private finalizeNamespace(type: ResourceType, name: string, body: unknown): KubeObject {
    const current = this.registry.get(type, undefined, name);
    const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
    const next = {
      ...current,
      spec: { ...(isRecord(current.spec) ? current.spec : {}), finalizers: spec.finalizers ?? [] },
    };
    const stored = this.store.put(typeKey(type), next);
    this.controllersRun();
    return stored;
  }

  private controllersRun(): void {
    this.controllers.schedule();
  }
}
