// One DNS answering unit: the zones and health it answers from, and UDP + TCP sockets on every listen address
// (SO_REUSEPORT, so several units can share a port). Runs in a worker thread (thread-entry.ts) or, with --workers 0,
// in the main thread (nodes.ts).
import type { Logger } from 'pino';
import type { HealthTable } from '../../api/health.ts';
import { createHandler, ServerState, type QueryEvent } from '../handler.ts';
import { geoDatabaseFromBytes } from '../geoip/database.ts';
import type { GeodnsMetrics } from '../observability/metrics.ts';
import { QueryLog } from '../observability/log.ts';
import { ClientErrors } from '../observability/client-errors.ts';
import { LogLimiter, logSparingly } from '../observability/log-limiter.ts';
import type { QueryHandler } from '../wire/types.ts';
import { startUdpServer, type UdpServer, type UdpServerOptions } from '../transport/udp.ts';
import { startNativeUdpServer } from '../transport/udp-native.ts';
import { startTcpServer, type TcpServer } from '../transport/tcp.ts';
import { QueryCounter } from '../observability/query-counter.ts';
import { ServerCookies } from './cookies.ts';
import { ResponseRateLimiter, type RrlSettings } from '../rrl/limiter.ts';
import type { GeoipBytes, WorkerOptions } from './messages.ts';
import { ZoneAssembler, type ZoneSlice } from './zone-stream.ts';
import { parseKeyPair, type KeyPairText } from '../../lib/dnssec/bind.ts';
import { signersFor } from '../dnssec/signer.ts';
import { DEFAULT_SIGNATURES_PER_SECOND, SigningBudget } from '../dnssec/budget.ts';
import { BackgroundSigning } from '../dnssec/background.ts';
import { aheadBounds, aheadJobs, type AheadJob } from '../answer/ahead.ts';
import { DEFAULT_CACHE_BOUNDS } from '../answer/bounds.ts';

