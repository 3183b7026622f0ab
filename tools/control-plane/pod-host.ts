// A test host for a Pod whose address something contacts: a network namespace joined to this machine by a veth
// pair, with an address from 10.251.0.0/16 on each end. Kubernetes refuses loopback in EndpointSlices, so a DNS pod
// that the operator queries, or any other contacted Pod, runs its process inside such a host and its Pod object
// carries the host's address. Traffic then goes only to loopback or to these hosts, never elsewhere.
//
// Needs root (ip netns, ip link). remove() deletes the namespace, which takes the veth pair with it.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { startForwarder, type Forwarder } from './forwarder.ts';

const run = promisify(execFile);
let created = 0;

/** Runs `ip ARGS`; its stdout, or an error that names the command and what ip said. */
export async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 10_000 })).stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
}

export class PodHost {
  /** The namespace's name, also the stem of its veth pair. */
  readonly name: string;
  /** The Pod's address (inside the namespace). */
  readonly address: string;
  /** This machine's end of the pair: what the Pod's processes connect to. */
  readonly gateway: string;
  readonly #forwarders: Forwarder[] = [];

  private constructor(name: string, address: string, gateway: string) {
    this.name = name;
    this.address = address;
    this.gateway = gateway;
  }

  static async create(): Promise<PodHost> {
    if (process.getuid?.() !== 0) throw new Error('a pod host needs root (ip netns): run the tests as root');
    const used = await ip('-o', '-4', 'addr', 'show');
    // A /30 per host: the third octet from this process (parallel test files), the fourth from a counter.
    for (let attempt = 0; attempt < 64; attempt++) {
      const index = created++;
      const third = (process.pid + Math.floor(index / 63)) % 250;
      const base = (index % 63) * 4;
      const gateway = `10.251.${third}.${base + 1}`;
      const address = `10.251.${third}.${base + 2}`;
      if (used.includes(` ${gateway}/`) || used.includes(` ${address}/`)) continue;
      const name = `gd${process.pid % 100000}n${index}`;
      const host = new PodHost(name, address, gateway);
      await host.#setUp();
      return host;
    }
    throw new Error('no free /30 in 10.251.0.0/16 for a pod host');
  }

  async #setUp(): Promise<void> {
    const outside = `${this.name}h`;
    const inside = `${this.name}p`;
    await ip('netns', 'add', this.name);
    try {
      await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      await ip('link', 'set', inside, 'netns', this.name);
      await ip('addr', 'add', `${this.gateway}/30`, 'dev', outside);
      await ip('link', 'set', outside, 'up');
      await ip('-n', this.name, 'addr', 'add', `${this.address}/30`, 'dev', inside);
      await ip('-n', this.name, 'link', 'set', inside, 'up');
      await ip('-n', this.name, 'link', 'set', 'lo', 'up');
    } catch (error) {
      await ip('netns', 'del', this.name).catch(() => undefined);
      throw error;
    }
  }

  /** Starts `command args` inside the namespace (`ip netns exec` execs it: the child's PID is the command's). */
  spawn(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, command, ...args], options);
  }

  /**
   * A TCP forwarder on the gateway address to `port` on this machine's loopback (the API server listens on
   * 127.0.0.1 only): the Pod's processes reach it at `${gateway}:${returned port}`.
   */
  async forward(port: number): Promise<number> {
    const forwarder = await startForwarder(this.gateway, port);
    this.#forwarders.push(forwarder);
    return forwarder.port;
  }

  async remove(): Promise<void> {
    for (const forwarder of this.#forwarders) forwarder.close();
    await ip('netns', 'del', this.name).catch(() => undefined);
  }
}
