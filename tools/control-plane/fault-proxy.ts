// A fault-injecting proxy in front of the real kube-apiserver, for what a real server does not do on demand:
// injected 409/500/429 answers, slow answers, dropped watches, an API that goes away and comes back. Every other
// request (watch streams included) goes through unchanged with the caller's own Authorization header, so
// authentication and RBAC stay the real server's. It serves HTTPS on 127.0.0.1 with the API server's own serving
// certificate, so client-node, kubectl and the processes under test trust it as they trust the server.
//
//   const plane = await startControlPlane();
//   const proxy = await FaultProxy.start(plane);
//   await plane.serviceAccountKubeconfig('geodns-system', 'geodns-dns', file, { server: proxy.url });
//   const client = proxy.admin().makeApiClient(CoreV1Api);          // or plane.kubeconfigText({ ..., server: proxy.url })
//
//   proxy.fail({ status: 500, match: { verb: 'watch', resource: 'configmaps' } });   // until cleared
//   proxy.fail({ status: 409, count: 1, match: { verb: 'update', resource: 'leases', user: SA_USER } });
//   proxy.fail({ status: 429, retryAfterSeconds: 1, count: 3 });
//   proxy.fail({ status: 410, inStream: true, match: { verb: 'watch' } });  // 200, then an ERROR event (as watches get 410)
//   proxy.delay({ ms: 1000, match: { resource: 'leases' } });              // before forwarding ({ phase: 'response' }: after)
//   proxy.reset({ count: 1, match: { verb: 'create' } });                  // the connection broken instead of an answer
//   proxy.dropWatches();                        // every open watch broken ({ clean: true }: ended as a timeout would)
//   await proxy.goAway(); await proxy.comeBack();                // refused ('reset': accepted and broken; 'hang': no answer)
//   proxy.count({ verb: 'watch', resource: 'configmaps' });      // requests seen so far (proxy.requests: each, with its code)
//   proxy.clear();                                               // every fault and delay gone
//   await proxy.close();
//
// A match names any of verb (Kubernetes verbs: get list watch create update patch delete deletecollection),
// group, resource, subresource, namespace, name and user (the authenticated user, from a TokenReview the proxy makes
// once per token as the administrator; the TokenReviews are the administrator's requests in the audit log), plus
// `where` for anything else. Each fault applies `count` times (default: until cleared) and for `forMs` (default: until
// cleared); the first matching rule of its kind wins. The ControlPlane's own stopApiServer()/startApiServer() is the
// real outage behind the proxy (the proxy then breaks the connections it cannot forward).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';

/** What the API server's request-info filter makes of a request. */
export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  /** The authenticated user (undefined without a token, or when the token was not recognised). */
  user: string | undefined;
}

export interface Match {
  verb?: string | string[];
  group?: string;
  resource?: string | string[];
  subresource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  where?: (info: RequestInfo) => boolean;
}

interface Limits {
  /** How many matching requests it applies to (default Infinity: until cleared). */
  count?: number;
  /** For how long from now (default: until cleared). */
  forMs?: number;
  match?: Match;
}

export interface StatusFault extends Limits {
  status: number;
  /** The Status's reason (default: what the API server says for that code, AlreadyExists for a 409 on create). */
  reason?: string;
  message?: string;
  /** 429 and 503: the Retry-After header and details.retryAfterSeconds. */
  retryAfterSeconds?: number;
  /** For watches: answer 200 and send the Status as an ERROR event, as the API server reports 410 to a watch. */
  inStream?: boolean;
}

export interface DelayFault extends Limits {
  ms: number;
  /** 'request' (default): before forwarding; 'response': the API server's answer held back (the write is done). */
  phase?: 'request' | 'response';
}

/** One rule; clear() it to end it early. `hits` counts the requests it applied to. */
export interface Rule {
  readonly hits: number;
  clear(): void;
}

export interface SeenRequest extends RequestInfo {
  /** The status code sent (undefined: the connection was broken, or a watch is still open). */
  code: number | undefined;
  /** Whether the answer was an injected one (a status or a reset). */
  injected: boolean;
}

