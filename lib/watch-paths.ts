// Tells when files or folders may have changed: the one watcher behind the standalone resource files and the DNS
// server's config folders. Editors save by rename as often as by write, so a file is watched through its folder
// (a ConfigMap update is one rename of `..data`). Events are debounced; a slow re-scan compares a fingerprint and
// catches what fs.watch misses, and re-establishes watches on paths that were missing or whose watch failed.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface WatchOptions {
  /** Quiet time after the last event before calling back (default 200 ms). */
  debounceMs?: number;
  /** Period of the safety-net re-scan (default 5 s; 0 turns it off). */
  rescanMs?: number;
  /** Watch folders with their subfolders (default true). */
  recursive?: boolean;
  /** What the re-scan compares (default: every file's path, size and modification time). */
  fingerprint?: () => Promise<string>;
  /** Told when a watch fails (the re-scan keeps working and tries to watch again). */
  onError?: (message: string) => void;
}

export interface PathWatcher {
  close(): void;
}

/** Every file's path, size and modification time under `paths`; missing paths count as content. */
export async function statFingerprint(paths: readonly string[]): Promise<string> {
  const parts: string[] = [];
  const visit = async (path: string): Promise<void> => {
    try {
      const info = await stat(path);
      if (info.isDirectory()) {
        for (const entry of (await readdir(path)).sort()) await visit(join(path, entry));
      } else parts.push(`${path}:${info.size}:${info.mtimeMs}`);
    } catch {
      parts.push(`${path}:missing`);
    }
  };
  for (const path of paths) await visit(resolve(path));
  return parts.join('\n');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function watchPaths(paths: readonly string[], onChange: () => void, options: WatchOptions = {}): PathWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const rescanMs = options.rescanMs ?? 5_000;
  const recursive = options.recursive ?? true;
  const fingerprint = options.fingerprint ?? (() => statFingerprint(paths));
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let lastFingerprint: string | undefined;
  const initial = fingerprint().then((fp) => (lastFingerprint ??= fp));

  const fire = (): void => {
    if (closed) return;
    // The callback first: a large folder's fingerprint must not delay a reload.
    onChange();
    void fingerprint().then((fp) => (lastFingerprint = fp));
  };
  const schedule = (): void => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(fire, debounceMs);
  };

  const watchers = new Map<string, FSWatcher>();
  const startWatching = async (path: string): Promise<void> => {
    let info;
    try {
      info = await stat(path);
    } catch {
      return; // not there (yet): the re-scan tries again
    }
    if (closed || watchers.has(path)) return;
    const target = info.isDirectory() ? path : dirname(path);
    const only = info.isDirectory() ? undefined : basename(path);
    try {
      const watcher = watch(target, { persistent: false, recursive: recursive && info.isDirectory() }, (_e, name) => {
        if (only === undefined || name === only) schedule();
      });
      watcher.on('error', (error) => {
        options.onError?.(`watching ${target}: ${error.message}`);
        watcher.close();
        watchers.delete(path);
      });
      watchers.set(path, watcher);
    } catch (error) {
      options.onError?.(`watching ${target}: ${messageOf(error)}`);
    }
  };
  const resolved = paths.map((p) => resolve(p));
  const watchAll = (): void => {
    for (const path of resolved) if (!watchers.has(path)) void startWatching(path);
  };
  watchAll();

  const rescan =
    rescanMs > 0
      ? setInterval(() => {
          watchAll();
          void Promise.all([fingerprint(), initial]).then(([fp]) => {
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
      clearTimeout(debounce);
      if (rescan) clearInterval(rescan);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
