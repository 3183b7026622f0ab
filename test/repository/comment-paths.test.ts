// Paths that comments name exist: a comment that points a reader at `operator/kube/api.ts` or `docs/serve.md`
// must not point at a file that moved or was deleted. Every comment line of the tracked code, scripts and
// manifests is read; a path into one of the repository's top-level folders must exist, from the repository root
// or from the file's own folder. Paths of generated output, and an example in a usage text, are listed below.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/serve.ts';

const ROOMS = [
  'api',
  'operator',
  'dnsserver',
  'cli',
  'test',
  'bench',
  'docs',
  'scripts',
  'helm',
  'crds',
  'deploy',
  'examples',
  'lib',
  'tools',
  '.ci',
];
const CODE = /\.(ts|sh|ya?ml|c|js|mjs)$|(^|\/)Dockerfile$|^\.ci\/run$/;
const COMMENT = /^\s*(\/\/|#|\*|\/\*)/;
const PATH = new RegExp(
  `(?<![\\w./-])((?:\\.\\./)*(?:${ROOMS.map((r) => r.replace('.', '\\.')).join('|')})/[\\w./-]*[\\w/])`,
  'g',
);

/** Named in comments on purpose though they are not in the tree: what a command writes, and a usage example. */
const NOT_IN_TREE = new Set([
  'bench/out/big/config/big.example.json',
  'bench/out/reload/config',
  'bench/out/geoip-reload/',
  'bench/out/regional-load/',
  'bench/out/dnssec/',
  'examples/x.yaml',
]);

function commentPaths(): { file: string; line: number; named: string }[] {
  const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
  const found: { file: string; line: number; named: string }[] = [];
  for (const file of files) {
    if (!CODE.test(file) || !existsSync(path.join(REPO_ROOT, file))) continue;
    readFileSync(path.join(REPO_ROOT, file), 'utf8')
      .split('\n')
      .forEach((text, index) => {
        if (!COMMENT.test(text)) return;
        for (const match of text.matchAll(PATH)) {
          const named = match[1]!.replace(/[.,]+$/, '');
          if (/[*{}<>]/.test(named)) continue;
          found.push({ file, line: index + 1, named });
        }
      });
  }
  return found;
}

describe('paths named in comments', () => {
  it('exist (from the repository root or from the commenting file)', () => {
    const named = commentPaths();
    expect(named.length).toBeGreaterThan(100);
    const missing = named
      .filter(({ file, named: p }) => {
        if (NOT_IN_TREE.has(p)) return false;
        return !existsSync(path.join(REPO_ROOT, p)) && !existsSync(path.join(REPO_ROOT, path.dirname(file), p));
      })
      .map(({ file, line, named: p }) => `${file}:${line} names ${p}`);
    expect(missing).toEqual([]);
  });
});
