// The GitHub Actions workflows (.github/workflows/) run only where GitHub runs them, so they are held here to
// actionlint (built from its Go module by scripts/actionlint.sh), which checks their `run:` scripts with
// shellcheck; the scripts the release runs are held to shellcheck; and the chart's default image is the one the
// release workflow publishes.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, runTool } from '../support/serve.ts';
import { tempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const WORKFLOWS = path.join(REPO_ROOT, '.github/workflows');
const RELEASE_SCRIPTS = ['scripts/actionlint.sh', 'scripts/release/version.sh', 'scripts/release/package-chart.sh'];
// A cold cache builds actionlint (about a minute on two cores, from the module cache or the Go module proxy).
const BUILD_TIMEOUT_MS = 300_000;

let actionlint: string;
let dir: string;
let removeDir: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ stdout: actionlint } = await run('bash', [path.join(REPO_ROOT, 'scripts/actionlint.sh')], {
    timeout: BUILD_TIMEOUT_MS,
  }));
  actionlint = actionlint.trim();
  ({ dir, remove: removeDir } = await tempDir('workflows'));
}, BUILD_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await removeDir?.();
});

/** actionlint on `files`, shellcheck required (actionlint would skip the `run:` scripts without it). */
async function lint(files: string[]): Promise<{ code: number; output: string }> {
  const shellcheck = (await runTool('bash', ['-c', 'command -v shellcheck'])).stdout.trim();
  expect(shellcheck, 'shellcheck is on PATH').not.toBe('');
  const result = await runTool(actionlint, ['-no-color', '-oneline', '-shellcheck', shellcheck, ...files]);
  return { code: result.code, output: result.stdout + result.stderr };
}

describe('the GitHub Actions workflows', () => {
  it('pass actionlint with shellcheck', async () => {
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(WORKFLOWS, f));
    expect(files.map((f) => path.basename(f))).toContain('release.yaml');
    expect(await lint(files)).toEqual({ code: 0, output: '' });
  });

  it('would fail on a broken workflow: an unknown step output, an unquoted expansion', async () => {
    const broken = path.join(dir, '.github/workflows/broken.yaml');
    await mkdir(path.dirname(broken), { recursive: true });
    await writeFile(
      broken,
      [
        'on: push',
        'jobs:',
        '  one:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - id: a',
        '        run: echo ok',
        '      - run: echo ${{ steps.a.outputs.missing }} $HOME/$1',
        '',
      ].join('\n'),
    );
    const { code, output } = await lint([broken]);
    expect(code).toBe(1);
    expect(output).toMatch(/shellcheck reported issue in this script: SC2086/);
  });

  it('name scripts that pass shellcheck', async () => {
    for (const script of RELEASE_SCRIPTS.concat('scripts/release/smoke-image.sh')) {
      const result = await runTool('shellcheck', [path.join(REPO_ROOT, script)]);
      expect(result, script).toMatchObject({ code: 0, stdout: '' });
    }
    const release = await readFile(path.join(WORKFLOWS, 'release.yaml'), 'utf8');
    for (const script of [
      'scripts/release/version.sh',
      'scripts/release/package-chart.sh',
      'scripts/release/smoke-image.sh',
    ]) {
      expect(release).toContain(`bash ${script} `);
    }
  });
});

describe('the release workflow', () => {
  it("publishes the image the chart's values point at, for amd64 and arm64", async () => {
    const workflow = parse(await readFile(path.join(WORKFLOWS, 'release.yaml'), 'utf8')) as {
      on: { push: { tags: string[] } };
      jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(workflow.on.push.tags).toEqual(['v*']);
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const published = /image=ghcr\.io\/\$owner\/([\w-]+)/.exec(steps.map((s) => s.run ?? '').join('\n'))?.[1];
    const pushed = steps.find((s) => s.uses?.startsWith('docker/build-push-action@') && s.with?.push === true);
    expect(pushed?.with?.platforms).toBe('linux/amd64,linux/arm64');
    expect(steps.some((s) => s.run?.includes('helm push "$CHART" "$CHARTS"'))).toBe(true);

    // The owner is the repository's, as the chart's home names it.
    const chart = parse(await readFile(path.join(REPO_ROOT, 'helm/kube-geodns/Chart.yaml'), 'utf8')) as {
      home: string;
    };
    const owner = /^https:\/\/github\.com\/([^/]+)\//.exec(chart.home)?.[1]?.toLowerCase();
    const values = parse(await readFile(path.join(REPO_ROOT, 'helm/kube-geodns/values.yaml'), 'utf8')) as {
      image: { repository: string };
    };
    expect(values.image.repository).toBe(`ghcr.io/${owner}/${published}`);
  });
});
