// The operator's lanes: one idle() over all of them (also when one lane's handler adds to another) and one drain.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Lanes } from '../../../../operator/queue/lanes.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Lanes', () => {
  it('are idle only once every lane is, following work from one lane into the next', async () => {
    const lanes = new Lanes({ now: () => Date.now() });
    const order: string[] = [];
    const second = lanes.lane('second', async (key) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      order.push(`second ${key}`);
    });
    const first = lanes.lane('first', async (key) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push(`first ${key}`);
      second.addCoalesced(key, 20);
    });
    first.add('a');
    let idle = false;
    const waiting = lanes.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(40);
    expect(idle).toBe(false); // first is done and second's window has passed; its handler is still going
    await vi.advanceTimersByTimeAsync(20);
    await waiting;
    expect(order).toEqual(['first a', 'second a']);
    expect(lanes.isIdle).toBe(true);
    await lanes.shutDown();
  });

  it('shutDown lets the handlers in flight finish and drops what waits', async () => {
    const lanes = new Lanes({ now: () => Date.now() });
    const done: string[] = [];
    const lane = lanes.lane(
      'slow',
      async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        done.push(key);
      },
      { concurrency: 2 },
    );
    lane.add('a');
    lane.add('b');
    lane.add('c');
    lane.addAfter('d', 10);
    await vi.advanceTimersByTimeAsync(1);
    let down = false;
    const stopping = lanes.shutDown().then(() => (down = true));
    await vi.advanceTimersByTimeAsync(50);
    expect(down).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await stopping;
    expect(done).toEqual(['a', 'b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a second lane of the same name', () => {
    const lanes = new Lanes();
    lanes.lane('x', () => {});
    expect(() => lanes.lane('x', () => {})).toThrow(/lane x exists/);
    void lanes.shutDown();
  });
});
