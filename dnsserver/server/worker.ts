// A DNS worker thread: binds UDP and TCP on every listen address (SO_REUSEPORT, so N workers share a port),
// answers from its own copy of the zones and the health table, and counts what it answers.
import { parentPort, workerData } from 'node:worker_threads';
import { createHash, randomBytes } from 'node:crypto';
import { createHandler, ServerState, type QueryEvent } from '../handler.ts';
import { openGeoDatabase } from '../geoip/database.ts';
import { GeodnsMetrics, qtypeLabel, rcodeLabel, workerMetricsSnapshot } from '../observability/metrics.ts';
import { createLogger, QueryLog } from '../observability/log.ts';
import type { QueryHandler } from '../wire/types.ts';
import { startUdpServer, type UdpServer } from '../transport/udp.ts';
import { startTcpServer, type TcpServer } from '../transport/tcp.ts';
import { QueryCounter } from './query-counter.ts';
import type { FromWorker, ToWorker, WorkerOptions } from './messages.ts';

const port = parentPort;
if (!port) throw new Error('dnsserver/server/worker.ts runs as a worker thread');
const options = workerData as WorkerOptions;
const log = createLogger({ level: options.logLevel, name: 'dns-worker' });
const send = (message: FromWorker) => port.postMessage(message);

const metrics = new GeodnsMetrics();
const counter = new QueryCounter();
const state = new ServerState({
  geoip: await openGeoDatabase(options.geoipPath).catch((error: unknown) => {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }),
});

// DNS cookies (RFC 7873 / 9018 style): the server cookie is a keyed hash of the client cookie; the secret is per
// process, so a client simply gets a fresh server cookie after a restart.
const cookieSecret = randomBytes(16);
const serverCookie = (clientCookie: Buffer): Buffer =>
  createHash('sha256').update(cookieSecret).update(clientCookie).digest().subarray(0, 16);

state.setZones(options.initialZones);
state.setHealth(options.initialHealth);
metrics.setZones(options.initialZones);

const queryLog = new QueryLog(log, options.querySampleRate);
let lastEvent: QueryEvent | undefined;
const handler = createHandler(state, {
  observe: (event) => {
    counter.count(event);
    lastEvent = event;
  },
  serverCookie,
  onError: (error, query) => log.error({ err: error, qname: query.qname, qtype: query.qtype }, 'answering failed'),
});

// Timing every query would cost a measurable share of the hot path, so the duration histogram samples one query
// in DURATION_SAMPLE (documented in docs/observability.md); the query log times the queries it logs.
const DURATION_SAMPLE = 8;
let sequence = 0;
const timedHandler: QueryHandler = (message, client) => {
  if (++sequence % DURATION_SAMPLE !== 0 && !queryLog.enabled) return handler(message, client);
  lastEvent = undefined;
  const start = performance.now();
  const response = handler(message, client);
  const elapsedMs = performance.now() - start;
  if (sequence % DURATION_SAMPLE === 0) metrics.observeRequestDuration(client.transport, elapsedMs / 1000);
  if (queryLog.enabled && lastEvent) {
    const event: QueryEvent = lastEvent;
    queryLog.log({
      client: client.address,
      transport: client.transport,
      qname: event.qname,
      qtype: qtypeLabel(event.qtype),
      rcode: rcodeLabel(event.rcode),
      ...(event.policy !== undefined ? { policy: event.policy } : {}),
      ...(event.target !== undefined ? { target: event.target } : {}),
      ...(event.ecs ? { ecs: 'yes' } : {}),
      durationMs: elapsedMs,
    });
  }
  return response;
};

const onTransportError = (error: unknown, where: string) => log.warn({ err: error, where }, 'transport error');
const udpServers: UdpServer[] = [];
const tcpServers: TcpServer[] = [];
try {
  for (const address of options.listen) {
    const udp = await startUdpServer({ ...address, handler: timedHandler, reusePort: true, onError: onTransportError });
    udpServers.push(udp);
    // Port 0: TCP takes the port UDP got, so one number serves both.
    const tcp = await startTcpServer({
      host: address.host,
      port: udp.port,
      handler: timedHandler,
      reusePort: true,
      idleTimeoutMs: options.tcpIdleTimeoutMs,
      maxConnections: options.tcpMaxConnections,
      onError: onTransportError,
    });
    tcpServers.push(tcp);
  }
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
  throw error;
}
send({
  type: 'listening',
  addresses: [
    ...udpServers.map((s) => ({ transport: 'udp' as const, host: s.address, port: s.port })),
    ...tcpServers.map((s) => ({ transport: 'tcp' as const, host: s.address, port: s.port })),
  ],
});

async function drain(timeoutMs: number): Promise<void> {
  await Promise.all([...udpServers.map((s) => s.close()), ...tcpServers.map((s) => s.drain(timeoutMs))]);
  send({ type: 'drained' });
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'zones':
      state.setZones(message.zones);
      metrics.setZones(message.zones);
      send({ type: 'loaded', serials: Object.fromEntries(message.zones.map((z) => [z.zone, z.serial])) });
      break;
    case 'health':
      state.setHealth(message.table);
      break;
    case 'metrics':
      counter.flushInto(metrics);
      void workerMetricsSnapshot(metrics).then((snapshot) =>
        send({ type: 'metrics', requestId: message.requestId, metrics: snapshot }),
      );
      break;
    case 'drain':
      void drain(message.timeoutMs);
      break;
  }
});
