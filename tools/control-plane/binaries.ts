// Where the real Kubernetes binaries are: $KUBE_GEODNS_BIN, else the cache that scripts/kube/build-binaries.sh
// fills (it prints the folder, building only what is missing; a warm cache answers at once).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_SCRIPT = path.join(REPO, 'scripts/kube/build-binaries.sh');

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'helm'] as const;
export type Binary = (typeof BINARIES)[number];

let folder: string | undefined;

/** The folder holding every binary of BINARIES; builds them (minutes, once) when the cache lacks one. */
export function binaryFolder(): string {
  if (folder) return folder;
  const fromEnv = process.env.KUBE_GEODNS_BIN;
  const found =
    fromEnv ?? execFileSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const missing = BINARIES.filter((b) => !existsSync(path.join(found, b)));
  if (missing.length > 0) {
    throw new Error(`${found} lacks ${missing.join(', ')}: run bash scripts/kube/build-binaries.sh`);
  }
  folder = found;
  return found;
}

export function binary(name: Binary): string {
  return path.join(binaryFolder(), name);
}
