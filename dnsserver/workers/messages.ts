// Messages between the main thread (sources, prober, metrics endpoint) and the DNS worker threads.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ListenAddress } from '../../lib/listen-address.ts';
import type { PostedZoneSlice } from './zone-stream.ts';
import type { RrlSettings } from '../rrl/limiter.ts';
import type { KeyPairText } from '../../lib/dnssec/bind.ts';
import type { UdpIo } from '../transport/udp.ts';
import type { CacheBounds } from '../answer/bounds.ts';

/** A GeoIP database as it crosses to a worker thread: shared memory, not a copy. */
export interface GeoipBytes {
  path: string;
  bytes: SharedArrayBuffer;
}

export interface WorkerOptions {
  listen: ListenAddress[];
  /** Loaded before the sockets are bound, so a worker never answers without its zones. */
  initialZones: CompiledZone[];
  initialHealth: HealthTable;
  /**
   * The GeoIP database, read once by the main thread and shared by all workers (no copy per worker). A node
   * replaces it here when a new one is swapped in, so that these options do not keep the old bytes alive.
   */
  geoip: GeoipBytes;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  querySampleRate: number;
  /** Client-error log lines a second, at most (per worker); the rest are only counted. */
  clientErrorLogRate: number;
  logLevel: string;
  /** Response rate limiting for UDP; off when undefined. Each worker keeps its own buckets. */
  rrl?: RrlSettings;
  /** The key of the DNS server cookies (cookies.ts): one per process, so that every worker accepts them. */
  cookieSecret: Uint8Array;
  /** The server identifier returned to NSID requests (RFC 5001); none when undefined. */
  nsid?: string;
  /**
   * DNSSEC signing keys (BIND key pairs, checked by the main thread); zones without keys are not signed. A node
   * replaces them here when new keys are swapped in.
   */
  dnssecKeys?: KeyPairText[];
  /** New signatures a second each node may make for UDP queries (dnssec/budget.ts); 0: unlimited. */
  dnssecSignRate?: number;
  /** Each node's cache bounds (answer/bounds.ts); default DEFAULT_CACHE_BOUNDS. */
  cacheBounds?: CacheBounds;
  /** How UDP is served, already settled by the main thread (nodes.ts): the batched addon or Node's dgram. */
  udpIo: UdpIo;
}

export type ToWorker =
  | PostedZoneSlice
  | { type: 'health'; table: HealthTable }
  | ({ type: 'geoip'; requestId: number } & GeoipBytes)
  | { type: 'dnssec-keys'; requestId: number; keys: KeyPairText[] }
  | { type: 'metrics'; requestId: number }
  | { type: 'drain'; timeoutMs: number };

export type FromWorker =
  | { type: 'zones-ack'; generation: number }
  | { type: 'listening'; addresses: { transport: 'udp' | 'tcp'; host: string; port: number }[] }
  | { type: 'metrics'; requestId: number; metrics: unknown[] }
  /** The new GeoIP database or signing keys answer from now on; or `error`, and the old ones still do. */
  | { type: 'swap-ack'; requestId: number; error?: string }
  | { type: 'drained' }
  | { type: 'fatal'; message: string };
