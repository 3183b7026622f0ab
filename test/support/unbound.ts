// unbound as a test's resolver, in the foreground on a free loopback port, forwarding the client's subnet: for the
// DNSSEC suites validating with one trust anchor (a DS or DNSKEY record) and a stub zone pointing at the geodns under
// test; for the delegation suites not validating, with stub zones at a parent server that delegates.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { dig, type DigResult } from './dig.ts';
import { until } from './until.ts';

/** A free loopback TCP port (unbound binds UDP and TCP on it). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export class Unbound {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<unknown>;
  readonly output: string[] = [];

  constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
    this.exited = once(child, 'exit');
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  dig(args: string[]): Promise<DigResult> {
    return dig({ host: '127.0.0.1', port: this.port }, ['+dnssec', ...args], { time: 5 });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Where unbound sends the queries for one zone (`addresses`: `host` or `host@port`). */
export interface StubZone {
  zone: string;
  addresses: string[];
}

export interface ResolverOptions {
  /** The only trust anchor (a DS or DNSKEY record); without one unbound does not validate. */
  anchor?: string;
  stubs: StubZone[];
  /** The authorities unbound sends the client's subnet to (send-client-subnet). */
  clientSubnetTo: string[];
  /** More `server:` lines. */
  extra?: string[];
}

/** unbound in the foreground on a free loopback port; resolves once it answers `probe`'s SOA (SERVFAIL or not). */
export async function startResolver(
  dir: string,
  name: string,
  options: ResolverOptions,
  probe: string,
): Promise<Unbound> {
  const port = await freePort();
  const conf = path.join(dir, `${name}.conf`);
  await writeFile(
    conf,
    [
      'server:',
      '  interface: 127.0.0.1',
      `  port: ${port}`,
      '  do-ip6: no',
      '  do-not-query-localhost: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 1',
      '  val-log-level: 2',
      '  access-control: 127.0.0.0/8 allow',
      '  qname-minimisation: no',
      '  aggressive-nsec: no',
      `  module-config: "subnetcache ${options.anchor === undefined ? '' : 'validator '}iterator"`,
      ...options.clientSubnetTo.map((address) => `  send-client-subnet: ${address}`),
      '  client-subnet-always-forward: yes',
      '  max-client-subnet-ipv4: 24',
      ...(options.anchor === undefined ? [] : [`  trust-anchor: "${options.anchor}"`]),
      ...(options.extra ?? []).map((line) => `  ${line}`),
      ...options.stubs.flatMap((stub) => [
        'stub-zone:',
        `  name: "${stub.zone}"`,
        ...stub.addresses.map((address) => `  stub-addr: ${address}`),
      ]),
      '',
    ].join('\n'),
  );
  execFileSync('unbound-checkconf', [conf]);
  const unbound = new Unbound(spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }), port);
  // Ready when it answers (SERVFAIL or not) over loopback.
  await until('unbound to answer', () => unbound.dig(['+cd', probe, 'SOA']), {
    accept: (r) => r.status !== undefined,
    intervalMs: 100,
  });
  return unbound;
}

/** unbound in the foreground, with `anchor` (a DS or DNSKEY record) as its only trust anchor, stub to geodns. */
export function startUnbound(
  dir: string,
  name: string,
  anchor: string,
  geodnsPort: number,
  extra: string[] = [],
  zone = 'geo.example.com',
): Promise<Unbound> {
  const stubs = [{ zone, addresses: [`127.0.0.1@${geodnsPort}`] }];
  return startResolver(dir, name, { anchor, stubs, clientSubnetTo: ['127.0.0.1'], extra }, zone);
}