export interface BoundAddress {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export interface DnsNode {
  readonly bound: BoundAddress[];
  /** Takes one slice of a zone update (zone-stream.ts); the node swaps to the new zones when the last arrives. */
  acceptZoneSlice(slice: ZoneSlice): void;
  setHealth(table: HealthTable): void;
  /**
   * Answers with another GeoIP database from the next query on; throws (and keeps the old one) when the bytes do not
   * open. Locations and the answers remembered for them are forgotten with the old database.
   */
  setGeoDatabase(geoip: GeoipBytes): void;
  /**
   * Signs with these keys from the next query on; throws (and keeps the old ones) when they do not parse. Signed
   * answers and signatures made with the old keys go with them.
   */
  setDnssecKeys(keys: KeyPairText[]): void;
  /** Moves the queries counted since the last call into the metrics registry. */
  flushMetrics(): void;
  /** Stops accepting, lets TCP answers in flight finish (at most timeoutMs). */
  drain(timeoutMs: number): Promise<void>;
}

// Timing every query would cost a measurable share of the hot path, so the duration histogram samples one query
// in DURATION_SAMPLE (documented in docs/observability.md); the query log times the queries it logs.
const DURATION_SAMPLE = 64;
/** Ports to try for UDP and TCP together when asked for any free one (port 0). */
const PORT_ATTEMPTS = 5;

function isAddressInUse(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return typeof cause === 'object' && cause !== null && (cause as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

/** The node's rate limiter: cookies exempt, the first limited response of a network logged (sparingly). */
function rateLimiter(
  settings: RrlSettings,
  cookies: ServerCookies,
  lines: LogLimiter,
  log: Logger,
  now: () => number,
): ResponseRateLimiter {
  return new ResponseRateLimiter(settings, {
    now,
    validCookie: (cookie, address) => cookies.isValid(cookie, address),
    onLimit: (event) => logSparingly(lines, log, event, 'rate limiting responses'),
  });
}

export async function startDnsNode(options: WorkerOptions, log: Logger, metrics: GeodnsMetrics): Promise<DnsNode> {
  const counter = new QueryCounter();
  const assembler = new ZoneAssembler();
  let updateStarted = 0;
  const bounds = options.cacheBounds ?? DEFAULT_CACHE_BOUNDS;
  const state = new ServerState({
    geoip: geoDatabaseFromBytes(options.geoip.bytes, options.geoip.path),
    cacheSize: bounds.answers,
    signedCacheSize: bounds.dnssec,
  });
  const signers = (keys: readonly KeyPairText[]) => signersFor(keys.map(parseKeyPair), { cacheSize: bounds.dnssec });
  state.setZones(options.initialZones);
  metrics.setZones(options.initialZones);
  state.setHealth(options.initialHealth);
  if (options.dnssecKeys) state.setSigners(signers(options.dnssecKeys));

  const cookies = new ServerCookies(options.cookieSecret);
  // Refreshes cached signatures before they fall due, and signs in advance after each change, off the query path
  // (closed on drain).
  const background = new BackgroundSigning({
    signers: () => state.signers,
    onError: (error) => log.error({ err: error }, 'background signing failed'),
  });
  const clock = () => Date.now() / 1000;
  const ahead = aheadBounds(bounds.dnssec);
  const signAhead = (tags?: readonly string[]) => {
    if (state.signers.size === 0 || tags?.length === 0) return;
    for (const job of aheadJobs(state, clock, tags, ahead)) void background.add(logged(job, tags === undefined));
  };
  /** A summary line per finished job: at info after zones or keys changed, at debug after health did (often). */
  function* logged(job: AheadJob, info: boolean): Generator<void, void, void> {
    const summary = yield* job;
    if (summary) log[info ? 'info' : 'debug'](summary, 'DNSSEC: signed in advance');
  }
  signAhead();

  const queryLog = new QueryLog(log, options.querySampleRate);
  const now = () => performance.now();
  const clientErrors = new ClientErrors(log, new LogLimiter(options.clientErrorLogRate, now));
  const rrl = options.rrl
    ? rateLimiter(options.rrl, cookies, new LogLimiter(options.clientErrorLogRate, now), log, now)
    : undefined;
  let lastEvent: QueryEvent | undefined;
  const handler = createHandler(state, {
    observe: (event) => {
      counter.count(event);
      lastEvent = event;
    },
    serverCookie: (clientCookie, address) => cookies.make(clientCookie, address),
    queryDetail: queryLog.enabled,
    ...(rrl ? { rateLimiter: rrl } : {}),
    ...(options.nsid !== undefined ? { nsid: Buffer.from(options.nsid, 'utf8') } : {}),
    ...(options.dnssecKeys && options.dnssecSignRate !== 0
      ? { signingBudget: new SigningBudget(options.dnssecSignRate ?? DEFAULT_SIGNATURES_PER_SECOND) }
      : {}),
    onError: (error, query) => log.error({ err: error, qname: query.qname, qtype: query.qtype }, 'answering failed'),
    onClientError: (client, reason, detail) =>
      clientErrors.report(client.transport, reason, client.address, client.port, detail),
  });

  let sequence = 0;
  const timedHandler: QueryHandler<QueryEvent> = (message, client, reuse) => {
    if (++sequence % DURATION_SAMPLE !== 0 && !queryLog.enabled) return handler(message, client, reuse);
    lastEvent = undefined;
    const start = performance.now();
    const response = handler(message, client, reuse);
    const elapsedMs = performance.now() - start;
    if (sequence % DURATION_SAMPLE === 0) metrics.observeRequestDuration(client.transport, elapsedMs / 1000);
    if (queryLog.enabled && lastEvent) queryLog.logQuery(lastEvent, client, response, elapsedMs);
    return response;
  };

  // Client-caused problems go to clientErrors; what reaches here is a fault of the server: an error, with its stack.
  const onTransportError = (error: unknown, where: string) => log.error({ err: error, where }, 'transport error');
  // The native path keeps replies the handler says hold for the same query bytes, counted as the handler counted
  // them; not with the query log or RRL, which must see every query (the handler then says none may be reused).
  const replies = bounds.replies;
  const replyCache =
    replies > 0 && !queryLog.enabled && !rrl
      ? { entries: replies, onReused: (event: QueryEvent, times: number) => counter.count(event, times) }
      : undefined;
  const startUdp = (udp: Omit<UdpServerOptions, 'handler'>): Promise<UdpServer> =>
    options.udpIo === 'native'
      ? startNativeUdpServer({ ...udp, handler: timedHandler, ...(replyCache ? { replyCache } : {}) })
      : startUdpServer({ ...udp, handler: timedHandler });
  const udpServers: UdpServer[] = [];
  const tcpServers: TcpServer[] = [];
  const closeAll = () => Promise.all([...udpServers, ...tcpServers].map((s) => s.close()));
  try {
    for (const address of options.listen) {
      // Port 0: TCP takes the port UDP got, so one number serves both. That number may be taken for TCP already;
      // then both try another.
      for (let attempt = 1; ; attempt++) {
        const udp = await startUdp({
          ...address,
          reusePort: true,
          onError: onTransportError,
        });
        try {
          const tcp = await startTcpServer({
            host: address.host,
            port: udp.port,
            handler: timedHandler,
            reusePort: true,
            idleTimeoutMs: options.tcpIdleTimeoutMs,
            maxConnections: options.tcpMaxConnections,
            onError: onTransportError,
            onClientError: (reason, client, detail) =>
              clientErrors.report('tcp', reason, client.address, client.port, detail),
          });
          udpServers.push(udp);
          tcpServers.push(tcp);
          break;
        } catch (error) {
          await udp.close();
          if (address.port !== 0 || attempt >= PORT_ATTEMPTS || !isAddressInUse(error)) throw error;
        }
      }
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  state.onAnswersChanged(() => {
    for (const udp of udpServers) udp.forgetReplies();
  });

  return {
    bound: [
      ...udpServers.map((s) => ({ transport: 'udp' as const, host: s.address, port: s.port })),
      ...tcpServers.map((s) => ({ transport: 'tcp' as const, host: s.address, port: s.port })),
    ],
    acceptZoneSlice(slice) {
      if (slice.type === 'zones-begin') updateStarted = performance.now();
      const done = assembler.accept(slice);
      if (done) {
        state.setSnapshot(done.snapshot);
        signAhead();
        metrics.setZones(done.zones);
        log.info(
          {
            zones: done.zones.map((z) => ({ zone: z.zone, serial: z.serial })),
            ms: Math.round(performance.now() - updateStarted),
          },
          'zones swapped in',
        );
      }
    },
    setHealth(table) {
      signAhead(state.setHealth(table));
    },
    setGeoDatabase(geoip) {
      state.setGeoDatabase(geoDatabaseFromBytes(geoip.bytes, geoip.path));
      options.geoip = geoip;
    },
    setDnssecKeys(keys) {
      state.setSigners(signers(keys));
      options.dnssecKeys = keys;
      signAhead();
    },
    flushMetrics() {
      // UDP first: taking its counts counts the queries its reply cache answered into `counter`.
      for (const udp of udpServers) metrics.countUdp(udp.takeCounts());
      counter.flushInto(metrics);
      clientErrors.flushInto(metrics);
      if (options.dnssecKeys) metrics.countDnssec(state.takeDnssecCounts());
      if (rrl) for (const c of rrl.takeCounts()) metrics.countRateLimited(c.class, c.limited, c.slipped);
    },
    async drain(timeoutMs) {
      background.close();
      await Promise.all([...udpServers.map((s) => s.close()), ...tcpServers.map((s) => s.drain(timeoutMs))]);
    },
  };
}