type Action = { kind: 'status'; fault: StatusFault } | { kind: 'delay'; fault: DelayFault } | { kind: 'reset' };

class ActiveRule implements Rule {
  hits = 0;
  remaining: number;
  readonly until: number;
  readonly action: Action;
  readonly limits: Limits;
  cleared = false;
  readonly #remove: (rule: ActiveRule) => void;
  constructor(action: Action, limits: Limits, remove: (rule: ActiveRule) => void) {
    this.action = action;
    this.limits = limits;
    this.#remove = remove;
    this.remaining = limits.count ?? Infinity;
    this.until = limits.forMs === undefined ? Infinity : Date.now() + limits.forMs;
  }
  live(): boolean {
    return !this.cleared && this.remaining > 0 && Date.now() < this.until;
  }
  take(): void {
    this.hits += 1;
    this.remaining -= 1;
  }
  clear(): void {
    this.cleared = true;
    this.#remove(this);
  }
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
  }
  return out;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** The API server's RequestInfoFactory, for the paths clients use (user filled in later). */
export function requestInfo(method: string, url: string): Omit<RequestInfo, 'user'> {
  const parsed = new URL(url, 'https://proxy');
  const query = parsed.searchParams;
  const parts = parsed.pathname.split('/').filter(Boolean);
  const base = {
    method,
    path: parsed.pathname,
    query,
    group: '',
    version: '',
    resource: '',
    subresource: undefined,
    namespace: undefined,
    name: undefined,
  };
  let rest: string[];
  let group = '';
  let version: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { ...base, verb: method.toLowerCase() };
  }
  if (rest.length === 0) return { ...base, group, version, verb: method.toLowerCase() };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const watchParam = query.get('watch');
  const watching = watchPath || watchParam === 'true' || watchParam === '1';
  const verb =
    method === 'GET' || method === 'HEAD'
      ? watching
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? name === undefined
                ? 'deletecollection'
                : 'delete'
              : method.toLowerCase();
  return { ...base, group, version, resource, name, subresource, namespace, verb };
}

function matches(match: Match | undefined, info: RequestInfo): boolean {
  if (!match) return true;
  const one = (want: string | string[] | undefined, have: string | undefined) =>
    want === undefined || (Array.isArray(want) ? want.includes(have ?? '') : want === have);
  return (
    one(match.verb, info.verb) &&
    one(match.group, info.group) &&
    one(match.resource, info.resource) &&
    one(match.subresource, info.subresource) &&
    one(match.namespace, info.namespace) &&
    one(match.name, info.name) &&
    one(match.user, info.user) &&
    (match.where === undefined || match.where(info))
  );
}

/** The Status body the API server sends for `code` (its wording, for the common reasons). */
export function statusBody(info: RequestInfo, fault: StatusFault): Record<string, unknown> {
  const code = fault.status;
  const reason =
    fault.reason ?? (code === 409 && info.verb === 'create' ? 'AlreadyExists' : (REASONS[code] ?? 'Unknown'));
  const qualified = info.group ? `${info.resource}.${info.group}` : info.resource;
  const details: Record<string, unknown> = {};
  if (info.name) details.name = info.name;
  if (info.group) details.group = info.group;
  if (info.resource) details.kind = info.resource;
  let message: string;
  switch (reason) {
    case 'Conflict':
      message = `Operation cannot be fulfilled on ${qualified} "${info.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`;
      break;
    case 'AlreadyExists':
      message = `${qualified} "${info.name ?? ''}" already exists`;
      break;
    case 'NotFound':
      message = `${qualified} "${info.name ?? ''}" not found`;
      break;
    case 'Forbidden':
      message = `${qualified} is forbidden: User "${info.user ?? 'system:anonymous'}" cannot ${info.verb} resource "${info.resource}" in API group "${info.group}"${info.namespace ? ` in the namespace "${info.namespace}"` : ''}: injected fault`;
      break;
    case 'TooManyRequests':
      message = 'Too many requests, please try again later.';
      break;
    case 'Expired':
      message = `too old resource version: ${info.query.get('resourceVersion') ?? '0'} (injected)`;
      break;
    case 'ServiceUnavailable':
      message = 'the server is currently unable to handle the request (injected fault)';
      break;
    case 'Timeout':
      message = 'Timeout: request did not complete within requested timeout - context deadline exceeded (injected)';
      break;
    case 'InternalError':
      message = 'Internal error occurred: injected fault';
      details.causes = [{ message: 'injected fault' }];
      break;
    default:
      message = 'injected fault';
  }
  if (fault.retryAfterSeconds !== undefined) details.retryAfterSeconds = fault.retryAfterSeconds;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: fault.message ?? message,
    reason,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    code,
  };
}

