// scripts/build-native.ts, the install script of `npm ci`: where the addon cannot be built (here: a compiler that
// fails) it says why and exits 0, so the install goes on and the server serves with dgram; where it can, it builds
// against the headers of the Node running it and the result loads.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/serve.ts';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts/build-native.ts');

describe('scripts/build-native.ts', () => {
  it('without a working C compiler: says so, exits 0, leaves any built addon alone', async () => {
    const addon = path.join(REPO_ROOT, 'build/geodns_udp.node');
    const before = existsSync(addon);
    const { stderr } = await run(process.execPath, [SCRIPT], {
      env: { ...process.env, CC: '/bin/false' },
      timeout: 30_000,
    });
    expect(stderr).toMatch(/native UDP addon not built \(\/bin\/false: .*\); dgram serves/);
    expect(existsSync(addon)).toBe(before);
  });

  it.skipIf(process.platform !== 'linux')('with one: builds against the running Node headers', async () => {
    const { stderr } = await run(process.execPath, [SCRIPT], { timeout: 60_000 });
    if (stderr.includes('not built')) return; // no compiler on this machine: the case above
    expect(stderr).toContain(`native UDP addon built: build/geodns_udp.node (Node ${process.version}`);
  });
});
