// DNS over UDP through the batched native addon (native/udp_batch.c, built into build/geodns_udp.node by
// scripts/build-native.ts): a readable socket is drained with recvmmsg, up to BATCH datagrams at a time into one
// buffer, this file runs the handler on each (the same seam as udp.ts: message, client → reply) and writes the
// replies into a second buffer, and the addon sends them all with one sendmmsg. One JavaScript call per batch
// instead of a callback and a send per datagram. With a reply cache (native/reply_cache.h), the replies the
// handler says hold for the same query bytes (ReuseHint) are kept in the addon and sent again from there, and the
// handler runs only for the datagrams of a batch not answered so. Where the addon is missing or does not load,
// loadNativeUdp() says why and the caller uses udp.ts.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClientInfo, QueryHandler, ReuseHint } from '../wire/types.ts';
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
    cacheEntries: number,
    hits: Uint32Array,
    dirty: Int32Array,
  ): void;
  close(handle: Handle): void;
  forget(handle: Handle): void;
  cacheSlots(entries: number): number;
  readonly SLOT: number;
  /** The most bytes a kept query and reply may have together, less their IDs (reply_cache.h). */
  readonly KEPT_BYTES: number;
  readonly META: number;
  readonly STATS: number;
}

// The addon's counters (enum Stat in udp_batch.c).
const STAT = {
  batches: 0,
  datagrams: 1,
  receiveErrors: 2,
  eagain: 3,
  enobufs: 4,
  sendOther: 5,
  cut: 6,
  cacheHits: 8,
  cacheMisses: 9,
  cacheKept: 10,
} as const;
// meta[4] as the addon sets it for a datagram answered from the reply cache.
const ANSWERED_FROM_CACHE = -1;
// The longest a kept reply that holds for a while is kept (meta[7] is an int32 of milliseconds): 24 days.
const MAX_HOLD_MS = 2 ** 31 - 1;
// The top bit of a slot's hits: listed in dirty (udp_batch.c).
const LISTED = 0x80000000;
/** Source bits a kept reply may depend on at most (reply_cache.c's SOURCE_BITS_4 and _6). */
const CACHE_SOURCE_BITS = { 4: 24, 6: 56 } as const;

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

export interface ReplyCacheOptions<Counted> {
  /** Replies kept per socket (rounded up to whole sets of the addon); 0: no reply cache. */
  entries: number;
  /** Counts `times` more queries answered with a kept reply, whose first query the handler counted as `counted`. */
  onReused(counted: Counted, times: number): void;
}

export interface NativeUdpServerOptions<Counted = never> extends Omit<UdpServerOptions, 'handler'> {
  handler: QueryHandler<Counted>;
  /** Datagrams per recvmmsg/sendmmsg (default DEFAULT_BATCH). */
  batch?: number;
  /** Keep the replies the handler says may be reused and send them again from the addon (default: none). */
  replyCache?: ReplyCacheOptions<Counted>;
}

async function literalAddress(host: string, family: 4 | 6): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await lookup(host, { family })).address;
}

export async function startNativeUdpServer<Counted = never>(
  options: NativeUdpServerOptions<Counted>,
): Promise<UdpServer> {
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
  const cacheEntries = options.replyCache?.entries ?? 0;
  const slots = cacheEntries > 0 ? addon.cacheSlots(cacheEntries) : 0;
  // Per cache slot: the queries the addon answered from it and not counted yet (the top bit: the slot is listed
  // in dirty, whose [0] says how many follow), and what the handler counted for the query whose reply it keeps.
  // Repeats are counted when metrics are taken, and a slot's before it keeps another reply.
  const hits = new Uint32Array(slots);
  const dirty = new Int32Array(slots + 1);
  const counted: (Counted | undefined)[] = new Array<Counted | undefined>(slots).fill(undefined);
  const onReused = options.replyCache?.onReused;
  const hint: ReuseHint<Counted> = { sourcePrefix: -1, holdsForMs: 0, counted: undefined };
  const sourceBits = CACHE_SOURCE_BITS[family];
  /** Counts the repeats answered from `slot` so far; it stays listed (`keepListed`) or not. */
  const countRepeats = (slot: number, keepListed: boolean): void => {
    const value = hits[slot] as number;
    const times = value & ~LISTED;
    hits[slot] = keepListed ? value & LISTED : 0;
    const first = counted[slot];
    if (first === undefined || times === 0 || !onReused) return;
    try {
      onReused(first, times);
    } catch (error) {
      report(error, 'udp reply cache count');
    }
  };
  const countAllRepeats = (): void => {
    const listed = dirty[0] as number;
    for (let k = 1; k <= listed; k++) countRepeats(dirty[k] as number, false);
    dirty[0] = 0;
  };

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

  /**
   * Whether a reply the handler says depends on `sourcePrefix` bits of the source may be kept: no more bits than
   * the cache files replies under, and not for an IPv4 client on an IPv6 socket (its prefix counts IPv4 bits).
   */
  const keepable = (sourcePrefix: number, address: string): boolean =>
    sourcePrefix === 0 || (sourcePrefix > 0 && sourcePrefix <= sourceBits && !address.startsWith('::ffff:'));

  let sendOverflow = 0;
  const onBatch = (count: number): void => {
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const m = i * META;
      const anySourceSlot = meta[m + 4] as number;
      if (anySourceSlot === ANSWERED_FROM_CACHE) continue;
      // meta[m + 3] (the reply length) and meta[m + 6] (keep it) are 0 until set here: the addon clears them.
      try {
        const length = meta[m] as number;
        const client: ClientInfo = { address: addressOf(i), port: meta[m + 1] as number, family, transport: 'udp' };
        const start = i * SLOT;
        const cached = anySourceSlot >= 0;
        if (cached) {
          hint.sourcePrefix = -1;
          hint.holdsForMs = 0;
          hint.counted = undefined;
        }
        const message = receive.subarray(start, start + length);
        const response = handleQuery(handler, message, client, report, cached ? hint : undefined);
        if (!response) continue;
        if (offset + response.length > send.length) {
          sendOverflow++;
          continue;
        }
        send.set(response, offset);
        meta[m + 3] = response.length;
        offset += response.length;
        if (
          cached &&
          hint.holdsForMs >= 1 &&
          length + response.length - 4 <= addon.KEPT_BYTES &&
          keepable(hint.sourcePrefix, client.address)
        ) {
          const slot = hint.sourcePrefix === 0 ? anySourceSlot : (meta[m + 5] as number);
          countRepeats(slot, true);
          counted[slot] = hint.counted;
          meta[m + 6] = hint.sourcePrefix + 1;
          meta[m + 7] = hint.holdsForMs === Infinity ? -1 : Math.min(Math.floor(hint.holdsForMs), MAX_HOLD_MS);
        }
      } catch (error) {
        // Only a bug of this file gets here (handleQuery catches the handler's throws): never out into the addon.
        report(error, 'udp native batch');
      }
    }
  };

  try {
    addon.start(handle, batch, receive, send, meta, addresses, stats, onBatch, cacheEntries, hits, dirty);
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
      if (slots > 0) countAllRepeats();
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
      counts.replyCache.hits = delta(STAT.cacheHits);
      counts.replyCache.misses = delta(STAT.cacheMisses);
      counts.replyCache.kept = delta(STAT.cacheKept);
      sendOverflow = 0;
      return counts;
    },
    forgetReplies(): void {
      // Repeats already answered stay counted against their slots until taken.
      if (slots > 0 && !closed) addon.forget(handle);
    },
    close: () => {
      if (!closed) {
        closed = true;
        if (slots > 0) countAllRepeats();
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
