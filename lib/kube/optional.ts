// A collection whose kind may not be served at all (a CRD that is not installed, such as the Gateway API's): a 404
// from its list is read as "not installed", an empty list, instead of an error retried for ever (which would keep
// its informer from ever syncing, and so everything that waits for every cache). While it is absent, no watch is
// held: the list is asked again every `recheckMs`. When the kind appears its objects arrive as a fresh list; when it
// goes (its CRD deleted, the watch then answered 404), the next list empties the cache.
import { setTimeout as sleep } from 'node:timers/promises';
import { statusOf } from './errors.ts';
import { WatchErrorEvent, type ListWatchClient } from './reflector.ts';

export interface OptionalKind {
  /** How often the list is asked again while the kind is not served (default 30 s). */
  recheckMs?: number;
  /** Told whenever the kind is found served or not served, and at the first list. */
  onPresence?: (installed: boolean) => void;
}

const NOT_FOUND = 404;
const DEFAULT_RECHECK_MS = 30_000;

/** `client` with a 404 from its list or watch taken as "the kind is not served". */
export function optionalKind<T>(client: ListWatchClient<T>, options: OptionalKind = {}): ListWatchClient<T> {
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  let absent = false;
  // A Status the reflector reads as 410 Gone: list again (the one way it has to start over from a list).
  const listAgain = (why: string) => new WatchErrorEvent({ code: 410, message: why });
  return {
    async list(signal) {
      try {
        const listed = await client.list(signal);
        absent = false;
        options.onPresence?.(true);
        return listed;
      } catch (error) {
        if (statusOf(error) !== NOT_FOUND) throw error;
        absent = true;
        options.onPresence?.(false);
        return { items: [], resourceVersion: 'absent' };
      }
    },
    async watch(resourceVersion, onEvent, signal, opened) {
      if (absent) {
        opened?.();
        await sleep(recheckMs, undefined, { signal });
        throw listAgain('the kind was not served: listing again');
      }
      try {
        await client.watch(resourceVersion, onEvent, signal, opened);
      } catch (error) {
        if (statusOf(error) === NOT_FOUND) throw listAgain('the kind is no longer served: listing again');
        throw error;
      }
    },
  };
}
