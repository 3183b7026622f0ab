// Tells when a config folder may have changed: fs.watch events (a ConfigMap update is one rename of `..data`; a
// plain folder gives an event per file), debounced, plus a slow periodic re-scan as a safety net for missed
// events, which calls back only when the content digest of the visible *.json files differs.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { listConfigFiles } from './load.ts';

export interface WatchOptions {
  /** Quiet time after the last event before calling back (default 25 ms; a ConfigMap update is one event). */
  debounceMs?: number;
  /** Period of the safety-net re-scan (default 60 s; 0 turns it off). */
  rescanMs?: number;
  /** Told when watching fails (the periodic re-scan keeps working). */
  onError?: (message: string) => void;
}

export interface ConfigWatcher {
  close(): void;
}

/** Digest of the visible *.json files' names and contents; unreadable files and folders count as content. */
export async function dirFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for (const name of await listConfigFiles(dir)) {
      hash.update(name).update('\0');
      try {
        hash.update(await readFile(join(dir, name)));
      } catch (error) {
        hash.update(`unreadable:${String(error)}`);
      }
      hash.update('\n');
    }
  } catch (error) {
    hash.update(`dir unreadable:${String(error)}`);
  }
  return hash.digest('hex');
}

export function watchConfigDir(dir: string, onChange: () => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 25;
  const rescanMs = options.rescanMs ?? 60_000;
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let lastFingerprint: string | undefined;
  const initial = dirFingerprint(dir).then((fp) => (lastFingerprint ??= fp));

  const fire = (): void => {
    if (closed) return;
    onChange();
    void dirFingerprint(dir).then((fp) => (lastFingerprint = fp));
  };
  const schedule = (): void => {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(fire, debounceMs);
  };
  const startWatching = (): void => {
    try {
      watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', (error) => {
        options.onError?.(`watching ${dir}: ${error.message}`);
        watcher?.close();
        watcher = undefined;
      });
    } catch (error) {
      watcher = undefined;
      options.onError?.(`watching ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  startWatching();

  const rescan =
    rescanMs > 0
      ? setInterval(() => {
          if (!watcher) startWatching(); // the folder may be back
          void Promise.all([dirFingerprint(dir), initial]).then(([fp]) => {
            if (closed || fp === lastFingerprint) return;
            lastFingerprint = fp;
            onChange();
          });
        }, rescanMs)
      : undefined;
  rescan?.unref();

  return {
    close(): void {
      closed = true;
      if (debounce) clearTimeout(debounce);
      if (rescan) clearInterval(rescan);
      watcher?.close();
    },
  };
}
