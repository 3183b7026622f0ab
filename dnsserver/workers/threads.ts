// The main thread's side of the DNS workers: starts them, hands every one the same zones and health table,
// gathers their metrics, and drains them on shutdown.
import { Worker } from 'node:worker_threads';
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { MetricsSnapshot } from '../observability/metrics.ts';
import type { FromWorker, GeoipBytes, ToWorker, WorkerOptions } from './messages.ts';
import type { KeyPairText } from '../../lib/dnssec/bind.ts';
import { sliceZones, toPosted, type ZoneSlice } from './zone-stream.ts';

import type { BoundAddress } from './node.ts';

// The bundle (dist/cli/geodns.js) runs worker.js beside it (dist/cli/worker.js); the TypeScript sources run thread-entry.ts.
/**
 * Young generation of a worker's heap. V8 grows it up to tens of MB under a steady allocation rate (every answer
 * is a fresh Buffer), and that memory stays resident; a few MB keep scavenges short and RSS flat, with no loss of
 * throughput measured (docs/serve.md, bench/RESULTS.md). The main thread gets the same with --max-semi-space-size.
 */
const WORKER_YOUNG_GENERATION_MB = 12;

const SLICES_IN_FLIGHT = 2;

/** What a worker answers with a swap-ack: a new GeoIP database or new signing keys. */
type SwapMessage = Extract<ToWorker, { type: 'geoip' | 'dnssec-keys' }>;

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './thread-entry.ts' : './worker.js', import.meta.url);

class WorkerThread {
  readonly thread: Worker;
  #metricsWaiters = new Map<number, (snapshot: MetricsSnapshot) => void>();
  #ackWaiters: (() => void)[] = [];
  #swapWaiters = new Map<number, (error: string | undefined) => void>();
  #drained: (() => void) | undefined;
  readonly listening: Promise<BoundAddress[]>;

  constructor(options: WorkerOptions, onExit: (code: number) => void) {
    this.thread = new Worker(WORKER_URL, {
      workerData: options,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.listening = new Promise((resolve, reject) => {
      this.thread.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'listening':
            resolve(message.addresses);
            break;
          case 'fatal':
            reject(new Error(message.message));
            break;
          case 'metrics':
            this.#metricsWaiters.get(message.requestId)?.(message.metrics as MetricsSnapshot);
            this.#metricsWaiters.delete(message.requestId);
            break;
          case 'drained':
            this.#drained?.();
            break;
          case 'zones-ack':
            this.#ackWaiters.shift()?.();
            break;
          case 'swap-ack':
            this.#swapWaiters.get(message.requestId)?.(message.error);
            this.#swapWaiters.delete(message.requestId);
            break;
        }
      });
      this.thread.on('error', reject);
      this.thread.on('exit', (code) => {
        reject(new Error(`DNS worker exited with code ${code} before listening`));
        for (const waiter of this.#metricsWaiters.values()) waiter([]);
        for (const waiter of this.#ackWaiters.splice(0)) waiter();
        for (const waiter of this.#swapWaiters.values()) waiter('the worker exited');
        this.#swapWaiters.clear();
        this.#metricsWaiters.clear();
        this.#drained?.();
        onExit(code);
      });
    });
  }

  post(message: ToWorker): void {
    this.thread.postMessage(message);
  }

  /** Posts a zone slice and resolves when the worker has taken it. */
  sendSlice(slice: ZoneSlice): Promise<void> {
    return new Promise((resolve) => {
      this.#ackWaiters.push(resolve);
      this.post(toPosted(slice));
    });
  }

  /** Resolves with the worker's error, or undefined once it answers with what `message` hands it. */
  swap(message: SwapMessage): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.#swapWaiters.set(message.requestId, resolve);
      this.post(message);
    });
  }

  metrics(requestId: number): Promise<MetricsSnapshot> {
    return new Promise((resolve) => {
      this.#metricsWaiters.set(requestId, resolve);
      this.post({ type: 'metrics', requestId });
    });
  }

  drain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.post({ type: 'drain', timeoutMs });
    });
  }
}

