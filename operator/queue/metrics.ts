// Prometheus metrics for work queues, named after client-go's (workqueue_*), one series per queue `name`.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.ts';

const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Hooks for `new WorkQueue({ metrics })` that feed `registry`; queues sharing a registry share the metrics. */
export function queueMetrics(registry: Registry, queue: string): WorkQueueMetrics {
  const registers = [registry];
  const labelNames = ['name'] as const;
  const depth = metric(
    registry,
    'workqueue_depth',
    () => new Gauge({ name: 'workqueue_depth', help: 'Keys waiting in the queue.', labelNames, registers }),
  );
  const adds = metric(
    registry,
    'workqueue_adds_total',
    () => new Counter({ name: 'workqueue_adds_total', help: 'Keys added to the queue.', labelNames, registers }),
  );
  const retries = metric(
    registry,
    'workqueue_retries_total',
    () =>
      new Counter({ name: 'workqueue_retries_total', help: 'Keys put back after a failure.', labelNames, registers }),
  );
  const queued = metric(
    registry,
    'workqueue_queue_duration_seconds',
    () =>
      new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long a key waited in the queue before a worker took it.',
        labelNames,
        buckets: BUCKETS,
        registers,
      }),
  );
  const worked = metric(
    registry,
    'workqueue_work_duration_seconds',
    () =>
      new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long a worker held a key.',
        labelNames,
        buckets: BUCKETS,
        registers,
      }),
  );
  const labels = { name: queue };
  depth.set(labels, 0);
  return {
    depth: (value) => depth.set(labels, value),
    added: () => adds.inc(labels),
    retried: () => retries.inc(labels),
    queued: (_key, ms) => queued.observe(labels, ms / 1000),
    worked: (_key, ms) => worked.observe(labels, ms / 1000),
  };
}
