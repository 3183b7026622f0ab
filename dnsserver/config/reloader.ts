// Keeps the served configuration in step with a config folder. Per file (so per zone), a new document that fails
// validation is refused and the last good version keeps serving; a file that disappears takes its zone away.
// Each reload hands over a whole new snapshot, so the server swaps atomically, and reports what it refused.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import { parseFile, resolveScan, scanConfigDir, scanFingerprint, type ScannedFile } from './load.ts';
import { watchConfigDir, type ConfigWatcher, type WatchOptions } from './watch.ts';
import { coalesced } from '../../lib/coalesced.ts';

export interface ConfigSnapshot {
  zones: CompiledZone[];
  health: HealthTable | null;
}

/** What is served, without the documents: zone names and serials, and the health table. */
export interface ServedSummary {
  zones: { zone: string; serial: number }[];
  health: HealthTable | null;
}

export interface ReloadOutcome {
  /** Whether a new snapshot was handed over. */
  changed: boolean;
  /** The snapshot handed over, when `changed`. */
  snapshot?: ConfigSnapshot;
  /** What was refused or could not be read, each naming the file (and field). */
  errors: string[];
}

export interface ConfigReloaderOptions {
  dir: string;
  /** Receives each new snapshot (only when something served changed). */
  onSwap: (snapshot: ConfigSnapshot) => void;
  /** Receives the errors of a reload that refused something (for logs and geodns_reload_failures_total). */
  onErrors?: (errors: string[]) => void;
  watch?: WatchOptions;
}

type GoodFile = Exclude<ScannedFile, { kind: 'invalid' }>;

/**
 * The last good version of a served file, kept for the day a later version is refused. Only its bytes (and hash)
 * are kept, parsed again when needed: the documents themselves go to the DNS nodes, and holding them here too
 * would keep a second copy of every zone in the main thread.
 */
interface KeptFile {
  file: string;
  hash: string;
  bytes: Buffer;
  description: string;
}

export class ConfigReloader {
  readonly #options: ConfigReloaderOptions;
  #kept = new Map<string, KeptFile>();
  #served: ServedSummary = { zones: [], health: null };
  #lastScan: string | undefined;
  #lastServed: string | undefined;
  #watcher: ConfigWatcher | undefined;

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
  }

  /** Starts watching, then loads once; resolves with the first outcome. */
  async start(): Promise<ReloadOutcome> {
    this.#watcher ??= watchConfigDir(
      this.#options.dir,
      () => {
        this.reload().catch((error: unknown) =>
          this.#options.onErrors?.([`reload of ${this.#options.dir}: ${String(error)}`]),
        );
      },
      this.#options.watch,
    );
    return this.reload();
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** What is served now. */
  current(): ServedSummary {
    return this.#served;
  }

  /** Re-reads the folder. Concurrent calls are folded: one more reload runs after the one in progress. */
  readonly reload: () => Promise<ReloadOutcome> = coalesced(() => this.#reloadOnce());

  async #reloadOnce(): Promise<ReloadOutcome> {
    const scan = await scanConfigDir(this.#options.dir);
    const fingerprint = scanFingerprint(scan);
    if (fingerprint === this.#lastScan) return { changed: false, errors: [] };
    this.#lastScan = fingerprint;

    if (scan.dirError) {
      const errors = [`${scan.dirError}; still serving the last good configuration`];
      this.#options.onErrors?.(errors);
      return { changed: false, errors };
    }

    const errors: string[] = [];
    const good = new Map<string, GoodFile>();
    for (const file of scan.files) {
      if (file.kind !== 'invalid') {
        good.set(file.file, file);
        continue;
      }
      errors.push(...file.errors);
      const kept = this.#kept.get(file.file);
      const previous = kept ? parseFile(kept.file, kept.hash, kept.bytes) : undefined;
      if (previous && previous.kind !== 'invalid') {
        good.set(file.file, previous);
        errors.push(`${file.file}: refused; still serving its last good version (${kept?.description})`);
      } else {
        errors.push(`${file.file}: refused; nothing served from it`);
      }
    }
    const resolved = resolveScan([...good.values()].sort((a, b) => a.file.localeCompare(b.file)));
    errors.push(...resolved.errors);
    this.#kept = new Map(
      [...good].map(([name, f]) => [name, { file: f.file, hash: f.hash, bytes: f.bytes, description: describe(f) }]),
    );

    const served = [...good.values()].map((f) => `${f.file}\0${f.hash}`).join('\n');
    const changed = served !== this.#lastServed;
    if (!changed) {
      if (errors.length > 0) this.#options.onErrors?.(errors);
      return { changed, errors };
    }
    this.#lastServed = served;
    const snapshot: ConfigSnapshot = { zones: resolved.zones, health: resolved.health };
    this.#served = { zones: resolved.zones.map((z) => ({ zone: z.zone, serial: z.serial })), health: resolved.health };
    this.#options.onSwap(snapshot);
    if (errors.length > 0) this.#options.onErrors?.(errors);
    return { changed, snapshot, errors };
  }
}

function describe(file: GoodFile): string {
  return file.kind === 'zone' ? `zone "${file.zone.zone}" serial ${file.zone.serial}` : 'health table';
}
