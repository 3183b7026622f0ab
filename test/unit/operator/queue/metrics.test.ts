import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { WorkQueue } from '../../../../operator/queue/work-queue.ts';
import { queueMetrics } from '../../../../operator/queue/metrics.ts';

describe('queueMetrics', () => {
  it('feeds client-go-named metrics, one series per queue on a shared registry', async () => {
    const registry = new Registry();
    let now = 0;
    const zones = new WorkQueue({ now: () => now, metrics: queueMetrics(registry, 'zones') });
    const status = new WorkQueue({ now: () => now, metrics: queueMetrics(registry, 'status') });
    zones.add('a');
    zones.add('b');
    status.add('x');
    now = 2000;
    const key = (await zones.get()) as string;
    now = 2500;
    zones.done(key);
    zones.addRateLimited(key);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="zones"} 1');
    expect(text).toContain('workqueue_depth{name="status"} 1');
    expect(text).toContain('workqueue_adds_total{name="zones"} 2');
    expect(text).toContain('workqueue_retries_total{name="zones"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="zones"} 2');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="zones"} 0.5');
    await zones.shutDown();
    await status.shutDown();
  });
});
