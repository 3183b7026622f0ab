// Usage errors of `geodns serve`: exit status and a message saying what was wrong.
import { describe, expect, test } from 'vitest';
import { EXAMPLES, runCli } from './harness.ts';

const QUIET = ['--listen', '127.0.0.1:0', '--metrics', 'off', '--workers', '1'];

describe('geodns serve usage errors', () => {
  test('no source: exit 2 with a message', async () => {
    const result = await runCli(['serve', ...QUIET]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give exactly one source');
  });

  test('both sources: exit 2 with a message', async () => {
    const result = await runCli(['serve', '--resources', EXAMPLES, '--config', '/tmp', ...QUIET]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give exactly one source');
  });

  test('an unreadable --geoip file: exit 1 naming the file', async () => {
    const missing = '/nonexistent/geodns-test/city.mmdb';
    const result = await runCli(['serve', '--resources', EXAMPLES, '--geoip', missing, ...QUIET]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
    expect(result.stdout).not.toContain('"msg":"serving"');
  });
});
