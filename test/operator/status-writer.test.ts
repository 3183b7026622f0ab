// The status writer against an in-memory writer whose patches take as long as the test says: one write per object
// at a time, the latest status written after the one in flight, and failures retried without losing a newer status.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterWriter, ObjectRef } from '../../operator/publish/writer.ts';
import { ApiError } from '../../operator/publish/writer.ts';
import type { StatusBody } from '../../operator/status/desired.ts';
import { StatusWriter } from '../../operator/status/writer.ts';

const REF: ObjectRef = { kind: 'GeoEndpoint', namespace: 'web', name: 'www' };

interface Patch {
  status: Record<string, unknown>;
  finish: (error?: Error) => void;
}

function slowWriter(): { writer: ClusterWriter; patches: Patch[] } {
  const patches: Patch[] = [];
  const unused = () => Promise.reject(new Error('not used'));
  const writer: ClusterWriter = {
    createConfigMap: unused,
    replaceConfigMap: unused,
    readConfigMap: unused,
    deleteConfigMap: unused,
    patchStatus: (_ref, status) =>
      new Promise<void>((resolve, reject) => {
        patches.push({ status, finish: (error) => (error ? reject(error) : resolve()) });
      }),
    createEvent: () => Promise.resolve(),
  };
  return { writer, patches };
}

const status = (summary: string): StatusBody => ({ targetsSummary: summary, conditions: [] });
// Fake timers: the writer's interval timers and clock move only when the test says so.
const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function statusWriter(writer: ClusterWriter): StatusWriter {
  return new StatusWriter({
    writer,
    log: pino({ level: 'silent' }),
    eventNamespace: 'geodns-system',
    intervalMs: 1000,
    now: () => Date.now(),
    // The informer never shows the writes: every desired status differs from the cached one.
    current: () => ({ status: status('0/3') }),
  });
}

describe('StatusWriter', () => {
  it('sends one write per object at a time and the latest status after it, once the interval has passed', async () => {
    const { writer, patches } = slowWriter();
    const statuses = statusWriter(writer);
    statuses.set(REF, status('1/3'));
    await tick();
    expect(patches).toHaveLength(1);
    // While the first write is in flight, newer statuses wait; only the last of them is written.
    statuses.set(REF, status('2/3'));
    statuses.set(REF, status('3/3'));
    await tick(5000);
    expect(patches).toHaveLength(1);
    patches[0]?.finish();
    await tick(900);
    expect(patches).toHaveLength(1); // the interval after the first write has not passed yet
    await tick(200);
    expect(patches.map((p) => p.status.targetsSummary)).toEqual(['1/3', '3/3']);
    patches[1]?.finish();
    await statuses.idle();
    statuses.close();
  });

  it('retries a failed write after the interval, unless a newer status is waiting', async () => {
    const { writer, patches } = slowWriter();
    const statuses = statusWriter(writer);
    statuses.set(REF, status('1/3'));
    await tick();
    patches[0]?.finish(new ApiError(500, 'boom'));
    await tick(1100);
    expect(patches.map((p) => p.status.targetsSummary)).toEqual(['1/3', '1/3']);
    statuses.set(REF, status('2/3'));
    patches[1]?.finish(new ApiError(500, 'boom'));
    await tick(1100);
    expect(patches.map((p) => p.status.targetsSummary)).toEqual(['1/3', '1/3', '2/3']);
    patches[2]?.finish();
    await statuses.idle();
    statuses.close();
  });
});
