// A collection whose kind may not be served at all (a CRD that is not installed, such as the Gateway API's), or
// not to us (RBAC that predates it): a 404 from its list is read as "not installed" and a 403 as "forbidden", each an
// empty list, instead of an error retried for ever (which would keep its informer from ever syncing, and so
// everything that waits for every cache). While it is unavailable, no watch is held: the list is asked again every
// `recheckMs`. When the kind appears its objects arrive as a fresh list; when it goes (its CRD deleted, the watch
// then answered 404), the next list empties the cache.
import { setTimeout as sleep } from 'node:timers/promises';
import { statusOf } from './errors.ts';
import { WatchErrorEvent, type ListWatchClient } from './reflector.ts';

/** served: listed; absent: the API server does not serve the kind (404); forbidden: not to us (403). */
export type Presence = 'served' | 'absent' | 'forbidden';

export interface OptionalKind {
  /** How often the list is asked again while the kind is unavailable (default 30 s). */
  recheckMs?: number;
  /** Told at every list what it found. */
  onPresence?: (presence: Presence) => void;
}

const UNAVAILABLE: Record<number, Presence> = { 403: 'forbidden', 404: 'absent' };
const DEFAULT_RECHECK_MS = 30_000;

/** `client` with a 404 or 403 from its list or watch taken as "the kind is not available". */
export function optionalKind<T>(client: ListWatchClient<T>, options: OptionalKind = {}): ListWatchClient<T> {
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  let unavailable = false;
  // A Status the reflector reads as 410 Gone: list again (the one way it has to start over from a list).
  const listAgain = (why: string) => new WatchErrorEvent({ code: 410, message: why });
  return {
    async list(signal) {
      try {
        const listed = await client.list(signal);
        unavailable = false;
        options.onPresence?.('served');
        return listed;
      } catch (error) {
        const presence = UNAVAILABLE[statusOf(error) ?? 0];
        if (!presence) throw error;
        unavailable = true;
        options.onPresence?.(presence);
        return { items: [], resourceVersion: presence };
      }
    },
    async watch(resourceVersion, onEvent, signal, opened) {
      if (unavailable) {
        opened?.();
        await sleep(recheckMs, undefined, { signal });
        throw listAgain('the kind was not available: listing again');
      }
      try {
        await client.watch(resourceVersion, onEvent, signal, opened);
      } catch (error) {
        if (UNAVAILABLE[statusOf(error) ?? 0]) throw listAgain('the kind is no longer available: listing again');
        throw error;
      }
    },
  };
}
