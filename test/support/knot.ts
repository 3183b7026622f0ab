// A plain authoritative server for a test: knotd in the foreground serving zone files from a directory, on one
// loopback address and port (a parent zone that delegates to the geodns under test, say), optionally signing them
// itself (knot's automatic DNSSEC signing, its keys in its own storage).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dig, type DigResult } from './dig.ts';
import { until } from './until.ts';

export class Knot {
  readonly child: ChildProcess;
  readonly host: string;
  readonly port: number;
  readonly exited: Promise<unknown>;
  readonly output: string[] = [];
  readonly #conf: string;

  constructor(child: ChildProcess, host: string, port: number, conf: string) {
    this.child = child;
    this.host = host;
    this.port = port;
    this.#conf = conf;
    this.exited = once(child, 'exit');
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  dig(args: string[]): Promise<DigResult> {
    return dig({ host: this.host, port: this.port }, args);
  }

  /** Writes `text` as `apex`'s zone file and has knotd load it (and sign it again) while it keeps serving. */
  async reload(apex: string, text: string): Promise<void> {
    await writeFile(path.join(path.dirname(this.#conf), `${apex}.zone`), text);
    execFileSync('knotc', ['-c', this.#conf, '-b', 'zone-reload', apex], { stdio: 'pipe' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export interface KnotOptions {
  /** Sign every zone (ECDSA P-256, one combined key that never rolls, kept in knotd's storage under `dir`). */
  signing?: boolean;
}

/** knotd serving `zones` (apex → zone file text) on `host`:`port`; resolves once it answers each zone's SOA. */
export async function startKnot(
  dir: string,
  host: string,
  port: number,
  zones: Record<string, string>,
  options: KnotOptions = {},
): Promise<Knot> {
  const storage = path.join(dir, 'knot');
  await mkdir(storage, { recursive: true });
  for (const [apex, text] of Object.entries(zones)) await writeFile(path.join(storage, `${apex}.zone`), text);
  const conf = path.join(storage, 'knot.conf');
  await writeFile(
    conf,
    [
      'server:',
      `  rundir: "${storage}"`,
      `  listen: ${host}@${port}`,
      'log:',
      '  - target: stderr',
      '    any: notice',
      'database:',
      `  storage: "${storage}"`,
      ...(options.signing
        ? [
            'policy:',
            '  - id: test',
            '    algorithm: ecdsap256sha256',
            '    single-type-signing: on',
            '    ksk-lifetime: 0',
            '    zsk-lifetime: 0',
          ]
        : []),
      'template:',
      '  - id: default',
      `    storage: "${storage}"`,
      '    file: "%s.zone"',
      '    journal-content: none',
      '    zonefile-sync: -1',
      ...(options.signing ? ['    dnssec-signing: on', '    dnssec-policy: test'] : []),
      'zone:',
      ...Object.keys(zones).map((apex) => `  - domain: ${apex}`),
      '',
    ].join('\n'),
  );
  execFileSync('knotc', ['-c', conf, 'conf-check'], { stdio: 'pipe' });
  const knot = new Knot(spawn('knotd', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }), host, port, conf);
  try {
    for (const apex of Object.keys(zones)) {
      await until(`knotd to serve ${apex}`, () => knot.dig([apex, 'SOA', '+norecurse']), {
        accept: (r) => r.status === 'NOERROR' && r.flags.includes('aa'),
        intervalMs: 100,
      });
    }
  } catch (error) {
    await knot.stop();
    throw new Error(`${(error as Error).message}; knotd said: ${knot.output.join('')}`, { cause: error });
  }
  return knot;
}
