// What the release workflow (.github/workflows/release.yaml) does with the chart, run here with the real helm:
// the version from the tag (scripts/release/version.sh), and the chart packaged with that version and the image the
// release pushed (scripts/release/package-chart.sh), without touching the tree.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART, deployment, NAMESPACE, parseRendered, RELEASE } from '../../support/helm-render.ts';
import { REPO_ROOT, runTool } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';

const VERSION_SH = path.join(REPO_ROOT, 'scripts/release/version.sh');
const PACKAGE_SH = path.join(REPO_ROOT, 'scripts/release/package-chart.sh');

let dir: string;
let removeDir: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('release'));
});
afterAll(async () => {
  await removeDir?.();
});

describe('the release version (scripts/release/version.sh)', () => {
  it.each([
    ['v0.1.0', '0.1.0'],
    ['v1.2.3', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
    ['v10.0.0-beta-2', '10.0.0-beta-2'],
  ])('takes the tag %s as version %s', async (tag, version) => {
    const result = await runTool('bash', [VERSION_SH, tag]);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each(['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3+build', 'v1.2.3-', 'release-1', ''])(
    'refuses the tag %j',
    async (tag) => {
      const result = await runTool('bash', [VERSION_SH, tag]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`tag '${tag}' is not a release tag: use v<major>.<minor>.<patch>`);
    },
  );
});

describe('the released chart (scripts/release/package-chart.sh)', () => {
  it("packages the chart with the release's version and image, and leaves the tree as it was", async () => {
    const values = await readFile(path.join(CHART, 'values.yaml'), 'utf8');
    const image = 'registry.test/acme/kube-geodns';
    const result = await runTool('bash', [PACKAGE_SH, '1.2.3-rc.1', image, path.join(dir, 'out')]);
    expect(result.code, result.stderr).toBe(0);
    const chart = path.join(dir, 'out/kube-geodns-1.2.3-rc.1.tgz');
    expect(result.stdout).toBe(`${chart}\n`);

    const shown = await runTool('helm', ['show', 'chart', chart]);
    expect(parse(shown.stdout)).toMatchObject({ name: 'kube-geodns', version: '1.2.3-rc.1', appVersion: '1.2.3-rc.1' });
    const rendered = await runTool('helm', ['template', RELEASE, chart, '-n', NAMESPACE]);
    expect(rendered.code, rendered.stderr).toBe(0);
    const { objects } = parseRendered(rendered.stdout);
    for (const name of ['geodns-operator', 'geodns-dns']) {
      const containers = deployment(objects, name).spec.template.spec.containers;
      expect(containers.map((c) => c.image)).toEqual([`${image}:1.2.3-rc.1`]);
    }
    // The rest of values.yaml is packaged as it is: only the image's repository line differs.
    expect((await runTool('tar', ['-xzf', chart, '-C', dir])).code).toBe(0);
    const packaged = await readFile(path.join(dir, 'kube-geodns/values.yaml'), 'utf8');
    const changed = (a: string, b: string) => a.split('\n').filter((line, i) => line !== b.split('\n')[i]);
    expect(changed(packaged, values)).toEqual([`  repository: ${image}`]);
    expect(await readFile(path.join(CHART, 'values.yaml'), 'utf8')).toBe(values);
  });

  it.each([
    ['a tag', 'ghcr.io/acme/kube-geodns:1.0'],
    ['a digest', 'ghcr.io/acme/kube-geodns@sha256:' + 'a'.repeat(64)],
    ['upper case', 'ghcr.io/Acme/kube-geodns'],
  ])('refuses an image repository with %s', async (_what, image) => {
    const result = await runTool('bash', [PACKAGE_SH, '1.2.3', image, path.join(dir, 'refused')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`'${image}' is not an image repository`);
  });
});
