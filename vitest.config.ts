import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// The real Kubernetes binaries the tests drive (etcd, kube-apiserver, kube-controller-manager, kubectl, helm), pinned
// and built from their Go modules into a cache outside the repository (docs/testing.md). A warm cache answers at
// once; a cold one is built here, once. They come first on every test's PATH, so `kubectl` and `helm` are the
// pinned ones.
const kubeBin =
  process.env.KUBE_GEODNS_BIN ??
  execFileSync('bash', ['scripts/kube/build-binaries.sh'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: { KUBE_GEODNS_BIN: kubeBin, PATH: `${kubeBin}:${process.env.PATH ?? ''}` },
  },
});
