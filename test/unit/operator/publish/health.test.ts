// The health publisher against an in-memory ConfigMap store: a change after a quiet spell is written at once, the
// changes within the window after a write become one more write (the latest table), an unchanged table is never
// written, and the revision only grows.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HEALTH_KEY } from '../../../../api/configmaps.ts';
import { HEALTH_FORMAT } from '../../../../api/constants.ts';
import type { HealthTable } from '../../../../api/health.ts';
import { HealthPublisher, revisionOf } from '../../../../operator/publish/health.ts';
import { Lanes } from '../../../../operator/queue/lanes.ts';
import type { ClusterWriter, ConfigMapObject } from '../../../../operator/cluster-writer.ts';

function memoryStore(): {
  writer: ClusterWriter;
  writes: ConfigMapObject[];
  current: () => ConfigMapObject | undefined;
} {
  let stored: ConfigMapObject | undefined;
  let version = 0;
  const writes: ConfigMapObject[] = [];
  const save = async (cm: ConfigMapObject): Promise<ConfigMapObject> => {
    version += 1;
    stored = { ...cm, metadata: { ...cm.metadata, resourceVersion: String(version) } };
    writes.push(stored);
    return stored;
  };
  const unused = () => Promise.reject(new Error('not used'));
  return {
    writer: {
      createConfigMap: save,
      replaceConfigMap: save,
      readConfigMap: async () => stored,
      deleteConfigMap: unused,
      patchStatus: unused,
      createEvent: unused,
    },
    writes,
    current: () => stored,
  };
}

const table = (down: string[]): HealthTable => ({
  format: HEALTH_FORMAT,
  targets: Object.fromEntries(down.map((id) => [id, { up: false, since: '2026-12-04T00:00:00Z', reason: 'test' }])),
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HealthPublisher', () => {
  it('writes a change after a quiet spell at once, and coalesces the changes within the window after a write', async () => {
    const store = memoryStore();
    const lanes = new Lanes({ now: () => Date.now() });
    const health = new HealthPublisher({
      writer: store.writer,
      lanes,
      namespace: 'geodns-system',
      log: pino({ level: 'silent' }),
      existing: store.current,
      coalesceMs: 50,
      now: () => Date.now(),
    });
    health.setHealth(table(['web/a/t']));
    await vi.advanceTimersByTimeAsync(1);
    expect(store.writes).toHaveLength(1); // no waiting for the window after a quiet spell

    // Three changes within the window: one more write, of the latest, when the window has passed.
    await vi.advanceTimersByTimeAsync(10);
    health.setHealth(table(['web/a/t', 'web/b/t']));
    health.setHealth(table(['web/b/t']));
    await vi.advanceTimersByTimeAsync(20);
    health.setHealth(table(['web/c/t']));
    await vi.advanceTimersByTimeAsync(10);
    expect(store.writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(store.writes).toHaveLength(2);
    expect(JSON.parse(store.writes[1]!.data?.[HEALTH_KEY] ?? '')).toEqual(table(['web/c/t']));

    // The same table again is no write; the revision grew with each write.
    await vi.advanceTimersByTimeAsync(100);
    health.setHealth(table(['web/c/t']));
    await vi.advanceTimersByTimeAsync(100);
    expect(store.writes.map(revisionOf)).toEqual([1, 2]);

    // The changes of one turn, each in a microtask of its own (a watch delivering several events), make one write.
    await vi.advanceTimersByTimeAsync(100);
    health.setHealth(table(['web/d/t']));
    await Promise.resolve();
    health.setHealth(table(['web/e/t']));
    await vi.advanceTimersByTimeAsync(1);
    expect(store.writes).toHaveLength(3);
    expect(JSON.parse(store.writes[2]!.data?.[HEALTH_KEY] ?? '')).toEqual(table(['web/e/t']));
    await lanes.shutDown();
  });
});
