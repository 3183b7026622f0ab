// An informer of a kind that may not be served (a CRD not installed) or not to us (RBAC), over a scripted list and
// watch: a 404 is an empty, synced cache and "absent" (no watch held; the list asked again), the kind appearing fills
// it, and the kind going away (the watch answered 404) empties it; a 403 is "forbidden" the same way; other errors
// are retried as ever.
import { describe, expect, it } from 'vitest';
import { Informer } from '../../../../lib/kube/informer.ts';
import { optionalKind, type Presence } from '../../../../lib/kube/optional.ts';
import type { Listed, ListWatchClient } from '../../../../lib/kube/reflector.ts';
import { until } from '../../../support/until.ts';

interface Obj {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const obj = (name: string, rv: number): Obj => ({
  metadata: { name, namespace: 'infra', resourceVersion: String(rv) },
});
const status = (code: number) => Object.assign(new Error(`HTTP ${code}`), { statusCode: code });
const notFound = () => status(404);

/** The API server's side: whether the kind is served, and its objects; every call recorded. */
function server() {
  const state = { served: false, items: [] as Obj[], calls: [] as string[] };
  const hang = (signal: AbortSignal) =>
    new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  const client: ListWatchClient<Obj> = {
    list() {
      state.calls.push(state.served ? 'list' : 'list 404');
      if (!state.served) return Promise.reject(notFound());
      return Promise.resolve<Listed<Obj>>({ items: [...state.items], resourceVersion: '10' });
    },
    async watch(from, _onEvent, signal, opened) {
      state.calls.push(`watch@${from}`);
      opened?.();
      // A served kind's watch lasts until the kind goes: then the server answers 404.
      while (state.served && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
      if (signal.aborted) return hang(signal);
      throw notFound();
    },
  };
  return { state, client };
}

describe('optionalKind', () => {
  it('syncs empty without the kind, fills when it appears, empties when it goes, holding no watch while absent', async () => {
    const { state, client } = server();
    const presence: Presence[] = [];
    const errors: unknown[] = [];
    const informer = new Informer<Obj>(
      optionalKind(client, { recheckMs: 10, onPresence: (installed) => presence.push(installed) }),
      { backoff: { initialMs: 1, maxMs: 5 }, onError: (error) => errors.push(error) },
    );
    informer.start();
    try {
      await informer.synced;
      expect(informer.list()).toEqual([]);
      expect(presence).toEqual(['absent']);
      // Absent: listed again after the recheck, never watched.
      await until('a second list while absent', () => state.calls.filter((c) => c === 'list 404').length >= 2);
      expect(state.calls.some((c) => c.startsWith('watch'))).toBe(false);

      state.items = [obj('edge', 9)];
      state.served = true;
      await until('the object after the kind appeared', () => informer.get('edge', 'infra'));
      expect(presence.at(-1)).toBe('served');
      await until('a watch from the list', () => state.calls.includes('watch@10'));

      state.served = false;
      await until('the cache emptied after the kind went', () => informer.list().length === 0);
      expect(presence.at(-1)).toBe('absent');
      // Not an error retried for ever: nothing was reported as a failure.
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('takes a 403 as forbidden: synced and empty, no error', async () => {
    const forbidden: ListWatchClient<Obj> = {
      list: () => Promise.reject(status(403)),
      watch: () => Promise.reject(new Error('not reached')),
    };
    const presence: Presence[] = [];
    const errors: unknown[] = [];
    const informer = new Informer<Obj>(
      optionalKind(forbidden, { recheckMs: 10, onPresence: (found) => presence.push(found) }),
      { backoff: { initialMs: 1, maxMs: 5 }, onError: (error) => errors.push(error) },
    );
    informer.start();
    try {
      await informer.synced;
      expect(informer.list()).toEqual([]);
      expect(presence[0]).toBe('forbidden');
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('passes other errors on, as the reflector retries them', async () => {
    const failing: ListWatchClient<Obj> = {
      list: () => Promise.reject(status(500)),
      watch: () => Promise.reject(new Error('not reached')),
    };
    const errors: unknown[] = [];
    const informer = new Informer<Obj>(optionalKind(failing, { recheckMs: 10 }), {
      backoff: { initialMs: 1, maxMs: 5 },
      onError: (error) => errors.push(error),
    });
    informer.start();
    try {
      await until('the 500 reported', () => errors.length > 0);
      expect(informer.hasSynced).toBe(false);
    } finally {
      await informer.stop();
    }
  });
});
