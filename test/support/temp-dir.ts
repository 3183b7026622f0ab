// A fresh temporary folder for a test, and the function that removes it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempDir {
  /** The folder: `$TMPDIR/geodns-<prefix>-XXXXXX`. */
  dir: string;
  /** Removes it and everything in it (never fails when it is already gone). */
  remove(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), `geodns-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
