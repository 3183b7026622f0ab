// The image's file tree (its /app), assembled in one place: the Dockerfile's build stage runs
// `node scripts/image-tree.ts /image-root` and its final stage copies that folder to /app;
// test/integration/image/tree.test.ts assembles the same tree into a temporary folder and runs it.
//
// The bundle (dist/cli/, `npm run build`) holds all the JavaScript, so no node_modules/ of dependencies ships. What
// still resolves at run time from files:
// - the embedded GeoIP database, which dnsserver/geoip/database.ts resolves from node_modules/ beside the code
//   (the repository's in development, /app/node_modules/ in the image): that one file, its package.json and the
//   data's licence and README are copied to the same place relative to dist/;
// - the batched UDP addon, build/geodns_udp.node beside dist/ (dnsserver/transport/udp-native.ts), when built;
// - package.json with "type": "module", which makes the bundle's .js files ES modules.
// bin/geodns starts the CLI: the image's ENTRYPOINT, and on its PATH for `kubectl exec POD -- geodns ...`.
//   node scripts/image-tree.ts OUT [--dist DIR]        (DIR: the bundle's output, default dist)
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { embeddedDatabasePath } from '../dnsserver/geoip/database.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Where the Dockerfile's final stage puts the tree. */
export const IMAGE_APP = '/app';
/** The CLI's starter in the tree. */
export const IMAGE_BIN = 'bin/geodns';
const ADDON = 'build/geodns_udp.node';
// Beside the database: its package.json (name and version), and the attribution its RIR data's CC BY 4.0 asks for.
const GEOIP_COMPANIONS = ['package.json', 'README.md', 'NRO_LICENSE'];

// `exec`, so that node is the container's PID 1 and gets SIGTERM itself. The folder comes from $0 because the test
// runs the tree from a temporary folder; PATH lookups and /app/bin/geodns give an absolute $0.
// A small young generation keeps the resident set low under a steady stream of answers (docs/serve.md, "Memory").
const STARTER = `#!/bin/sh
# geodns, the kube-geodns CLI (written by scripts/image-tree.ts): node on the bundle in ../dist/cli/.
case $0 in */*) here=\${0%/*} ;; *) here=. ;; esac
exec node --max-semi-space-size=4 "$here/../dist/cli/geodns.js" "$@"
`;

export interface ImageTree {
  /** Every file written, relative to the tree's root, sorted. */
  files: string[];
  /** Whether the addon was there to copy (without it the server runs the dgram path). */
  addon: boolean;
}

async function copyInto(out: string, from: string, relative: string, files: string[]): Promise<void> {
  const to = path.join(out, relative);
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to);
  await chmod(to, 0o644);
  files.push(relative);
}

/** Assembles the tree into `out`, which must be missing or empty. `dist`: the bundle (scripts/bundle.ts's OUTDIR). */
export async function assembleImageTree(out: string, dist = path.join(ROOT, 'dist')): Promise<ImageTree> {
  const existing = await readdir(out).catch(() => []);
  if (existing.length > 0) throw new Error(`${out} is not empty`);
  const files: string[] = [];

  const bundle = (await readdir(path.join(dist, 'cli')).catch(() => [])).filter((f) => f.endsWith('.js'));
  for (const entry of ['geodns.js', 'worker.js']) {
    if (!bundle.includes(entry))
      throw new Error(`${path.join(dist, 'cli', entry)} is missing: run npm run build first`);
  }
  for (const file of bundle) await copyInto(out, path.join(dist, 'cli', file), `dist/cli/${file}`, files);

  const addon = await stat(path.join(ROOT, ADDON)).then(
    (s) => s.isFile(),
    () => false,
  );
  if (addon) await copyInto(out, path.join(ROOT, ADDON), ADDON, files);

  // The same place under the tree's node_modules/ as under the one it resolved from (which may be a link).
  const database = embeddedDatabasePath();
  const at = database.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at < 0) throw new Error(`the embedded GeoIP database ${database} is not in a node_modules folder`);
  const packageDir = path.dirname(database.slice(at + 1));
  for (const file of [path.basename(database), ...GEOIP_COMPANIONS]) {
    await copyInto(out, path.join(path.dirname(database), file), path.join(packageDir, file), files);
  }

  const project = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license: string;
  };
  const manifest = {
    name: project.name,
    version: project.version,
    license: project.license,
    private: true,
    type: 'module',
  };
  await writeFile(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  files.push('package.json');

  await mkdir(path.join(out, path.dirname(IMAGE_BIN)), { recursive: true });
  await writeFile(path.join(out, IMAGE_BIN), STARTER);
  await chmod(path.join(out, IMAGE_BIN), 0o755);
  files.push(IMAGE_BIN);

  return { files: files.sort(), addon };
}

/** Bytes in the regular files under `dir` (what the image's layer holds, less the tar headers). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

if (import.meta.filename === process.argv[1]) {
  const [out, flag, dist] = process.argv.slice(2);
  if (!out || (flag !== undefined && (flag !== '--dist' || !dist))) {
    process.stderr.write('usage: node scripts/image-tree.ts OUT [--dist DIR]\n');
    process.exit(2);
  }
  const tree = await assembleImageTree(path.resolve(out), dist && path.resolve(dist));
  if (!tree.addon) process.stderr.write(`image-tree: ${ADDON} was not built; the image serves UDP with dgram\n`);
  process.stdout.write(`image-tree: ${tree.files.length} files, ${mib(await treeBytes(out))} MiB in ${out}\n`);
}
