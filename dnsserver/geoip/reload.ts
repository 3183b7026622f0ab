// A GeoIP database file that may be replaced while the server runs: geoipupdate writes a temporary file and
// renames it over the old one, a kubelet volume swaps a symlink, an operator copies a file. Each new version is
// read, opened with the maxmind reader and walked before it is handed on; one that fails is refused, with the
// file and the reason, and the last good database keeps serving.
import { coalesced } from '../../lib/coalesced.ts';
import { watchPaths, type PathWatcher } from '../../lib/watch-paths.ts';
import { parseAddress } from './address.ts';
import { geoDatabaseFromBytes, readGeoDatabaseBytes, type GeoDatabase } from './database.ts';

/** A database read and checked by the main thread: the bytes the DNS nodes wrap, and what the logs say of it. */
export interface LoadedGeoDatabase {
  readonly path: string;
  readonly bytes: SharedArrayBuffer;
  readonly type: string;
  readonly buildEpoch: Date;
}

/** What one look at the file came to. */
export type GeoReloadOutcome =
  | { result: 'swapped'; database: LoadedGeoDatabase; ms: number }
  | { result: 'unchanged'; path: string }
  | { result: 'refused'; path: string; reason: string };

/**
 * Addresses looked up before a database is accepted, spread over both address spaces: a file whose search tree or
 * data section is cut short or damaged throws here rather than on a client's query.
 */
const PROBES: readonly string[] = [
  ...Array.from({ length: 64 }, (_, i) => `${i * 4 + 1}.${(i * 37) % 256}.${(i * 101) % 256}.${(i * 7) % 256}`),
  ...Array.from(
    { length: 32 },
    (_, i) => `${(0x2000 + i * 0x1b3).toString(16)}:${((i * 4099) % 0x10000).toString(16)}::1`,
  ),
];

/** Looks up every probe address; throws what the reader threw. */
export function probeGeoDatabase(database: GeoDatabase): void {
  for (const text of PROBES) {
    const address = parseAddress(text);
    if (address) database.lookup(address);
  }
}

/** Reads and checks a database file; rejects with a message naming the file and the reason. */
export async function loadGeoDatabase(path: string): Promise<LoadedGeoDatabase> {
  const bytes = await readGeoDatabaseBytes(path);
  const database = geoDatabaseFromBytes(bytes, path, 1_000);
  try {
    probeGeoDatabase(database);
  } catch (error) {
    throw new Error(`GeoIP database ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { path, bytes, type: database.type, buildEpoch: database.buildEpoch };
}

/** Whether two databases hold the same bytes (a rescan or a rewrite of the same version changes nothing). */
export function sameBytes(a: SharedArrayBuffer, b: SharedArrayBuffer): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a).equals(Buffer.from(b));
}

export interface GeoDatabaseWatchOptions {
  /** The database serving now (read from the file being watched). */
  current: LoadedGeoDatabase;
  /** Hands a new database to every DNS node; resolves once they all answer with it. */
  swap(next: LoadedGeoDatabase): Promise<void>;
  /** Told of every look at the file that the watcher made. */
  onOutcome(outcome: GeoReloadOutcome): void;
  /** Quiet time after the last change before reading (default 200 ms). */
  debounceMs?: number;
  /** The safety-net re-scan (default 5 s), which catches a symlink swap the folder watch does not name. */
  rescanMs?: number;
  onWatchError?: (message: string) => void;
}

export interface GeoDatabaseWatch {
  /** The database the nodes answer with (the last one swapped in). */
  readonly current: LoadedGeoDatabase;
  close(): void;
}

/** Watches `options.current.path`; one reload at a time, and a change seen during one is read after it. */
export function watchGeoDatabase(options: GeoDatabaseWatchOptions): GeoDatabaseWatch {
  // Closures below use these, never `options`, which would keep the first database's bytes alive after a swap.
  const { swap, onOutcome } = options;
  const path = options.current.path;
  let current = options.current;
  let closed = false;

  const reloadOnce = async (): Promise<void> => {
    const started = performance.now();
    let next: LoadedGeoDatabase;
    try {
      next = await loadGeoDatabase(path);
    } catch (error) {
      if (!closed) onOutcome({ result: 'refused', path, reason: (error as Error).message });
      return;
    }
    if (closed) return;
    if (sameBytes(next.bytes, current.bytes)) {
      onOutcome({ result: 'unchanged', path });
      return;
    }
    try {
      await swap(next);
    } catch (error) {
      onOutcome({ result: 'refused', path, reason: `handing it to the DNS nodes: ${(error as Error).message}` });
      return;
    }
    current = next;
    onOutcome({ result: 'swapped', database: next, ms: performance.now() - started });
  };
  const reloadCoalesced = coalesced(reloadOnce);
  const reload = (): void => {
    if (!closed) void reloadCoalesced();
  };

  const watcher: PathWatcher = watchPaths([path], reload, {
    recursive: false,
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.rescanMs !== undefined ? { rescanMs: options.rescanMs } : {}),
    ...(options.onWatchError ? { onError: options.onWatchError } : {}),
  });
  return {
    get current() {
      return current;
    },
    close() {
      closed = true;
      watcher.close();
    },
  };
}