export interface WorkerThreadsOptions extends WorkerOptions {
  workers: number;
  /** Called when a worker dies unexpectedly (they do not hide it: the process should exit non-zero). */
  onWorkerExit?: (code: number) => void;
}

export class WorkerThreads {
  readonly #workers: WorkerThread[] = [];
  #requestId = 0;
  #generation = 0;
  #stopping = false;
  bound: BoundAddress[] = [];

  /**
   * Starts the workers. The first binds the requested ports (port 0 picks one); the others bind the very ports
   * it got, with SO_REUSEPORT, so the kernel spreads queries over them.
   */
  static async start(options: WorkerThreadsOptions): Promise<WorkerThreads> {
    const threads = new WorkerThreads();
    const onExit = WorkerThreads.#exitHandler(threads, options.onWorkerExit);
    const { workers, onWorkerExit: _ignored, ...workerOptions } = options;
    const first = new WorkerThread(workerOptions, onExit);
    threads.#workers.push(first);
    try {
      threads.bound = await first.listening;
      const udpPorts = threads.bound.filter((b) => b.transport === 'udp');
      const concrete = workerOptions.listen.map((address, i) => ({
        ...address,
        port: udpPorts[i]?.port ?? address.port,
      }));
      const rest = Array.from(
        { length: workers - 1 },
        () => new WorkerThread({ ...workerOptions, listen: concrete }, onExit),
      );
      threads.#workers.push(...rest);
      await Promise.all(rest.map((w) => w.listening));
    } catch (error) {
      await threads.terminate();
      throw error;
    }
    return threads;
  }

  /**
   * Made apart from start() so that the handler, which lives as long as the workers, does not hold start()'s
   * scope, and with it the initial zones, for the life of the process.
   */
  static #exitHandler(
    threads: WorkerThreads,
    onWorkerExit: ((code: number) => void) | undefined,
  ): (code: number) => void {
    return (code) => {
      if (!threads.#stopping) onWorkerExit?.(code);
    };
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Streams the zones to every worker (zone-stream.ts); a newer call abandons an older stream. */
  setZones(zones: CompiledZone[]): void {
    const generation = ++this.#generation;
    for (const worker of this.#workers) {
      void (async () => {
        // A couple of slices in flight: the worker has the next one at hand when it finishes one, yet never has
        // more than a few queued (it takes queued messages in one go, which would block its queries again).
        const inFlight: Promise<void>[] = [];
        for (const slice of sliceZones(zones, generation)) {
          if (generation !== this.#generation || this.#stopping) return;
          inFlight.push(worker.sendSlice(slice));
          if (inFlight.length >= SLICES_IN_FLIGHT) await inFlight.shift();
        }
      })();
    }
  }

  setHealth(table: HealthTable): void {
    for (const worker of this.#workers) worker.post({ type: 'health', table });
  }

  /** Every worker swaps to the new database between two of its queries; resolves once all have. */
  setGeoDatabase(geoip: GeoipBytes): Promise<void> {
    return this.#swapAll({ type: 'geoip', requestId: ++this.#requestId, path: geoip.path, bytes: geoip.bytes });
  }

  /** Every worker signs with the new keys from its next query on; resolves once all do. */
  setDnssecKeys(keys: KeyPairText[]): Promise<void> {
    return this.#swapAll({ type: 'dnssec-keys', requestId: ++this.#requestId, keys });
  }

  async #swapAll(message: SwapMessage): Promise<void> {
    const errors = await Promise.all(this.#workers.map((w) => w.swap(message)));
    const error = errors.find((e) => e !== undefined);
    if (error !== undefined) throw new Error(error);
  }

  metrics(): Promise<MetricsSnapshot[]> {
    const id = ++this.#requestId;
    return Promise.all(this.#workers.map((w) => w.metrics(id)));
  }

  /** Stops accepting, lets in-flight TCP answers finish (at most timeoutMs), then ends the threads. */
  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers.map((w) => w.drain(timeoutMs)));
    await this.terminate();
  }

  async terminate(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers.map((w) => w.thread.terminate()));
  }
}
