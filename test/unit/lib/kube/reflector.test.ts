// The list+watch loop against a scripted client: what it lists and watches from, how it restarts after errors
// and 410 Gone, what it tells its consumer. Delays are recorded, never waited for.
import { describe, expect, it } from 'vitest';
import { Reflector, type Listed, type ListWatchClient } from '../../../../lib/kube/reflector.ts';

interface Obj {
  metadata: { name: string; resourceVersion: string };
}
const obj = (name: string, rv: number): Obj => ({ metadata: { name, resourceVersion: String(rv) } });
const bookmark = (rv: number) => ({ metadata: { resourceVersion: String(rv) } });

type Emit = (type: string, object: unknown) => void;
type Step =
  | { list: () => Promise<Listed<Obj>> }
  | { watch: (emit: Emit, signal: AbortSignal, opened: () => void) => Promise<void>; expectFrom?: string };

class ApiError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`HTTP ${code}`);
    this.code = code;
  }
}

/** Plays `steps` in order; after the last one every call hangs until aborted. */
function scripted(steps: Step[]) {
  const calls: string[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const hang = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  const next = (kind: 'list' | 'watch'): Step | undefined => {
    const step = steps.shift();
    if (!step) {
      done();
      return undefined;
    }
    if (!(kind in step)) throw new Error(`expected a ${Object.keys(step)[0]} call, got ${kind}`);
    return step;
  };
  const client: ListWatchClient<Obj> = {
    list(signal) {
      calls.push('list');
      const step = next('list');
      return step && 'list' in step ? step.list() : hang(signal);
    },
    watch(from, onEvent, signal, opened) {
      calls.push(`watch@${from}`);
      const step = next('watch');
      return step && 'watch' in step ? step.watch(onEvent, signal, opened ?? (() => undefined)) : hang(signal);
    },
  };
  return { client, calls, finished };
}

function recorder() {
  const events: string[] = [];
  const delays: number[] = [];
  return {
    events,
    delays,
    handlers: {
      listed: (items: Obj[]) => events.push(`listed ${items.map((o) => o.metadata.name).join(',')}`),
      changed: (type: string, o: Obj) => events.push(`${type} ${o.metadata.name}@${o.metadata.resourceVersion}`),
      confirmed: () => events.push('confirmed'),
      connection: (state: { connected: boolean; retryInMs?: number }) =>
        events.push(state.connected ? 'connected' : `disconnected (retry in ${state.retryInMs} ms)`),
      expired: () => events.push('expired'),
    },
    options: {
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
      minWatchMs: 1000,
      now: () => 0,
      delay: (ms: number) => {
        delays.push(ms);
        return Promise.resolve();
      },
    },
  };
}

async function run(steps: Step[]) {
  const { client, calls, finished } = scripted(steps);
  const r = recorder();
  const reflector = new Reflector(client, r.handlers, r.options);
  reflector.start();
  await finished;
  await reflector.stop();
  return { calls, events: r.events, delays: r.delays, reflector };
}

const listOf = (rv: number, ...names: string[]): Step => ({
  list: () => Promise.resolve({ items: names.map((n) => obj(n, rv)), resourceVersion: String(rv) }),
});
const streams = (...events: [string, unknown][]): Step => ({
  watch: (emit) => {
    for (const [type, object] of events) emit(type, object);
    return Promise.resolve();
  },
});
const fails = (error: unknown): Step => ({ watch: () => Promise.reject(error) });

describe('Reflector', () => {
  it('lists, then watches from the list and from each event and bookmark', async () => {
    const { calls, events, delays } = await run([
      listOf(5, 'a', 'b'),
      streams(['MODIFIED', obj('a', 6)], ['BOOKMARK', bookmark(8)]),
      streams(['DELETED', obj('b', 9)], ['ADDED', obj('c', 10)]),
    ]);
    expect(calls).toEqual(['list', 'watch@5', 'watch@8', 'watch@10']);
    expect(events).toEqual([
      'connected',
      'listed a,b',
      'confirmed',
      'MODIFIED a@6',
      'confirmed',
      'confirmed', // the bookmark
      'confirmed', // the clean end of the stream
      'DELETED b@9',
      'confirmed',
      'ADDED c@10',
      'confirmed',
      'confirmed',
    ]);
    expect(delays).toEqual([]);
  });

  it('after errors waits longer each time, watches again from where it was, and says when it is back', async () => {
    const { calls, events, delays } = await run([
      listOf(5, 'a'),
      streams(['MODIFIED', obj('a', 6)]),
      fails(new ApiError(500)),
      fails(new TypeError('fetch failed')),
      fails(new ApiError(429)),
      streams(['MODIFIED', obj('a', 7)]),
      fails(new ApiError(500)),
    ]);
    expect(calls).toEqual(['list', 'watch@5', 'watch@6', 'watch@6', 'watch@6', 'watch@6', 'watch@7', 'watch@7']);
    expect(delays).toEqual([100, 200, 400, 100]);
    expect(events.filter((e) => !e.startsWith('confirmed'))).toEqual([
      'connected',
      'listed a',
      'MODIFIED a@6',
      'disconnected (retry in 100 ms)',
      'disconnected (retry in 200 ms)',
      'disconnected (retry in 400 ms)',
      'connected',
      'MODIFIED a@7',
      'disconnected (retry in 100 ms)',
    ]);
  });

  it('is connected again once a watch is accepted, before any event arrives (a quiet watch may bring none)', async () => {
    const { calls, events } = await run([
      listOf(5, 'a'),
      fails(new TypeError('fetch failed')),
      {
        watch: (_emit, _signal, opened) => {
          opened();
          return Promise.resolve(); // ended by the server with nothing in it
        },
      },
    ]);
    expect(calls).toEqual(['list', 'watch@5', 'watch@5', 'watch@5']);
    expect(events).toEqual([
      'connected',
      'listed a',
      'confirmed',
      'disconnected (retry in 100 ms)',
      'connected',
      'confirmed',
    ]);
  });

  it('lists again after a 410 Gone, in an ERROR event or as the HTTP status, at once the first time', async () => {
    const { calls, delays, events } = await run([
      listOf(5, 'a'),
      streams(['ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }]),
      listOf(20, 'a', 'b'),
      streams(['ADDED', obj('c', 21)]),
      fails(new ApiError(410)),
      listOf(30, 'c'),
      fails(new ApiError(410)),
      listOf(31, 'c'),
    ]);
    expect(calls).toEqual(['list', 'watch@5', 'list', 'watch@20', 'watch@21', 'list', 'watch@30', 'list', 'watch@31']);
    // Only the 410 that follows a 410 straight away waits.
    expect(delays).toEqual([100]);
    expect(events.filter((e) => e.startsWith('listed') || e === 'expired')).toEqual([
      'listed a',
      'expired',
      'listed a,b',
      'expired',
      'listed c',
      'expired',
      'listed c',
    ]);
    expect(events).not.toContain(expect.stringMatching(/^disconnected/));
  });

  it('backs off while listing fails, and treats an ERROR event other than 410 as a failure', async () => {
    const { calls, delays, events } = await run([
      { list: () => Promise.reject(new TypeError('fetch failed')) },
      { list: () => Promise.reject(new ApiError(403)) },
      listOf(5, 'a'),
      streams(['ERROR', { kind: 'Status', code: 500, message: 'etcd is sad' }]),
    ]);
    expect(calls).toEqual(['list', 'list', 'list', 'watch@5', 'watch@5']);
    expect(delays).toEqual([100, 200, 400]);
    expect(events.slice(0, 4)).toEqual([
      'disconnected (retry in 100 ms)',
      'disconnected (retry in 200 ms)',
      'connected',
      'listed a',
    ]);
  });

  it('waits before watching again when a watch ends at once with nothing in it', async () => {
    const { calls, delays } = await run([listOf(5), streams(), streams(), streams(['BOOKMARK', bookmark(6)])]);
    expect(calls).toEqual(['list', 'watch@5', 'watch@5', 'watch@5', 'watch@6']);
    expect(delays).toEqual([100, 200]);
  });

  it('counts client-node’s inactivity timeout as a failure (watches are asked to end sooner)', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    const { calls, events, delays } = await run([listOf(5, 'a'), fails(timeout)]);
    expect(calls).toEqual(['list', 'watch@5', 'watch@5']);
    expect(events).toEqual(['connected', 'listed a', 'confirmed', 'disconnected (retry in 100 ms)']);
    expect(delays).toEqual([100]);
  });

  it('gets an event again when its consumer threw on it, instead of losing it', async () => {
    const { client, calls, finished } = scripted([
      listOf(5, 'a'),
      streams(['MODIFIED', obj('a', 6)]),
      streams(['MODIFIED', obj('a', 6)]),
      streams(['MODIFIED', obj('a', 6)]),
    ]);
    const r = recorder();
    let throws = 2;
    const changed = r.handlers.changed;
    const reflector = new Reflector(
      client,
      {
        ...r.handlers,
        changed: (type: string, o: Obj) => {
          if (throws-- > 0) throw new Error('consumer bug');
          changed(type, o);
        },
      },
      r.options,
    );
    reflector.start();
    await finished;
    await reflector.stop();
    expect(calls).toEqual(['list', 'watch@5', 'watch@5', 'watch@5', 'watch@6']);
    expect(r.events).toContain('MODIFIED a@6');
    expect(r.delays).toEqual([100, 200]); // a consumer that keeps throwing backs off like any failure
  });

  it('stops a watch in flight', async () => {
    let aborted = false;
    const { client } = scripted([
      listOf(5, 'a'),
      {
        watch: (_emit, signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            }),
          ),
      },
    ]);
    const r = recorder();
    const reflector = new Reflector(client, r.handlers, r.options);
    reflector.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reflector.connected).toBe(true);
    await reflector.stop();
    expect(aborted).toBe(true);
  });
});
