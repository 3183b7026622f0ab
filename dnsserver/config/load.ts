// Reads a config folder: the operator's output folder, or a mounted ConfigMap (whose visible files are symlinks
// through `..data` into a timestamped folder the kubelet swaps atomically). Hidden and `..`-prefixed entries are
// skipped; files are read through their symlinks. A `*.json.gz` file is a gzip-compressed document: what a
// ConfigMap's binaryData entry `<apex>.json.gz` becomes when mounted.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledZone } from '../../api/compiled.ts';
import { gunzipDocument } from '../../api/configmaps.ts';
import type { HealthTable } from '../../api/health.ts';
import { mergeHealthTables, validateDocument, type DocumentVerdict } from './validate.ts';

/** One file of a scan: its name, the SHA-256 of its bytes, the bytes themselves, and what they are. */
export type ScannedFile = { file: string; hash: string; bytes: Buffer } & DocumentVerdict;

export interface ScanResult {
  files: ScannedFile[];
  /** Set when the folder itself could not be listed; `files` is then empty and meaningless. */
  dirError?: string;
}

export interface LoadedConfig {
  zones: CompiledZone[];
  health: HealthTable | null;
  errors: string[];
}

const GZIP_SUFFIX = '.json.gz';

function isDocumentFile(name: string): boolean {
  return !name.startsWith('.') && (name.endsWith('.json') || name.endsWith(GZIP_SUFFIX));
}

/** The visible *.json and *.json.gz file names of `dir`, sorted. */
export async function listConfigFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isDocumentFile).sort();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The document a file's bytes hold, or why they hold none. The JSON text (a 9 MiB external string for a
 * 100,000-name zone) lives only in this frame, so it is garbage before the document is validated. */
function decodeFile(file: string, bytes: Buffer): { data: unknown } | { error: string } {
  let text: string;
  try {
    text = file.endsWith(GZIP_SUFFIX) ? gunzipDocument(bytes) : bytes.toString('utf8');
  } catch (error) {
    return { error: `${file}: not gzip-compressed JSON: ${errorText(error)}` };
  }
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    return { error: `${file}: invalid JSON: ${errorText(error)}` };
  }
}

/** Parses and checks a file's bytes (a fresh read, or bytes kept from an earlier scan). */
export function parseFile(file: string, hash: string, bytes: Buffer): ScannedFile {
  const decoded = decodeFile(file, bytes);
  if ('error' in decoded) return { file, hash, bytes, kind: 'invalid', errors: [decoded.error] };
  return { file, hash, bytes, ...validateDocument(file, decoded.data) };
}

async function scanFile(dir: string, file: string): Promise<ScannedFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, file));
  } catch (error) {
    return {
      file,
      hash: '',
      bytes: Buffer.alloc(0),
      kind: 'invalid',
      errors: [`${file}: cannot read: ${errorText(error)}`],
    };
  }
  return parseFile(file, createHash('sha256').update(bytes).digest('hex'), bytes);
}

/** Reads and validates every visible *.json and *.json.gz file of `dir`. Never throws. */
export async function scanConfigDir(dir: string): Promise<ScanResult> {
  let names: string[];
  try {
    names = await listConfigFiles(dir);
  } catch (error) {
    return { files: [], dirError: `config dir ${dir}: ${errorText(error)}` };
  }
  return { files: await Promise.all(names.map((name) => scanFile(dir, name))) };
}

/** A stable digest of a scan (file names and contents), to tell whether anything changed. */
export function scanFingerprint(scan: ScanResult): string {
  const hash = createHash('sha256');
  if (scan.dirError) hash.update(`error:${scan.dirError}\n`);
  for (const file of scan.files) hash.update(`${file.file}\0${file.hash}\n`);
  return hash.digest('hex');
}

/** A document and where it came from (a file name, or a ConfigMap and key). */
export type SourcedDocument = { file: string } & DocumentVerdict;

/**
 * Picks the zones and health tables to serve from a scan: valid zone files, one per zone (for a zone claimed by
 * two files the first file by name wins and the other is reported), and the merge of the valid health tables.
 */
export function resolveScan(files: readonly SourcedDocument[]): LoadedConfig {
  const errors: string[] = [];
  const byZone = new Map<string, { file: string; zone: CompiledZone }>();
  const tables: HealthTable[] = [];
  for (const scanned of files) {
    if (scanned.kind === 'invalid') errors.push(...scanned.errors);
    else if (scanned.kind === 'health') tables.push(scanned.health);
    else {
      const other = byZone.get(scanned.zone.zone);
      if (other) errors.push(`${scanned.file}: zone "${scanned.zone.zone}" is already served from ${other.file}`);
      else byZone.set(scanned.zone.zone, { file: scanned.file, zone: scanned.zone });
    }
  }
  const zones = [...byZone.values()].map((z) => z.zone).sort((a, b) => a.zone.localeCompare(b.zone));
  return { zones, health: mergeHealthTables(tables), errors };
}

/** Loads a config folder once: the valid zones, the merged health table (null if none) and every error. */
export async function loadConfigDir(dir: string): Promise<LoadedConfig> {
  const scan = await scanConfigDir(dir);
  if (scan.dirError) return { zones: [], health: null, errors: [scan.dirError] };
  return resolveScan(scan.files);
}
