// DNS over UDP through the batched native addon (native/udp_batch.c, built into build/geodns_udp.node by
// scripts/build-native.ts): a readable socket is drained with recvmmsg, up to BATCH datagrams at a time into one
// buffer, this file runs the handler on each (the same seam as udp.ts: message, client → reply) and writes the
// replies into a second buffer, and the addon sends them all with one sendmmsg. One JavaScript call per batch
// instead of a callback and a send per datagram. Where the addon is missing or does not load, loadNativeUdp() says
// why and the caller uses udp.ts.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClientInfo } from '../wire/types.ts';
import { handleQuery, safeReporter } from './guard.ts';
import {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  emptyUdpCounts,
  socketTypeFor,
  type UdpCounts,
  type UdpIo,
  type UdpServer,
  type UdpServerOptions,
} from './udp.ts';

/** Datagrams read per recvmmsg (and replies per sendmmsg). */
export const DEFAULT_BATCH = 32;

type Handle = object;
interface Addon {
  open(
    family: 4 | 6,
    host: string,
    port: number,
    reusePort: boolean,
    receiveBufferBytes: number,
  ): {
    handle: Handle;
    receiveBufferSet: boolean;
  };
  address(handle: Handle): [string, number];
  ntop6(bytes: Buffer, offset: number): string;
  start(
    handle: Handle,
    batch: number,
    receive: Buffer,
    send: Buffer,
    meta: Int32Array,
    addresses: Buffer,
    stats: Float64Array,
    onBatch: (count: number) => void,
  ): void;
  close(handle: Handle): void;
  readonly SLOT: number;
  readonly META: number;
  readonly STATS: number;
}

// The addon's counters (enum Stat in udp_batch.c).
const STAT = { batches: 0, datagrams: 1, receiveErrors: 2, eagain: 3, enobufs: 4, sendOther: 5, cut: 6 } as const;

/** build/geodns_udp.node at the package root: from dnsserver/transport/ (sources) and dist/cli/ (the bundle). */
export function nativeUdpAddonPath(): string {
  return process.env.GEODNS_UDP_ADDON ?? new URL('../../build/geodns_udp.node', import.meta.url).pathname;
}

let loaded: { addon: Addon } | { error: string } | undefined;

/** Loads the addon once per thread: the addon, or why it cannot serve here. */
export function loadNativeUdp(): { addon: Addon } | { error: string } {
  if (loaded) return loaded;
  const path = nativeUdpAddonPath();
  try {
    if (process.platform !== 'linux') throw new Error(`recvmmsg/sendmmsg are Linux only (this is ${process.platform})`);
    const module = { exports: {} as Addon };
    process.dlopen(module, path);
    if (typeof module.exports.open !== 'function') throw new Error('not the geodns UDP addon');
    loaded = { addon: module.exports };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    loaded = { error: `cannot load ${path}: ${message.split('\n')[0]}` };
  }
  return loaded;
}

export interface NativeUdpServerOptions extends UdpServerOptions {
  /** Datagrams per recvmmsg/sendmmsg (default DEFAULT_BATCH). */
  batch?: number;
}

async function literalAddress(host: string, family: 4 | 6): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await lookup(host, { family })).address;
}

