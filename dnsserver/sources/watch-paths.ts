// Tells when resource files may have changed. Editors save by rename as often as by write, so files are watched
// through their folder; a slow re-scan of sizes and modification times catches what fs.watch misses.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface PathWatcher {
  close(): void;
}

async function fingerprint(paths: readonly string[]): Promise<string> {
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

export function watchPaths(
  paths: readonly string[],
  onChange: () => void,
  options: { debounceMs?: number; rescanMs?: number } = {},
): PathWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const rescanMs = options.rescanMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let last: string | undefined;
  void fingerprint(paths).then((fp) => (last ??= fp));
  const fire = () => {
    if (closed) return;
    void fingerprint(paths).then((fp) => {
      last = fp;
      onChange();
    });
  };
  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const path of paths.map((p) => resolve(p))) {
    void stat(path)
      .then((info) => {
        if (closed) return;
        const target = info.isDirectory() ? path : dirname(path);
        const only = info.isDirectory() ? undefined : basename(path);
        const watcher = watch(target, { recursive: info.isDirectory() }, (_event, name) => {
          if (only === undefined || name === only) schedule();
        });
        watcher.on('error', () => undefined);
        watchers.push(watcher);
      })
      .catch(() => undefined);
  }
  const rescan = setInterval(() => {
    void fingerprint(paths).then((fp) => {
      if (!closed && last !== undefined && fp !== last) {
        last = fp;
        onChange();
      }
    });
  }, rescanMs);
  rescan.unref();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(rescan);
      for (const w of watchers) w.close();
    },
  };
}