interface OpenWatch {
  info: RequestInfo;
  response: ServerResponse;
  upstream: http.ClientRequest | undefined;
  answer: IncomingMessage | undefined;
  /** Ended by dropWatches({ clean: true }): the upstream's end is not the client's error. */
  ended: boolean;
}

export type GoAwayMode = 'refuse' | 'reset' | 'hang';

export class FaultProxy {
  readonly port: number;
  readonly url: string;
  /** Every request so far, oldest first. */
  readonly requests: SeenRequest[] = [];
  readonly #plane: ControlPlane;
  readonly #server: https.Server;
  readonly #agent: https.Agent;
  readonly #ca: Buffer;
  readonly #upstream: URL;
  readonly #rules: ActiveRule[] = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #watches = new Set<OpenWatch>();
  readonly #users = new Map<string, Promise<string | undefined>>();
  #mode: 'up' | GoAwayMode = 'up';

  private constructor(plane: ControlPlane, server: https.Server, port: number) {
    this.#plane = plane;
    this.#server = server;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
    this.#ca = readFileSync(plane.caFile);
    this.#upstream = new URL(plane.url);
    this.#agent = new https.Agent({ keepAlive: true, ca: this.#ca, maxSockets: Infinity });
  }

  /** A proxy for `plane` on a free port of 127.0.0.1 (or `port`). */
  static async start(plane: ControlPlane, options: { port?: number } = {}): Promise<FaultProxy> {
    const certs = path.dirname(plane.caFile);
    const server = https.createServer({
      cert: readFileSync(path.join(certs, 'apiserver.crt')),
      key: readFileSync(path.join(certs, 'apiserver.key')),
    });
    // Watches are long: no request or idle timeouts of Node's own.
    server.requestTimeout = 0;
    server.timeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const proxy = new FaultProxy(plane, server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket: net.Socket) => proxy.#onConnection(socket));
    server.on('secureConnection', (socket: tls.TLSSocket) => proxy.#track(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      proxy.#handle(request, response).catch(() => request.socket?.destroy());
    });
    // No kubelet here, so no exec, attach or port-forward: upgrade requests are refused.
    server.on('upgrade', (_request: IncomingMessage, socket: net.Socket) => socket.destroy());
    server.on('tlsClientError', () => undefined);
    return proxy;
  }

  /** A kubeconfig's text that reaches the API server through the proxy. */
  kubeconfigText(credentials: { token: string; user: string; namespace?: string }): string {
    return this.#plane.kubeconfigText({ ...credentials, server: this.url });
  }

  /** The administrator's client-node KubeConfig, through the proxy. */
  admin(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfigText({ token: this.#plane.adminToken, user: 'admin' }));
    return config;
  }

  /** A real ServiceAccount token's kubeconfig (see ControlPlane.serviceAccountKubeconfig), through the proxy. */
  serviceAccountKubeconfig(namespace: string, name: string, file: string): Promise<string> {
    return this.#plane.serviceAccountKubeconfig(namespace, name, file, { server: this.url });
  }

  /** Answers matching requests with a Status of `status` instead of forwarding them. */
  fail(fault: StatusFault): Rule {
    return this.#add({ kind: 'status', fault }, fault);
  }

  /** Holds matching requests (or their answers) back for `ms`. Delays add to a status or reset rule's effect. */
  delay(fault: DelayFault): Rule {
    return this.#add({ kind: 'delay', fault }, fault);
  }

  /** Breaks the connection of matching requests instead of answering them. */
  reset(limits: Limits = {}): Rule {
    return this.#add({ kind: 'reset' }, limits);
  }

  /** Ends every rule. */
  clear(): void {
    for (const rule of [...this.#rules]) rule.clear();
  }

  /**
   * Ends the open watches that match: broken connections (the default), or a clean end of the stream (`clean`), as
   * when the API server's watch timeout passes. Returns how many.
   */
  dropWatches(options: { clean?: boolean; match?: Match } = {}): number {
    let dropped = 0;
    for (const watch of [...this.#watches]) {
      if (!matches(options.match, watch.info)) continue;
      dropped += 1;
      this.#watches.delete(watch);
      if (options.clean) {
        watch.ended = true;
        watch.answer?.unpipe(watch.response);
        watch.response.end();
        watch.upstream?.destroy();
      } else {
        watch.response.socket?.destroy();
        watch.upstream?.destroy();
      }
    }
    return dropped;
  }

  /** The watches open now. */
  openWatches(match?: Match): RequestInfo[] {
    return [...this.#watches].map((w) => w.info).filter((info) => matches(match, info));
  }

  /** Forgets the requests seen so far (a long test keeps the list short). */
  forgetRequests(): void {
    this.requests.length = 0;
  }

  /** How many requests matched so far. */
  count(match?: Match): number {
    return this.requests.filter((r) => matches(match, r)).length;
  }

  /**
   * Goes away: every open connection is broken, and new ones are refused (`refuse`: nothing listens on the port),
   * accepted and broken at once (`reset`), or accepted and never answered (`hang`). comeBack() ends it.
   */
  async goAway(mode: GoAwayMode = 'refuse'): Promise<void> {
    if (this.#mode !== 'up') throw new Error(`the proxy is already away (${this.#mode})`);
    this.#mode = mode;
    const closed =
      mode === 'refuse' ? new Promise<void>((resolve) => this.#server.close(() => resolve())) : Promise.resolve();
    this.#breakAll();
    await closed;
  }

  /** Answers again, on the same port. */
  async comeBack(): Promise<void> {
    const mode = this.#mode;
    if (mode === 'up') return;
    this.#breakAll(); // connections held by `hang`
    this.#mode = 'up';
    if (mode === 'refuse') {
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(this.port, '127.0.0.1', () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.clear();
    const closed = this.#server.listening
      ? new Promise<void>((resolve) => this.#server.close(() => resolve()))
      : Promise.resolve();
    this.#breakAll();
    await closed;
    this.#agent.destroy();
  }

  #breakAll(): void {
    for (const watch of this.#watches) watch.upstream?.destroy();
    this.#watches.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  #add(action: Action, limits: Limits): Rule {
    const rule = new ActiveRule(action, limits, (r) => {
      const index = this.#rules.indexOf(r);
      if (index >= 0) this.#rules.splice(index, 1);
    });
    this.#rules.push(rule);
    return rule;
  }

  #take(kind: Action['kind'], info: RequestInfo): ActiveRule | undefined {
    for (const rule of this.#rules) {
      if (rule.action.kind !== kind || !rule.live() || !matches(rule.limits.match, info)) continue;
      rule.take();
      if (rule.remaining <= 0) rule.clear();
      return rule;
    }
    return undefined;
  }

  #onConnection(socket: net.Socket): void {
    if (this.#mode === 'reset') {
      socket.destroy();
      return;
    }
    this.#track(socket);
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** The user a bearer token authenticates as, from one TokenReview per token (as the administrator). */
  #user(authorization: string | undefined): Promise<string | undefined> {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
    if (!token) return Promise.resolve(undefined);
    if (token === this.#plane.adminToken) return Promise.resolve('admin');
    let known = this.#users.get(token);
    if (!known) {
      known = this.#tokenReview(token);
      this.#users.set(token, known);
      // A review that failed (the API server away) is asked again next time.
      void known.then((user) => {
        if (user === undefined) this.#users.delete(token);
      });
    }
    return known;
  }

  #tokenReview(token: string): Promise<string | undefined> {
    const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    return new Promise((resolve) => {
      const request = https.request(
        new URL('/apis/authentication.k8s.io/v1/tokenreviews', this.#upstream),
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.#plane.adminToken}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          timeout: 5000,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            try {
              const review = JSON.parse(text) as { status?: { authenticated?: boolean; user?: { username?: string } } };
              resolve(review.status?.authenticated ? review.status.user?.username : undefined);
            } catch {
              resolve(undefined);
            }
          });
          response.on('error', () => resolve(undefined));
        },
      );
      request.on('error', () => resolve(undefined));
      request.on('timeout', () => request.destroy());
      request.end(body);
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const info: RequestInfo = {
      ...requestInfo(request.method ?? 'GET', request.url ?? '/'),
      user: await this.#user(request.headers.authorization),
    };
    const seen: SeenRequest = { ...info, code: undefined, injected: false };
    this.requests.push(seen);
    if (this.#mode === 'hang') return; // held until comeBack() or close() breaks it
    const delay = this.#take('delay', info);
    const delayFault = delay?.action.kind === 'delay' ? delay.action.fault : undefined;
    if (delayFault && (delayFault.phase ?? 'request') === 'request') {
      await new Promise((resolve) => setTimeout(resolve, delayFault.ms));
      if (response.destroyed || request.destroyed) return;
    }
    if (this.#take('reset', info)) {
      seen.injected = true;
      request.socket.destroy();
      return;
    }
    const failure = this.#take('status', info);
    if (failure?.action.kind === 'status') {
      seen.injected = true;
      request.resume(); // the body is not read
      this.#answer(info, response, failure.action.fault, seen);
      return;
    }
    this.#forward(request, response, info, seen, delayFault?.phase === 'response' ? delayFault.ms : 0);
  }

  #answer(info: RequestInfo, response: ServerResponse, fault: StatusFault, seen: SeenRequest): void {
    const status = statusBody(info, fault);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'audit-id': randomBytes(8).toString('hex'),
    };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    if (fault.inStream && info.verb === 'watch') {
      seen.code = 200;
      response.writeHead(200, { ...headers, 'transfer-encoding': 'chunked' });
      response.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    seen.code = fault.status;
    response.writeHead(fault.status, headers);
    response.end(JSON.stringify(status));
  }

  #forward(
    request: IncomingMessage,
    response: ServerResponse,
    info: RequestInfo,
    seen: SeenRequest,
    holdMs: number,
  ): void {
    const watch: OpenWatch | undefined =
      info.verb === 'watch' ? { info, response, upstream: undefined, answer: undefined, ended: false } : undefined;
    const broken = () => {
      if (watch?.ended) return;
      if (watch) this.#watches.delete(watch);
      if (!response.headersSent) request.socket.destroy();
      else response.socket?.destroy();
    };
    let hold: NodeJS.Timeout | undefined;
    const upstream = https.request(
      new URL(request.url ?? '/', this.#upstream),
      {
        method: request.method,
        headers: { ...endToEnd(request.headers), host: this.#upstream.host },
        agent: this.#agent,
        servername: 'kubernetes',
      },
      (answer) => {
        if (watch) watch.answer = answer;
        const send = () => {
          if (response.destroyed || watch?.ended) {
            answer.destroy();
            return;
          }
          seen.code = answer.statusCode;
          response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
          response.flushHeaders();
          answer.pipe(response);
          answer.on('error', broken);
          answer.on('aborted', broken);
        };
        if (holdMs > 0) hold = setTimeout(send, holdMs);
        else send();
      },
    );
    if (watch) {
      watch.upstream = upstream;
      this.#watches.add(watch);
    }
    // The API server unreachable, or the stream broken: the client's connection is broken too.
    upstream.on('error', broken);
    response.on('close', () => {
      clearTimeout(hold);
      if (watch) this.#watches.delete(watch);
      if (!upstream.destroyed && !response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  }
}
