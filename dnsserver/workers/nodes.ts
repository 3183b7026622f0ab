// Every DNS node as the main thread sees them: one node in the main thread (--workers 0: no thread to start, no
// second copy of the code and zones in memory) or one in each of N worker threads sharing the port (threads.ts).
import type { Logger } from 'pino';
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { GeodnsMetrics, MetricsSnapshot } from '../observability/metrics.ts';
import { startDnsNode, type BoundAddress } from './node.ts';
import type { GeoipBytes, WorkerOptions } from './messages.ts';
import type { KeyPairText } from '../../lib/dnssec/bind.ts';
import { WorkerThreads } from './threads.ts';
import { sliceZones } from './zone-stream.ts';
import type { UdpIo } from '../transport/udp.ts';
import { chooseUdpIo, type UdpIoChoice } from '../transport/udp-native.ts';

export interface DnsNodes {
  readonly bound: BoundAddress[];
  readonly size: number;
  /** The UDP path every node serves with. */
  readonly udpIo: UdpIo;
  setZones(zones: CompiledZone[]): void;
  setHealth(table: HealthTable): void;
  /** Hands every node a new GeoIP database; resolves once all answer with it, rejects if one could not open it. */
  setGeoDatabase(geoip: GeoipBytes): Promise<void>;
  /** Hands every node new signing keys (checked by the caller); resolves once all sign with them. */
  setDnssecKeys(keys: KeyPairText[]): Promise<void>;
  /** Metrics kept outside the main registry (the workers' own), to be summed with it. */
  metrics(): Promise<MetricsSnapshot[]>;
  drain(timeoutMs: number): Promise<void>;
}

export interface DnsNodesOptions extends Omit<WorkerOptions, 'udpIo'> {
  /** native, dgram, or auto: native where the addon loads (default auto). */
  udpIo?: UdpIoChoice;
  /** Worker threads; 0 answers in the main thread. */
  workers: number;
  log: Logger;
  /** The main thread's registry: the inline node counts into it directly. */
  metrics: GeodnsMetrics;
  onWorkerExit?: (code: number) => void;
}

export async function startDnsNodes(options: DnsNodesOptions): Promise<DnsNodes> {
  const { workers, log, metrics, onWorkerExit, udpIo: choice, ...rest } = options;
  // Settled once here, so that a missing addon is logged once, not by every worker.
  const { io: udpIo, fallback } = chooseUdpIo(choice ?? 'auto');
  if (fallback) log.warn({ reason: fallback }, 'native UDP path unavailable: serving UDP with dgram');
  metrics.setUdpIo(udpIo);
  const nodeOptions: WorkerOptions = { ...rest, udpIo };
  if (workers > 0) {
    const threads = await WorkerThreads.start({ ...nodeOptions, workers, ...(onWorkerExit ? { onWorkerExit } : {}) });
    return Object.assign(threads, { udpIo });
  }
  const node = await startDnsNode(nodeOptions, log, metrics);
  let generation = 0;
  return {
    bound: node.bound,
    size: 1,
    udpIo,
    // Slice by slice with a turn of the event loop between, so queries are answered while a large zone is indexed.
    setZones: (zones) => {
      const mine = ++generation;
      void (async () => {
        for (const slice of sliceZones(zones, mine)) {
          if (mine !== generation) return;
          node.acceptZoneSlice(slice);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
    },
    setHealth: (table) => node.setHealth(table),
    setGeoDatabase: async (geoip) => node.setGeoDatabase(geoip),
    setDnssecKeys: async (keys) => node.setDnssecKeys(keys),
    metrics: async () => {
      node.flushMetrics();
      return [];
    },
    drain: (timeoutMs) => node.drain(timeoutMs),
  };
}
