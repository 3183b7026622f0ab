// A DNS worker thread: one DNS node (node.ts) driven by messages from the main thread's WorkerThreads (threads.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { GeodnsMetrics, workerMetricsSnapshot } from '../observability/metrics.ts';
import { createLogger } from '../observability/log.ts';
import { startDnsNode } from './node.ts';
import { fromPosted } from './zone-stream.ts';
import type { FromWorker, ToWorker, WorkerOptions } from './messages.ts';

const port = parentPort;
if (!port) throw new Error('dnsserver/workers/thread-entry.ts runs as a worker thread');
const options = workerData as WorkerOptions;
const log = createLogger({ level: options.logLevel, name: 'dns-worker' });
const send = (message: FromWorker) => port.postMessage(message);
const metrics = new GeodnsMetrics();

try {
  const node = await startDnsNode(options, log, metrics);
  // Indexed now. workerData is kept by Node for the life of the thread: without this it would keep the initial
  // documents too, a second copy of every zone once the first update has replaced them.
  options.initialZones = [];
  send({ type: 'listening', addresses: node.bound });
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'zones-begin':
      case 'zones-slice-json':
      case 'zones-end':
        node.acceptZoneSlice(fromPosted(message));
        send({ type: 'zones-ack', generation: message.generation });
        break;
      case 'health':
        node.setHealth(message.table);
        break;
      case 'geoip':
      case 'dnssec-keys':
        try {
          if (message.type === 'geoip') node.setGeoDatabase(message);
          else node.setDnssecKeys(message.keys);
          send({ type: 'swap-ack', requestId: message.requestId });
        } catch (error) {
          send({ type: 'swap-ack', requestId: message.requestId, error: (error as Error).message });
        }
        break;
      case 'metrics':
        node.flushMetrics();
        void workerMetricsSnapshot(metrics).then((snapshot) =>
          send({ type: 'metrics', requestId: message.requestId, metrics: snapshot }),
        );
        break;
      case 'drain':
        void node.drain(message.timeoutMs).then(() => send({ type: 'drained' }));
        break;
    }
  });
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}