export async function startNativeUdpServer(options: NativeUdpServerOptions): Promise<UdpServer> {
  const native = loadNativeUdp();
  if ('error' in native) throw new Error(`UDP server: ${native.error}`);
  const { addon } = native;
  const family: 4 | 6 = socketTypeFor(options.host) === 'udp4' ? 4 : 6;
  const { handler, onError } = options;
  const report = safeReporter(onError);
  const batch = options.batch ?? DEFAULT_BATCH;

  let opened: ReturnType<Addon['open']>;
  try {
    const host = await literalAddress(options.host, family);
    opened = addon.open(
      family,
      host,
      options.port,
      options.reusePort === true,
      options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
    );
  } catch (error) {
    const cause = error as NodeJS.ErrnoException;
    throw new Error(`UDP server: cannot bind ${options.host} port ${options.port}: ${cause.message}`, { cause });
  }
  const { handle } = opened;
  if (!opened.receiveBufferSet) report(new Error('setsockopt SO_RCVBUF failed'), 'udp receive buffer');

  const { SLOT, META } = addon;
  // Pages the kernel never writes stay untouched, so a 64 KiB slot per datagram costs memory only for what arrives.
  const receive = Buffer.allocUnsafeSlow(batch * SLOT);
  const send = Buffer.allocUnsafeSlow(batch * SLOT);
  const meta = new Int32Array(batch * META);
  const addresses = Buffer.allocUnsafeSlow(batch * 16);
  const words = new Uint32Array(addresses.buffer, addresses.byteOffset, batch * 4);
  const stats = new Float64Array(addon.STATS);
  const taken = new Float64Array(addon.STATS);

  // Most batches come from few clients: the text of the last source address is kept, not made again.
  let lastWord0 = -1;
  let lastWord1 = 0;
  let lastWord2 = 0;
  let lastWord3 = 0;
  let lastText = '';
  const addressOf = (i: number): string => {
    const w = i * 4;
    const w0 = words[w] as number;
    if (family === 4) {
      if (w0 !== lastWord0) {
        const b = i * 16;
        lastWord0 = w0;
        lastText = `${addresses[b]}.${addresses[b + 1]}.${addresses[b + 2]}.${addresses[b + 3]}`;
      }
      return lastText;
    }
    const w1 = words[w + 1] as number;
    const w2 = words[w + 2] as number;
    const w3 = words[w + 3] as number;
    if (w0 !== lastWord0 || w1 !== lastWord1 || w2 !== lastWord2 || w3 !== lastWord3) {
      lastWord0 = w0;
      lastWord1 = w1;
      lastWord2 = w2;
      lastWord3 = w3;
      lastText = addon.ntop6(addresses, i * 16);
    }
    return lastText;
  };

  let sendOverflow = 0;
  const onBatch = (count: number): void => {
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const m = i * META;
      // meta[m + 3] (the reply length) is 0 until set here: the addon clears it with each datagram.
      try {
        const length = meta[m] as number;
        const client: ClientInfo = { address: addressOf(i), port: meta[m + 1] as number, family, transport: 'udp' };
        const start = i * SLOT;
        const response = handleQuery(handler, receive.subarray(start, start + length), client, report);
        if (!response) continue;
        if (offset + response.length > send.length) {
          sendOverflow++;
          continue;
        }
        send.set(response, offset);
        meta[m + 3] = response.length;
        offset += response.length;
      } catch (error) {
        // Only a bug of this file gets here (handleQuery catches the handler's throws): never out into the addon.
        report(error, 'udp native batch');
      }
    }
  };

  try {
    addon.start(handle, batch, receive, send, meta, addresses, stats, onBatch);
  } catch (error) {
    addon.close(handle);
    throw error;
  }
  const [address, port] = addon.address(handle);
  let closed = false;
  return {
    port,
    address,
    io: 'native',
    takeCounts(): UdpCounts {
      const delta = (i: number): number => {
        const d = (stats[i] as number) - (taken[i] as number);
        taken[i] = stats[i] as number;
        return d;
      };
      const counts = emptyUdpCounts();
      counts.batches = delta(STAT.batches);
      counts.datagrams = delta(STAT.datagrams);
      counts.receiveErrors = delta(STAT.receiveErrors);
      counts.sendErrors.EAGAIN = delta(STAT.eagain);
      counts.sendErrors.ENOBUFS = delta(STAT.enobufs);
      counts.sendErrors.other = delta(STAT.sendOther) + sendOverflow;
      counts.truncatedReceives = delta(STAT.cut);
      sendOverflow = 0;
      return counts;
    },
    close: () => {
      if (!closed) {
        closed = true;
        addon.close(handle);
      }
      return Promise.resolve();
    },
  };
}

/** What `--udp-io` asks for: one path, or native where it loads and dgram elsewhere. */
export type UdpIoChoice = UdpIo | 'auto';
export const UDP_IO_CHOICES: readonly UdpIoChoice[] = ['auto', 'native', 'dgram'];

/**
 * The path to serve with: `native` when asked for (an error when the addon cannot load), `dgram` when asked for,
 * and for `auto` native where it loads, else dgram with `fallback` saying why (for the caller to log once).
 */
export function chooseUdpIo(choice: UdpIoChoice): { io: UdpIo; fallback?: string } {
  if (choice === 'dgram') return { io: 'dgram' };
  const native = loadNativeUdp();
  if (!('error' in native)) return { io: 'native' };
  if (choice === 'native') throw new Error(`--udp-io native: ${native.error}`);
  return { io: 'dgram', fallback: native.error };
}
