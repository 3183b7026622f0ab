// The build (`npm run build`): the CLI and the DNS server's worker thread bundled by esbuild into dist/cli/, two
// entry modules and a few shared chunks instead of some 1,300 modules (868 of them @kubernetes/client-node's
// generated API and models). That costs each process and thread less memory: in node bench/operator/scale.ts the
// operator peaked 20–30 MiB lower than with tsc's per-module output, and serve holds a little less too
// (bench/RESULTS.md, 2026-12-04). Data files (the embedded GeoIP database) still resolve from node_modules/:
// scripts/image-tree.ts puts that one file at the same place in the image. Type checking is `npm run typecheck`'s job; esbuild only strips types.
//   node scripts/bundle.ts [OUTDIR]        (default dist)
import { build } from 'esbuild';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const dist = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));

const outdir = path.join(dist, 'cli');
// Chunks are named by their hash: the previous build's go first (only the .js files of OUTDIR/cli, nothing else).
for (const file of await readdir(outdir).catch(() => [])) {
  if (file.endsWith('.js')) await rm(path.join(outdir, file));
}
await build({
  absWorkingDir: ROOT,
  entryPoints: { geodns: 'cli/geodns.ts', worker: 'dnsserver/workers/thread-entry.ts' },
  // Every file in one folder: workers/threads.ts starts worker.js beside whichever chunk it lands in.
  outdir,
  // What the CLI imports lazily stays lazy, in chunks of its own: `serve` without --kube never loads the
  // Kubernetes client.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.19',
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
