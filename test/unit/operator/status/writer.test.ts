// The status writer against an in-memory writer whose patches take as long as the test says: one write per object
// at a time, the latest status written after the one in flight, and failures retried without losing a newer status.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterWriter, ObjectRef } from '../../../../operator/cluster-writer.ts';
import { ApiError } from '../../../../operator/cluster-writer.ts';
import { Lanes } from '../../../../operator/queue/lanes.ts';
import type { StatusBody } from '../../../../operator/status/desired.ts';
import { StatusWriter, type StatusWriterOptions } from '../../../../operator/status/writer.ts';

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

// The lanes the writer schedules on, on the fake clock; lanes.idle() is when nothing is due now.
let lanes: Lanes;

beforeEach(() => {
  vi.useFakeTimers();
  lanes = new Lanes({ now: () => Date.now() });
});

afterEach(() => {
  vi.useRealTimers();
});

function statusWriter(writer: ClusterWriter, options: Partial<StatusWriterOptions> = {}): StatusWriter {
  return new StatusWriter({
    writer,
    log: pino({ level: 'silent' }),
    lanes,
    eventNamespace: 'geodns-system',
    intervalMs: 1000,
    now: () => Date.now(),
    // The informer never shows the writes: every desired status differs from the cached one.
    current: () => ({ status: status('0/3') }),
    ...options,
  });
}

/** A GeoEndpoint's status with its target up or not, at `generation`. */
const readyStatus = (up: boolean, generation = 1): StatusBody => ({
  observedGeneration: generation,
  targetsSummary: up ? '1/1' : '0/1',
  conditions: [
    { type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2026-12-04T00:00:00Z' },
    {
      type: 'Ready',
      status: up ? 'True' : 'False',
      reason: up ? 'Ready' : 'NoReadyEndpoints',
      message: '',
      lastTransitionTime: '2026-12-04T00:00:00Z',
    },
  ],
});

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
    await lanes.idle();
    await lanes.shutDown();
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
    await lanes.idle();
    await lanes.shutDown();
  });

  it('keeps at most maxInFlight writes going over all objects, and writes every one in turn', async () => {
    const { writer, patches } = slowWriter();
    const statuses = new StatusWriter({
      writer,
      log: pino({ level: 'silent' }),
      lanes,
      eventNamespace: 'geodns-system',
      maxInFlight: 3,
      now: () => Date.now(),
      current: () => ({ status: status('0/3') }),
    });
    for (let i = 0; i < 10; i += 1) statuses.set({ ...REF, name: `www-${i}` }, status('1/3'));
    await tick();
    expect(patches).toHaveLength(3);
    for (let done = 0; done < 10; done += 1) {
      patches[done]?.finish();
      await tick();
      expect(patches.length - (done + 1)).toBeLessThanOrEqual(3); // never more than 3 unfinished
    }
    expect(patches).toHaveLength(10);
    await lanes.idle();
    await lanes.shutDown();
  });

  it('writes a change that follows health alone once per health interval, and a spec change within the short one', async () => {
    const { writer, patches } = slowWriter();
    const statuses = statusWriter(writer, {
      healthIntervalMs: 5000,
      // The cached status stays Ready at generation 1.
      current: () => ({ generation: 1, status: readyStatus(true) }),
    });
    // The first change after a quiet spell goes out at once, health or not.
    statuses.set(REF, readyStatus(false));
    await tick();
    expect(patches).toHaveLength(1);
    patches[0]?.finish();
    // The target comes back a moment later: health alone, so it waits for the health interval...
    statuses.set(REF, readyStatus(true));
    await tick(1500);
    expect(patches).toHaveLength(1);
    // ...until a spec change (a new observedGeneration) arrives: that one may go out after the short interval.
    statuses.set(REF, readyStatus(true, 2));
    await tick();
    expect(patches.map((p) => p.status.observedGeneration)).toEqual([1, 2]);
    patches[1]?.finish();
    // Flapping again: health alone, written 5 s after the last write and not before.
    statuses.set(REF, readyStatus(false));
    await tick(4800);
    expect(patches).toHaveLength(2);
    await tick(300);
    expect(patches.map((p) => p.status.targetsSummary)).toEqual(['0/1', '1/1', '0/1']);
    patches[2]?.finish();
    await lanes.idle();
    await lanes.shutDown();
  });

  it('spreads health-only writes over all objects at the health rate; a spec change is not held back by it', async () => {
    const { writer, patches } = slowWriter();
    const statuses = statusWriter(writer, {
      healthRatePerSecond: 2,
      healthBurst: 2,
      current: () => ({ generation: 1, status: readyStatus(true) }),
    });
    for (let i = 0; i < 6; i += 1) statuses.set({ ...REF, name: `www-${i}` }, readyStatus(false));
    await tick();
    expect(patches).toHaveLength(2); // the burst
    statuses.set({ ...REF, name: 'spec' }, readyStatus(true, 2));
    await tick();
    expect(patches).toHaveLength(3);
    for (const patch of patches) patch.finish();
    await tick(400);
    expect(patches).toHaveLength(3);
    await tick(200);
    expect(patches).toHaveLength(4); // one more every 500 ms
    patches[3]?.finish();
    await tick(1500);
    expect(patches).toHaveLength(7);
    for (const patch of patches) patch.finish();
    await lanes.idle();
    await lanes.shutDown();
  });

  it('takes no token for a status the object already shows, and keeps the one it took while newer statuses arrive', async () => {
    const { writer, patches } = slowWriter();
    const statuses = statusWriter(writer, {
      healthRatePerSecond: 1,
      healthBurst: 1,
      current: () => ({ generation: 1, status: readyStatus(true) }),
    });
    // A status refresh every 100 ms that changes nothing writes nothing and spends nothing.
    for (let i = 0; i < 20; i += 1) {
      statuses.set({ ...REF, name: 'steady' }, readyStatus(true));
      await tick(100);
    }
    expect(patches).toHaveLength(0);
    statuses.set({ ...REF, name: 'a' }, readyStatus(false));
    await tick();
    expect(patches).toHaveLength(1); // the bucket's one token was still there
    // b waits for the next token (1 s); the statuses arriving meanwhile do not push it back.
    for (let i = 0; i < 9; i += 1) {
      statuses.set({ ...REF, name: 'b' }, readyStatus(false));
      await tick(100);
    }
    expect(patches).toHaveLength(1);
    await tick(150);
    expect(patches).toHaveLength(2);
    for (const patch of patches) patch.finish();
    await lanes.idle();
    await lanes.shutDown();
  });

  it("records no Event for an object's first status, and one for a later transition", async () => {
    const events: string[] = [];
    const { writer, patches } = slowWriter();
    writer.createEvent = async (_namespace, event) => {
      events.push(event.reason);
    };
    let cached: StatusBody | undefined = undefined;
    const statuses = statusWriter(writer, {
      intervalMs: 10,
      healthIntervalMs: 10,
      current: () => ({ ...(cached ? { status: cached } : {}) }),
    });
    statuses.set(REF, readyStatus(true));
    await tick();
    patches[0]?.finish();
    await tick();
    expect(events).toEqual([]);
    cached = readyStatus(true);
    statuses.set(REF, readyStatus(false));
    await tick(50);
    patches[1]?.finish();
    await tick();
    expect(events).toEqual(['NoReadyEndpoints']);
    await lanes.shutDown();
  });
});
