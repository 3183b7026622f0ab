// List, then watch from the list's resourceVersion, for ever: the one list-watch loop of both sides (the operator's
// informers, lib/kube/informer.ts, and the DNS server's in-cluster source), written against two plain functions so
// that it can be driven by a script in tests (lib/kube/collection.ts adapts client-node to them). After any error it
// waits (capped exponential backoff with jitter) and watches again from the last resourceVersion seen; after 410
// Gone it lists again. Consumers hear what changed, when the view was last confirmed current, and whether the loop
// is connected.
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type BackoffOptions } from '../backoff.ts';
import { statusOf } from './errors.ts';

export interface Listed<T> {
  items: T[];
  resourceVersion: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListWatchClient<T> {
  list(signal: AbortSignal): Promise<Listed<T>>;
  /**
   * Streams the events after `resourceVersion` (with bookmarks) to `onEvent`; calls `opened` once the server has
   * accepted the watch (its answer's headers); resolves when the server ends the stream, rejects when it fails.
   * Aborting `signal` ends it.
   */
  watch(
    resourceVersion: string,
    onEvent: (type: string, object: unknown) => void,
    signal: AbortSignal,
    opened?: () => void,
  ): Promise<void>;
}

export interface ReflectorHandlers<T> {
  /** A fresh list: the whole set of objects from now on. */
  listed(items: T[]): void;
  changed(type: ChangeType, object: T): void;
  /** The view was confirmed current by the API: a list, an event, a bookmark or a watch the server ended cleanly. */
  confirmed(): void;
  /** The loop lost its connection (with the error and the delay before the next attempt) or regained it. */
  connection(state: { connected: true } | { connected: false; error: unknown; retryInMs: number }): void;
  /** The history a watch would resume from is gone (410 Gone): a list follows. */
  expired?(): void;
}

export interface ReflectorOptions {
  backoff?: BackoffOptions;
  /** A watch that ends sooner than this without delivering anything is retried after a backoff delay, not at once. */
  minWatchMs?: number;
  /** Waits between attempts (default: a timer); tests pass their own. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The time in ms (default Date.now), for minWatchMs. */
  now?: () => number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = isRecord(object) ? object.metadata : undefined;
  const version = isRecord(metadata) ? metadata.resourceVersion : undefined;
  return typeof version === 'string' && version !== '' ? version : undefined;
}

/** What the API server put in a watch ERROR event (a Status object). */
export class WatchErrorEvent extends Error {
  readonly code: number | undefined;
  constructor(status: unknown) {
    const code = isRecord(status) && typeof status.code === 'number' ? status.code : undefined;
    const message = isRecord(status) && typeof status.message === 'string' ? status.message : 'watch error event';
    super(message);
    this.name = 'WatchErrorEvent';
    this.code = code;
  }
}

const DEFAULT_MIN_WATCH_MS = 1000;
const GONE = 410;

export class Reflector<T> {
  readonly #client: ListWatchClient<T>;
  readonly #handlers: ReflectorHandlers<T>;
  readonly #backoff: Backoff;
  readonly #minWatchMs: number;
  readonly #delay: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  #connected = false;

  constructor(client: ListWatchClient<T>, handlers: ReflectorHandlers<T>, options: ReflectorOptions = {}) {
    this.#client = client;
    this.#handlers = handlers;
    this.#backoff = new Backoff(options.backoff);
    this.#minWatchMs = options.minWatchMs ?? DEFAULT_MIN_WATCH_MS;
    this.#delay = options.delay ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.#now = options.now ?? Date.now;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#running ??= this.#loop().catch(() => undefined);
  }

