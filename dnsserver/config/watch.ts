// Tells when a config folder may have changed: the shared path watcher on the folder itself (a ConfigMap update is
// one rename of `..data`; a plain folder gives an event per file), with a short debounce and a slow re-scan that
// calls back only when the content digest of the visible *.json and *.json.gz files differs.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { watchPaths, type PathWatcher, type WatchOptions as PathWatchOptions } from '../../lib/watch-paths.ts';
import { listConfigFiles } from './load.ts';

export type WatchOptions = Pick<PathWatchOptions, 'debounceMs' | 'rescanMs' | 'onError'>;
export type ConfigWatcher = PathWatcher;

/** Digest of the visible *.json and *.json.gz files' names and contents; unreadable files and folders count as content. */
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

/** Defaults: 25 ms debounce (a ConfigMap update is one event), a re-scan every 60 s. */
export function watchConfigDir(dir: string, onChange: () => void, options: WatchOptions = {}): ConfigWatcher {
  return watchPaths([dir], onChange, {
    debounceMs: 25,
    rescanMs: 60_000,
    ...options,
    recursive: false,
    fingerprint: () => dirFingerprint(dir),
  });
}
