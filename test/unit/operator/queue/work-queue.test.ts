import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, type WorkQueueMetrics } from '../../../../operator/queue/work-queue.ts';
import { ExponentialBackoff, MaxOf, TokenBucket } from '../../../../operator/queue/rate-limiters.ts';

const now = (): number => Date.now();

/** A queue on the fake clock, with a backoff of 10, 20, 40 … ms and no overall bucket unless given. */
const makeQueue = (extra: { metrics?: WorkQueueMetrics; bucket?: TokenBucket } = {}): WorkQueue =>
  new WorkQueue({
    now,
    rateLimiter: extra.bucket
      ? new MaxOf(new ExponentialBackoff({ baseMs: 10, maxMs: 1000 }), extra.bucket)
      : new ExponentialBackoff({ baseMs: 10, maxMs: 1000 }),
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
  });

/** Whether a promise has settled, after the microtasks queued so far have run. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> {
  let state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => (state = { done: true, value }));
  await vi.advanceTimersByTimeAsync(0);
  return state;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue: de-duplication and ownership', () => {
  it('hands out keys in the order they were first added, once each while they wait', async () => {
    const queue = makeQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
    expect(queue.processing).toBe(3);
  });

  it('a getter waits for the next add', async () => {
    const queue = makeQueue();
    const next = queue.get();
    expect((await settled(next)).done).toBe(false);
    queue.add('a');
    expect(await next).toBe('a');
  });

  it('a key added while held is handed out once more after done, never to two workers at once', async () => {
    const queue = makeQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    const second = queue.get();
    expect((await settled(second)).done).toBe(false); // held: not handed to the second worker
    expect(queue.length).toBe(0);
    queue.done('a');
    expect(await second).toBe('a');
    queue.done('a');
    expect((await settled(queue.get())).done).toBe(false); // the two adds while held made one more run
  });

  it('a key done without being added again is not handed out again', async () => {
    const queue = makeQueue();
    queue.add('a');
    queue.done(await (queue.get() as Promise<string>));
    expect((await settled(queue.get())).done).toBe(false);
  });

  it('done for a key nobody holds changes nothing', async () => {
    const queue = makeQueue();
    queue.add('a');
    queue.done('a'); // not handed out yet
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('a');
  });

  it('serves waiting getters in the order they asked', async () => {
    const queue = makeQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add('x');
    queue.add('y');
    expect([await first, await second]).toEqual(['x', 'y']);
  });
});

describe('WorkQueue: delays and retries', () => {
  it('addAfter adds when the delay has passed, and an earlier addAfter moves the key forward', async () => {
    const queue = makeQueue();
    queue.addAfter('a', 500);
    queue.addAfter('a', 1000); // later: ignored
    queue.addAfter('b', 300);
    queue.addAfter('b', 100); // earlier: wins
    await vi.advanceTimersByTimeAsync(99);
    expect(queue.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await queue.get()).toBe('b');
    await vi.advanceTimersByTimeAsync(399);
    expect(queue.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await queue.get()).toBe('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(queue.length).toBe(0); // the ignored and the replaced waits add nothing
  });

  it('addAfter with no delay adds at once', () => {
    const queue = makeQueue();
    queue.addAfter('a', 0);
    expect(queue.length).toBe(1);
  });

  it('addRateLimited backs off exponentially per key, and forget starts the backoff over', async () => {
    const queue = makeQueue();
    const readyAfter = async (key: string): Promise<number> => {
      const start = Date.now();
      queue.addRateLimited(key);
      const got = queue.get();
      while (!(await settled(got)).done) await vi.advanceTimersByTimeAsync(1);
      queue.done(key);
      return Date.now() - start;
    };
    expect(await readyAfter('a')).toBe(10);
    expect(await readyAfter('a')).toBe(20);
    expect(await readyAfter('a')).toBe(40);
    expect(queue.retries('a')).toBe(3);
    queue.forget('a');
    expect(queue.retries('a')).toBe(0);
    expect(await readyAfter('a')).toBe(10);
  });

  it('the overall bucket spaces out retries of many keys', async () => {
    const queue = makeQueue({ bucket: new TokenBucket({ ratePerSecond: 10, burst: 2, now }) });
    for (const key of ['a', 'b', 'c', 'd']) queue.addRateLimited(key);
    await vi.advanceTimersByTimeAsync(10); // the per-key backoff: a and b, within the burst
    expect(queue.length).toBe(2);
    await vi.advanceTimersByTimeAsync(90); // c at 100 ms
    expect(queue.length).toBe(3);
    await vi.advanceTimersByTimeAsync(100); // d at 200 ms
    expect(queue.length).toBe(4);
  });
});

describe('WorkQueue: idle', () => {
  it('resolves once nothing is queued or held, without waiting on a throttle or a retry', async () => {
    const queue = makeQueue();
    expect((await settled(queue.idle())).done).toBe(true);
    queue.add('a');
    const idle = queue.idle();
    expect((await settled(idle)).done).toBe(false);
    const a = (await queue.get()) as string;
    queue.addAfter('b', 1000); // a throttle: not work due now
    queue.addRateLimited('c');
    expect((await settled(idle)).done).toBe(false); // a is held
    queue.done(a);
    expect((await settled(idle)).done).toBe(true);
    expect(queue.isIdle).toBe(true);
  });

  it('waits on a coalescing window, and on the key it adds', async () => {
    const queue = makeQueue();
    queue.addCoalesced('a', 50);
    queue.addCoalesced('a', 80); // later: the first window stands
    expect(queue.isIdle).toBe(false);
    const idle = queue.idle();
    await vi.advanceTimersByTimeAsync(49);
    expect((await settled(idle)).done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.length).toBe(1);
    queue.done((await queue.get()) as string);
    expect((await settled(idle)).done).toBe(true);
  });

  it('a window of no time still gathers the adds of this turn', async () => {
    const queue = makeQueue();
    queue.addCoalesced('a', 0);
    queue.addCoalesced('a', -5);
    expect(queue.length).toBe(0);
    expect(queue.isIdle).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.length).toBe(1);
  });

  it('add of a waiting key drops its wait: the key is handed out once', async () => {
    const queue = makeQueue();
    queue.addCoalesced('a', 100);
    queue.addAfter('b', 100);
    queue.add('a');
    queue.add('b');
    expect(vi.getTimerCount()).toBe(0);
    queue.done((await queue.get()) as string);
    queue.done((await queue.get()) as string);
    await vi.advanceTimersByTimeAsync(200);
    expect(queue.length).toBe(0);
    expect(queue.isIdle).toBe(true);
  });
});

describe('WorkQueue: shutdown', () => {
  it('getters get undefined, queued and delayed keys are dropped, adds are ignored', async () => {
    const queue = makeQueue();
    const waiting = queue.get();
    await queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    queue.addAfter('b', 10);
    queue.addRateLimited('c');
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the timers of delayed keys', async () => {
    const queue = makeQueue();
    queue.addAfter('a', 10_000);
    expect(vi.getTimerCount()).toBe(1);
    await queue.shutDown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves only once the keys held by workers are done', async () => {
    const queue = makeQueue();
    queue.add('a');
    queue.add('b');
    const a = (await queue.get()) as string;
    const b = (await queue.get()) as string;
    const down = queue.shutDown();
    expect((await settled(down)).done).toBe(false);
    queue.add(a); // ignored: nothing is handed out after done
    queue.done(a);
    expect((await settled(down)).done).toBe(false);
    queue.done(b);
    expect((await settled(down)).done).toBe(true);
    expect(queue.processing).toBe(0);
  });
});

describe('WorkQueue.run', () => {
  it('forgets a key that succeeds and retries one that fails with backoff', async () => {
    const queue = makeQueue();
    const calls: [string, number][] = [];
    let failuresLeft = 2;
    const errors: [string, number][] = [];
    const running = queue.run(
      (key) => {
        calls.push([key, Date.now() - 1_000_000]);
        if (key === 'bad' && failuresLeft-- > 0) throw new Error('boom');
      },
      { onError: (key, _error, retries) => errors.push([key, retries]) },
    );
    queue.add('good');
    queue.add('bad');
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual([
      ['good', 0],
      ['bad', 0],
      ['bad', 10],
      ['bad', 30],
    ]);
    expect(errors).toEqual([
      ['bad', 0],
      ['bad', 1],
    ]);
    expect(queue.retries('bad')).toBe(0); // forgotten after the success
    await queue.shutDown();
    await running;
  });

  it('gives up on a key after maxRetries failures in a row', async () => {
    const queue = makeQueue();
    let calls = 0;
    const running = queue.run(
      () => {
        calls++;
        throw new Error('always');
      },
      { maxRetries: 3 },
    );
    queue.add('k');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(4); // the first try and three retries
    expect(queue.retries('k')).toBe(0);
    await queue.shutDown();
    await running;
  });

  it('requeues after the delay a handler asks for', async () => {
    const queue = makeQueue();
    const times: number[] = [];
    const running = queue.run(() => {
      times.push(Date.now() - 1_000_000);
      return times.length < 3 ? { requeueAfterMs: 250 } : undefined;
    });
    queue.add('k');
    await vi.advanceTimersByTimeAsync(2000);
    expect(times).toEqual([0, 250, 500]);
    await queue.shutDown();
    await running;
  });

  it('runs different keys at once up to the concurrency, never one key twice at once', async () => {
    const queue = makeQueue();
    const held = new Set<string>();
    let most = 0;
    let overlap = false;
    const running = queue.run(
      async (key) => {
        if (held.has(key)) overlap = true;
        held.add(key);
        most = Math.max(most, held.size);
        await new Promise((resolve) => setTimeout(resolve, 100));
        held.delete(key);
      },
      { concurrency: 3 },
    );
    for (let round = 0; round < 5; round++) {
      for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
      await vi.advanceTimersByTimeAsync(30);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(most).toBe(3);
    expect(overlap).toBe(false);
    await queue.shutDown();
    await running;
  });

  it('shutDown lets the handler in flight finish, and run resolves after it', async () => {
    const queue = makeQueue();
    const order: string[] = [];
    const running = queue.run(async (key) => {
      order.push(`start ${key}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      order.push(`end ${key}`);
    });
    queue.add('a');
    queue.add('b');
    await vi.advanceTimersByTimeAsync(10);
    const down = queue.shutDown().then(() => order.push('down'));
    await vi.advanceTimersByTimeAsync(200);
    await down;
    await running;
    expect(order).toEqual(['start a', 'end a', 'down']);
  });

  it('refuses a concurrency that is not a positive integer', async () => {
    await expect(makeQueue().run(() => {}, { concurrency: 0 })).rejects.toThrow(/concurrency must be a positive/);
  });
});

describe('WorkQueue metrics', () => {
  it('reports depth, adds, time in queue, work duration and retries', async () => {
    const seen = {
      depth: [] as number[],
      added: [] as string[],
      queued: [] as [string, number][],
      worked: [] as [string, number][],
      retried: [] as string[],
    };
    const queue = makeQueue({
      metrics: {
        depth: (d) => seen.depth.push(d),
        added: (k) => seen.added.push(k),
        queued: (k, ms) => seen.queued.push([k, ms]),
        worked: (k, ms) => seen.worked.push([k, ms]),
        retried: (k) => seen.retried.push(k),
      },
    });
    queue.add('a');
    queue.add('a'); // a duplicate: not an add
    queue.add('b');
    await vi.advanceTimersByTimeAsync(50);
    const a = (await queue.get()) as string;
    await vi.advanceTimersByTimeAsync(20);
    queue.done(a);
    queue.addRateLimited('a');
    await vi.advanceTimersByTimeAsync(10);
    expect(seen.added).toEqual(['a', 'b', 'a']);
    expect(seen.depth).toEqual([1, 2, 1, 2]);
    expect(seen.queued).toEqual([['a', 50]]);
    expect(seen.worked).toEqual([['a', 20]]);
    expect(seen.retried).toEqual(['a']);
  });
});