  /** Ends the loop and the request in flight; resolves once the loop has returned. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  #setConnected(): void {
    if (this.#connected) return;
    this.#connected = true;
    this.#handlers.connection({ connected: true });
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    const cursor = { resourceVersion: '' };
    let expiredBefore = false;
    while (!signal.aborted) {
      let outcome: WatchOutcome;
      try {
        if (cursor.resourceVersion === '') {
          const listed = await untilAborted(this.#client.list(signal), signal);
          this.#setConnected();
          this.#handlers.listed(listed.items);
          this.#handlers.confirmed();
          // Only once the consumer has the list: if it threw, the next attempt lists again.
          cursor.resourceVersion = listed.resourceVersion;
        }
        outcome = await this.#watchOnce(cursor, signal);
      } catch (error) {
        if (signal.aborted) break;
        if (statusOf(error) === GONE) outcome = { expired: true, delivered: false, lasted: false };
        else {
          const retryInMs = this.#backoff.next();
          this.#connected = false;
          this.#handlers.connection({ connected: false, error, retryInMs: Math.round(retryInMs) });
          await this.#wait(retryInMs, signal);
          continue;
        }
      }
      let waitMs = 0;
      if (outcome.expired) {
        // History gone: list again, at once the first time, after a delay when it happens again straight away.
        this.#handlers.expired?.();
        cursor.resourceVersion = '';
        if (expiredBefore && !outcome.delivered) waitMs = this.#backoff.next();
        expiredBefore = true;
      } else {
        expiredBefore = false;
        if (!outcome.delivered && !outcome.lasted) waitMs = this.#backoff.next();
      }
      await this.#wait(waitMs, signal);
    }
  }

  async #wait(ms: number, signal: AbortSignal): Promise<void> {
    if (ms > 0 && !signal.aborted) await this.#delay(ms, signal).catch(() => undefined);
  }

  /**
   * One watch from `cursor.resourceVersion`, to its end; moves the cursor along the events. Throws on a failure
   * (an ERROR event other than 410 included).
   */
  async #watchOnce(cursor: { resourceVersion: string }, stopSignal: AbortSignal): Promise<WatchOutcome> {
    const abort = new AbortController();
    const signal = AbortSignal.any([stopSignal, abort.signal]);
    const started = this.#now();
    let expired = false;
    let delivered = false;
    let failure: unknown;
    const onEvent = (type: string, object: unknown): void => {
      if (signal.aborted) return;
      if (type === 'ERROR') {
        const event = new WatchErrorEvent(object);
        if (event.code === GONE) expired = true;
        else failure = event;
        abort.abort();
        return;
      }
      if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') return;
      this.#setConnected();
      try {
        if (type !== 'BOOKMARK') this.#handlers.changed(type, object as T);
        this.#handlers.confirmed();
      } catch (error) {
        // client-node would swallow it with the event: fail the watch instead, and get the event again.
        failure = error;
        abort.abort();
        return;
      }
      cursor.resourceVersion = resourceVersionOf(object) ?? cursor.resourceVersion;
      delivered = true;
      this.#backoff.reset();
    };
    let endedCleanly = true;
    try {
      // Accepted by the API server: connected, though a quiet watch may bring no event for a long while (the API
      // server sends bookmarks only about once a minute and shortly before the watch's timeout).
      const opened = () => {
        if (!signal.aborted) this.#setConnected();
      };
      await untilAborted(this.#client.watch(cursor.resourceVersion, onEvent, signal, opened), signal);
    } catch (error) {
      // Ended by us after an ERROR event: not a failure of the request. Anything else is (client-node's 30 s
      // inactivity timeout included: watches ask the server to end them sooner, so silence means trouble).
      if (stopSignal.aborted || !abort.signal.aborted) throw error;
      endedCleanly = false;
    }
    if (failure !== undefined) throw failure;
    const lasted = this.#now() - started >= this.#minWatchMs;
    if (lasted) this.#backoff.reset();
    // A stream the server ended cleanly delivered every change up to its end.
    if (endedCleanly && !expired) this.#handlers.confirmed();
    return { expired, delivered, lasted };
  }
}

interface WatchOutcome {
  /** The history was gone (410): list again. */
  expired: boolean;
  /** Some event (a bookmark included) arrived. */
  delivered: boolean;
  /** It lasted at least minWatchMs. */
  lasted: boolean;
}

/** `promise`, or a rejection as soon as `signal` aborts (a request that cannot be cancelled must not hold a stop). */
function untilAborted<V>(promise: Promise<V>, signal: AbortSignal): Promise<V> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
