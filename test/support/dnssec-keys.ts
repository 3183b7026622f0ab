// DNSSEC keys for the serve suites: a pair made by BIND's dnssec-keygen, and a folder updated as the kubelet updates
// a mounted Secret (the files are symlinks through `..data`, and an update is one rename of `..data`).
import type { CoreV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, type TempDir } from './temp-dir.ts';

export interface KeyPair {
  base: string;
  /** Where dnssec-keygen wrote it. */
  dir: string;
  tag: number;
  /** The DNSKEY's public key field, as the .key file and dig print it. */
  publicKey: string;
  files: Record<string, string>;
}

/** A combined signing key (flags 257) of `zone` made by dnssec-keygen in `dir`. */
export async function keygen(dir: string, algorithm: string, zone = 'geo.example.com'): Promise<KeyPair> {
  const base = execFileSync('dnssec-keygen', ['-q', '-K', dir, '-a', algorithm, '-f', 'KSK', zone], {
    encoding: 'utf8',
  }).trim();
  const key = await readFile(path.join(dir, `${base}.key`), 'utf8');
  const fields = (key.split('\n').find((l) => /\sDNSKEY\s/.test(l)) ?? '').trim().split(/\s+/);
  return {
    base,
    dir,
    tag: Number(base.split('+')[2]),
    publicKey: fields.slice(fields.indexOf('DNSKEY') + 4).join(''),
    files: { [`${base}.key`]: key, [`${base}.private`]: await readFile(path.join(dir, `${base}.private`), 'utf8') },
  };
}

/** The DS of a pair (SHA-256), as dnssec-dsfromkey -2 prints it: a trust anchor for unbound. */
export function dsOf(key: KeyPair): string {
  return execFileSync('dnssec-dsfromkey', ['-2', path.join(key.dir, `${key.base}.key`)], { encoding: 'utf8' }).trim();
}

/** Publishes `files` in `dir` as the kubelet updates a Secret volume: a new `..<version>` folder, `..data` renamed
 * onto it, then the top-level symlinks added for new names and removed for names gone. */
export async function publishAsSecret(dir: string, version: string, files: Record<string, string>): Promise<void> {
  const folder = `..${version}`;
  await mkdir(path.join(dir, folder));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, folder, name), text);
  await symlink(folder, path.join(dir, '..data_tmp'));
  await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  const visible = (await readdir(dir)).filter((n) => !n.startsWith('..'));
  for (const name of Object.keys(files)) {
    if (!visible.includes(name)) await symlink(path.join('..data', name), path.join(dir, name));
  }
  for (const name of visible) if (!(name in files)) await rm(path.join(dir, name));
}

export const pairsOf = (...keys: KeyPair[]) => Object.assign({}, ...keys.map((k) => k.files)) as Record<string, string>;

/** The files of a Secret as text (undefined: no such Secret): what the kubelet would mount. */
export async function secretFiles(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const secret = await core.readNamespacedSecret({ namespace, name }).catch(() => undefined);
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([file, value]) => [file, Buffer.from(value, 'base64').toString('utf8')]),
  );
}

/** A temporary folder with an ECDSA P-256 key and an Ed25519 key made in it, and a Secret-style `keys` folder
 * publishing the first (version v1): for a server given `--dnssec-keys keysDir` to swap keys under. */
export async function twoKeysFirstPublished(
  prefix: string,
): Promise<{ temp: TempDir; keysDir: string; first: KeyPair; second: KeyPair }> {
  const temp = await tempDir(prefix);
  const made = path.join(temp.dir, 'made');
  const keysDir = path.join(temp.dir, 'keys');
  await mkdir(made);
  await mkdir(keysDir);
  const first = await keygen(made, 'ECDSAP256SHA256');
  const second = await keygen(made, 'ED25519');
  await publishAsSecret(keysDir, 'v1', pairsOf(first));
  return { temp, keysDir, first, second };
}
