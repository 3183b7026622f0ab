// Errors a client causes (a garbled datagram, a broken TCP length prefix, a reset, a slowloris connection): each is
// counted by reason for /metrics, and logged at most a few lines a second, with the peer and without a stack, so
// that abuse cannot fill the disk or the log pipeline. Faults of the server itself do not come here: they stay
// errors with their stack.
import type { Logger } from 'pino';
import type { GeodnsMetrics, Transport } from './metrics.ts';
import type { LogLimiter } from './log-limiter.ts';

export const CLIENT_ERROR_REASONS = [
  'malformed',
  'not-a-query',
  'bad-length',
  'reset',
  'slow',
  'too-many-connections',
] as const;
export type ClientErrorReason = (typeof CLIENT_ERROR_REASONS)[number];

export class ClientErrors {
  readonly #log: Logger;
  readonly #limiter: LogLimiter;
  /** Counts since the last flush, by transport and reason. */
  readonly #tallies = new Map<string, { transport: Transport; reason: ClientErrorReason; count: number }>();

  constructor(log: Logger, limiter: LogLimiter) {
    this.#log = log;
    this.#limiter = limiter;
  }

  report(transport: Transport, reason: ClientErrorReason, address: string, port: number, detail: string): void {
    const key = `${transport} ${reason}`;
    const tally = this.#tallies.get(key);
    if (tally) tally.count++;
    else this.#tallies.set(key, { transport, reason, count: 1 });
    const held = this.#limiter.admit();
    if (held < 0) return;
    // A connection reset before it was accepted has no peer address left to read.
    const peer = address === '' ? 'unknown' : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    this.#log.info({ transport, reason, peer, detail, ...(held > 0 ? { notLogged: held } : {}) }, 'client error');
  }

  flushInto(metrics: GeodnsMetrics): void {
    for (const tally of this.#tallies.values()) {
      if (tally.count > 0) metrics.countClientErrors(tally.transport, tally.reason, tally.count);
      tally.count = 0;
    }
  }
}
