// IPv6 hosts a test can reach without a packet leaving this machine, which has an IPv6 route out: a network
// namespace (a PodHost) holding addresses of a ULA prefix unique to this run (fd77:<run>::/32) on its loopback,
// routed from here over its veth pair, and one HTTP server inside on [::]:port answering for all of them. Each
// address can be turned down (its open and new connections reset) and up again. An `unreachable` route for the prefix
// stands behind the veth route for the whole run, so nothing for it follows the default route while the namespace
// is being set up or taken down. Needs root.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ip, PodHost } from '../../tools/control-plane/pod-host.ts';

/** The server inside: `down <address>` / `up <address>` on stdin, `ok` on stdout once applied. */
const SERVER = `
  const http = require('node:http');
  const net = require('node:net');
  const readline = require('node:readline');
  const down = new Set();
  const sockets = new Set();
  let blocked = new net.BlockList();
  const server = http.createServer((request, response) => response.end('ok'));
  server.on('connection', (socket) => {
    if (blocked.check(socket.localAddress, 'ipv6')) return socket.resetAndDestroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(Number(process.argv[1]), '::', () => console.log('listening'));
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [verb, address] = line.split(' ');
    if (verb === 'down') down.add(address); else down.delete(address);
    blocked = new net.BlockList();
    for (const a of down) blocked.addAddress(a, 'ipv6');
    for (const socket of sockets) if (blocked.check(socket.localAddress, 'ipv6')) socket.resetAndDestroy();
    console.log('ok');
  });`;

export class Ipv6Site {
  /** The run's /32, as the first two groups: `fd77:<run>`. */
  readonly prefix: string;
  readonly #host: PodHost;
  readonly #outside: string;
  readonly #inside: string;
  #server: ChildProcess | undefined;
  #replies: ((line: string) => void)[] = [];

  private constructor(host: PodHost, prefix: string) {
    this.#host = host;
    this.prefix = prefix;
    this.#outside = `${prefix}:ffff::1`;
    this.#inside = `${prefix}:ffff::2`;
  }

  /** The namespace, its routes, and the server on [::]:`port` answering for each of `addresses` (in the prefix). */
  static async create(port: number, addresses: (prefix: string) => string[]): Promise<Ipv6Site> {
    const host = await PodHost.create();
    const prefix = `fd77:${((process.pid % 0xef00) + 0x100).toString(16)}`;
    const site = new Ipv6Site(host, prefix);
    try {
      await site.#setUp(addresses(prefix));
      await site.#start(port);
    } catch (error) {
      await site.remove();
      throw error;
    }
    return site;
  }

  async #setUp(addresses: string[]): Promise<void> {
    const name = this.#host.name;
    const [outside, inside] = [`${name}h`, `${name}p`];
    await ip('-6', 'route', 'add', 'unreachable', `${this.prefix}::/32`, 'metric', '4096');
    await ip('-6', 'addr', 'add', `${this.#outside}/64`, 'dev', outside, 'nodad');
    await ip('-n', name, '-6', 'addr', 'add', `${this.#inside}/64`, 'dev', inside, 'nodad');
    for (const address of addresses) {
      if (!address.startsWith(`${this.prefix}:`)) throw new Error(`${address} is not in ${this.prefix}::/32`);
      await ip('-n', name, '-6', 'addr', 'add', `${address}/128`, 'dev', 'lo');
    }
    await ip('-6', 'route', 'add', `${this.prefix}::/32`, 'via', this.#inside, 'dev', outside, 'metric', '1024');
    for (const address of addresses) {
      const route = await ip('-6', 'route', 'get', address);
      if (!route.includes(`dev ${outside} `)) throw new Error(`${address} is not routed into the namespace: ${route}`);
    }
  }

  async #start(port: number): Promise<void> {
    const child = this.#host.spawn(process.execPath, ['-e', SERVER, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#server = child;
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`the IPv6 site's server exited (${code})`)));
    });
    lines.on('line', (line) => this.#replies.shift()?.(line));
  }

  /** Makes `address` answer (up) or reset every connection (down); resolves once the server has applied it. */
  async set(address: string, up: boolean): Promise<void> {
    const server = this.#server;
    if (!server?.stdin) throw new Error('the IPv6 site is not running');
    const applied = new Promise<string>((resolve) => this.#replies.push(resolve));
    server.stdin.write(`${up ? 'up' : 'down'} ${address}\n`);
    await applied;
  }

  /** Stops the server (by its PID), then takes the routes, the namespace and its veth pair away; safe to repeat. */
  async remove(): Promise<void> {
    const server = this.#server;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    const outside = `${this.#host.name}h`;
    await ip('-6', 'route', 'del', `${this.prefix}::/32`, 'via', this.#inside, 'dev', outside).catch(() => undefined);
    await this.#host.remove();
    await ip('link', 'del', outside).catch(() => undefined);
    await ip('-6', 'route', 'del', 'unreachable', `${this.prefix}::/32`, 'metric', '4096').catch(() => undefined);
  }
}
