// DNSSEC keys from a folder (`geodns serve --dnssec-keys DIR`): every BIND pair K<zone>.+<alg>+<tag>.key/.private
// in it, read as text, parsed and checked. The same shape as a Kubernetes Secret mounted as files (a new version
// arrives as one rename of `..data`), so the folder is watched: a changed set of keys is read, checked and decided
// on (dnssec/key-change.ts) before the DNS nodes get it; one that fails is refused with the file and the reason,
// and the keys signing now go on. Parsing and checking is lib/dnssec/bind.ts's.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { coalesced } from '../../lib/coalesced.ts';
import { watchPaths, type PathWatcher } from '../../lib/watch-paths.ts';
import { parseKeyFileBase, parseKeyPair, type KeyPairText } from '../../lib/dnssec/bind.ts';
import { decideKeyChange, type KeyName } from '../dnssec/key-change.ts';
import { signersFor } from '../dnssec/signer.ts';
import type { SigningKey } from '../../lib/dnssec/types.ts';

/**
 * The key pairs in `dir`, sorted by file name (none in an empty folder). Throws, naming the file, when a pair is
 * incomplete or unreadable.
 */
async function readKeyDir(dir: string): Promise<KeyPairText[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new Error(`--dnssec-keys ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const pairs: KeyPairText[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.key') || !parseKeyFileBase(name)) continue;
    const keyFile = path.join(dir, name);
    const privateFile = path.join(dir, `${name.slice(0, -'.key'.length)}.private`);
    const read = async (file: string) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          `${file}: ${code === 'ENOENT' ? 'missing (each .key needs its .private)' : (code ?? (error as Error).message)}`,
        );
      }
    };
    pairs.push({ keyFile, key: await read(keyFile), privateFile, private: await read(privateFile) });
  }
  return pairs;
}

/** A folder's keys: the text every DNS node parses again (a KeyObject does not cross threads), and the keys. */
export interface LoadedKeys {
  readonly texts: KeyPairText[];
  readonly keys: SigningKey[];
}

/**
 * Reads, parses and checks every pair (signers made once, as each node will); throws naming the file and why. An
 * empty folder gives no keys: at start-up a Secret not filled yet, on a reload the decision says what it would do.
 */
export async function loadKeyDir(dir: string): Promise<LoadedKeys> {
  const texts = await readKeyDir(dir);
  const keys = texts.map(parseKeyPair);
  signersFor(keys);
  return { texts, keys };
}

/** What one look at the folder came to. */
export type KeyReloadOutcome =
  | { result: 'swapped'; dir: string; keys: SigningKey[]; added: KeyName[]; removed: KeyName[] }
  | { result: 'unchanged'; dir: string }
  | { result: 'refused'; dir: string; reason: string };

export interface KeyDirWatchOptions {
  dir: string;
  /** The keys signing now (read from `dir`). */
  current: LoadedKeys;
  /** Hands the new keys to every DNS node; resolves once they all sign with them. */
  swap(next: KeyPairText[]): Promise<void>;
  onOutcome(outcome: KeyReloadOutcome): void;
  debounceMs?: number;
  rescanMs?: number;
  onWatchError?: (message: string) => void;
}

export interface KeyDirWatch {
  close(): void;
}

/** Watches the key folder; one reload at a time, and a change seen during one is read after it. */
export function watchKeyDir(options: KeyDirWatchOptions): KeyDirWatch {
  const { dir, swap, onOutcome } = options;
  let current = options.current.keys;
  let closed = false;

  const reloadOnce = async (): Promise<void> => {
    let next: LoadedKeys;
    try {
      next = await loadKeyDir(dir);
    } catch (error) {
      if (!closed) onOutcome({ result: 'refused', dir, reason: (error as Error).message });
      return;
    }
    if (closed) return;
    const change = decideKeyChange(current, next.keys);
    if (change.result === 'refused') return onOutcome({ result: 'refused', dir, reason: change.reason });
    if (change.result === 'unchanged') return onOutcome({ result: 'unchanged', dir });
    try {
      await swap(next.texts);
    } catch (error) {
      onOutcome({ result: 'refused', dir, reason: `handing them to the DNS nodes: ${(error as Error).message}` });
      return;
    }
    current = next.keys;
    onOutcome({ result: 'swapped', dir, keys: next.keys, added: change.added, removed: change.removed });
  };
  const reload = coalesced(reloadOnce);

  const onChange = (): void => {
    if (!closed) void reload();
  };
  const watcher: PathWatcher = watchPaths([dir], onChange, {
    recursive: false,
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    ...(options.rescanMs !== undefined ? { rescanMs: options.rescanMs } : {}),
    ...(options.onWatchError ? { onError: options.onWatchError } : {}),
  });
  return {
    close() {
      closed = true;
      watcher.close();
    },
  };
}
