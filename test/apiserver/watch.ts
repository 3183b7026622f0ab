// Watch streams: one JSON event per line, replaying every change after the requested resourceVersion in order,
// ERROR with a 410 Status when that history is gone, BOOKMARKs when asked, and the end of the stream after
// timeoutSeconds. Selectors see objects enter (ADDED) and leave (DELETED) the selection.
import type { ServerResponse } from 'node:http';
import { statusBody } from './errors.ts';
import { apiVersionOf, typeKey, type ResourceType } from './kinds.ts';
import type { Matcher } from './selectors.ts';
import { TooOldError, type Store, type StoreEvent } from './store.ts';
import type { JsonObject, KubeObject } from './types.ts';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  matches: Matcher;
  resourceVersion: string | undefined;
  bookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number;
  bookmarkIntervalMs: number;
  /** Turns an object into what the client asked for (the object, or a Table of it). */
  render: (object: KubeObject) => JsonObject;
}

export class Watches {
  private readonly open = new Set<{ res: ServerResponse; stop: () => void }>();

  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  get count(): number {
    return this.open.size;
  }

  /** Ends every open watch: abruptly (the client sees a broken connection) or cleanly (the stream just ends). */
  dropAll(abrupt: boolean): void {
    for (const watch of [...this.open]) {
      watch.stop();
      if (abrupt) watch.res.destroy();
      else watch.res.end();
    }
  }

  serve(res: ServerResponse, req: WatchRequest): void {
    const key = typeKey(req.type);
    const inScope = (o: KubeObject) =>
      !req.type.namespaced || req.namespace === undefined || o.metadata.namespace === req.namespace;
    const selected = (o: KubeObject | undefined) => o !== undefined && inScope(o) && req.matches(o);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    const send = (type: string, object: JsonObject) => res.write(`${JSON.stringify({ type, object })}\n`);
    const bookmark = (annotations?: Record<string, string>) =>
      send('BOOKMARK', {
        kind: req.type.kind,
        apiVersion: apiVersionOf(req.type),
        metadata: { resourceVersion: String(this.store.currentRevision), ...(annotations ? { annotations } : {}) },
      });

    const deliver = (event: StoreEvent) => {
      if (event.typeKey !== key) return;
      const now = selected(event.object);
      const before = event.type === 'ADDED' ? false : selected(event.previous);
      if (event.type === 'DELETED') {
        if (before) send('DELETED', req.render(event.object));
      } else if (now && before) send('MODIFIED', req.render(event.object));
      else if (now) send('ADDED', req.render(event.object));
      else if (before) send('DELETED', req.render(event.object));
    };

    const rv = req.resourceVersion;
    let replay: StoreEvent[] = [];
    if (rv === undefined || rv === '' || rv === '0') {
      // Without a resourceVersion (or with "0") a watch starts with the current objects as ADDED events.
      for (const object of this.store.list(key, req.type.namespaced ? req.namespace : undefined)) {
        if (selected(object)) send('ADDED', req.render(object));
      }
      if (req.sendInitialEvents && req.bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      try {
        replay = this.store.since(key, Number(rv));
      } catch (error) {
        if (!(error instanceof TooOldError)) throw error;
        send('ERROR', statusBody(410, 'Expired', error.message));
        res.end();
        return;
      }
    }
    for (const event of replay) deliver(event);

    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (req.bookmarks) timers.push(setInterval(() => bookmark(), req.bookmarkIntervalMs));
    timers.push(setTimeout(() => finish(true), req.timeoutSeconds * 1000));
    const entry = { res, stop: () => finish(false) };
    const finish = (end: boolean) => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.open.delete(entry);
      if (end && !res.writableEnded) res.end();
    };
    this.open.add(entry);
    res.on('close', () => finish(false));
  }
}
