// Usage errors of `geodns serve`: exit status and a message saying what was wrong.
import net from 'node:net';
import { describe, expect, test } from 'vitest';
import { parseServeArgs } from '../../../../cli/commands/serve.ts';
import { UsageError } from '../../../../cli/command.ts';
import { EXAMPLES, runCli } from '../../../support/serve.ts';

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

  test('a metrics port already taken: exit 1 naming the address, DNS sockets released', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const args = ['serve', '--resources', EXAMPLES, '--listen', '127.0.0.1:0', '--workers', '1'];
      const result = await runCli([...args, '--metrics', `127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot serve metrics on 127.0.0.1:${port}`);
      expect(result.stdout).not.toContain('"msg":"serving"');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a bad --nsid value: exit 2', async () => {
    const result = await runCli(['serve', '--resources', EXAMPLES, '--listen', '127.0.0.1:0', '--nsid', 'two words']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--nsid: expected 1 to 128 printable ASCII characters without spaces, got 'two words'",
    );
  });

  test('a bad --workers value: exit 2', async () => {
    for (const bad of ['many', '1.5', '300']) {
      const result = await runCli(['serve', '--resources', EXAMPLES, '--listen', '127.0.0.1:0', '--workers', bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--workers: expected a whole number from 0 to 256, got '${bad}'`);
    }
  });

  test('--kube: alone or with a --config fallback, never with --resources; its options only with it', () => {
    expect(parseServeArgs(['--kube']).kube).toEqual({
      namespace: undefined,
      kubeconfig: undefined,
      startTimeoutMs: 5000,
    });
    const withFallback = parseServeArgs(['--kube', '--config', '/mnt', '--namespace', 'dns', '--kube-wait', '2.5']);
    expect(withFallback).toMatchObject({ config: '/mnt', kube: { namespace: 'dns', startTimeoutMs: 2500 } });
    expect(parseServeArgs(['--config', '/mnt']).kube).toBeUndefined();
    const refused: [string[], string][] = [
      [['--kube', '--resources', EXAMPLES], 'give exactly one source'],
      [['--config', '/mnt', '--namespace', 'dns'], '--namespace goes with --kube'],
      [['--resources', EXAMPLES, '--kubeconfig', '/kc'], '--kubeconfig goes with --kube'],
      [['--kube', '--kube-wait', '0'], "--kube-wait: expected a positive number, got '0'"],
    ];
    for (const [args, message] of refused) {
      expect(() => parseServeArgs(args)).toThrow(UsageError);
      expect(() => parseServeArgs(args)).toThrow(message);
    }
  });

  test('--kube with a kubeconfig that cannot be read: exit 1 naming it', async () => {
    const missing = '/nonexistent/geodns-test/kubeconfig';
    const result = await runCli(['serve', '--kube', '--kubeconfig', missing, ...QUIET]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
    expect(result.stdout).not.toContain('"msg":"serving"');
  });
});

describe('geodns serve rate limiting options', () => {
  const parse = (...args: string[]) => parseServeArgs(['--resources', EXAMPLES, ...args]);

  test('off unless --rrl-rate is given; the other options then take their defaults', () => {
    expect(parse().rrl).toBeUndefined();
    expect(parse('--rrl-rate', '0').rrl).toBeUndefined();
    expect(parse('--rrl-rate', '50').rrl).toEqual({
      rate: 50,
      slip: 2,
      windowSeconds: 5,
      ipv4Prefix: 24,
      ipv6Prefix: 56,
      exempt: [],
      tableSize: 65536,
    });
    const all = ['--rrl-slip', '0', '--rrl-window', '15', '--rrl-ipv4-prefix', '16', '--rrl-ipv6-prefix', '48'];
    const exempt = ['--rrl-exempt', '10.0.0.0/8', '--rrl-exempt', '2001:db8::/32', '--rrl-table-size', '1024'];
    expect(parse('--rrl-rate', '5', ...all, ...exempt).rrl).toEqual({
      rate: 5,
      slip: 0,
      windowSeconds: 15,
      ipv4Prefix: 16,
      ipv6Prefix: 48,
      exempt: ['10.0.0.0/8', '2001:db8::/32'],
      tableSize: 1024,
    });
  });

  test('refuses settings that make no sense, saying which', () => {
    expect(() => parse('--rrl-slip', '1')).toThrow('--rrl-slip needs --rrl-rate N');
    expect(() => parse('--rrl-rate', 'fast')).toThrow('--rrl-rate: expected a whole number from 0 to');
    expect(() => parse('--rrl-rate', '5', '--rrl-ipv4-prefix', '33')).toThrow('--rrl-ipv4-prefix');
    expect(() => parse('--rrl-rate', '5', '--rrl-exempt', '10.0.0.0/40')).toThrow('--rrl-exempt');
    expect(() => parse('--rrl-rate', '5', '--rrl-window', '0')).toThrow('--rrl-window');
    expect(() => parse('--rrl-rate', '5', '--rrl-table-size', '4')).toThrow('--rrl-table-size');
  });
});

describe('geodns serve cache bounds', () => {
  const parse = (...args: string[]) => parseServeArgs(['--resources', EXAMPLES, ...args]);
  const keys = ['--dnssec-keys', '/tmp/keys'];

  test('default to 50,000 each and 32,768 replies; --answer-cache, --dnssec-cache and --reply-cache set them', () => {
    const replies = 32_768;
    expect(parse().cacheBounds).toEqual({ answers: 50_000, dnssec: 50_000, replies });
    expect(parse('--answer-cache', '200000').cacheBounds).toEqual({ answers: 200_000, dnssec: 50_000, replies });
    expect(parse(...keys, '--dnssec-cache', '400000').cacheBounds).toEqual({
      answers: 50_000,
      dnssec: 400_000,
      replies,
    });
    expect(parse(...keys, '--answer-cache', '1', '--dnssec-cache', '10000000').cacheBounds).toEqual({
      answers: 1,
      dnssec: 10_000_000,
      replies,
    });
    expect(parse('--reply-cache', '0').cacheBounds?.replies).toBe(0);
    expect(parse('--reply-cache', '4194304').cacheBounds?.replies).toBe(4_194_304);
  });

  test('--reply-cache: a whole number from 0 to 4,194,304, else refused naming the option', () => {
    for (const bad of ['-1', '1.5', 'lots', '', '4194305']) {
      expect(() => parse(`--reply-cache=${bad}`)).toThrow(
        `--reply-cache: expected a whole number from 0 to 4194304, got '${bad}'`,
      );
    }
  });

  test('refuses what is not a whole number from 1 to 10,000,000, naming the option', () => {
    for (const bad of ['0', '-5', '1.5', 'lots', '', '10000001']) {
      expect(() => parse(`--answer-cache=${bad}`)).toThrow(UsageError);
      expect(() => parse(`--answer-cache=${bad}`)).toThrow(
        `--answer-cache: expected a whole number from 1 to 10000000`,
      );
      expect(() => parse(...keys, `--dnssec-cache=${bad}`)).toThrow(`--dnssec-cache: expected a whole number from 1`);
    }
    expect(() => parse('--dnssec-cache', '100000')).toThrow('--dnssec-cache needs --dnssec-keys DIR');
  });

  test('serve --help lists both', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--answer-cache N +plans .* kept per worker/);
    expect(result.stdout).toMatch(/--reply-cache N +with --udp-io native: replies kept per UDP socket/);
    expect(result.stdout).toMatch(
      /--dnssec-cache N +signatures kept per signed zone and signed answers kept per worker/,
    );
  });
});
