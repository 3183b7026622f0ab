// The sampled query log; JSON logs themselves come from lib/log.ts.
import type { Logger } from 'pino';

export {
  createLogger,
  LOG_LEVEL_ENV,
  LOG_LEVELS,
  parseLogLevel,
  type LoggerOptions,
  type LogLevel,
} from '../../lib/log.ts';

/** Parses --query-log-sample: a fraction from 0 (off) to 1 (every query). */
export function parseSampleRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(`--query-log-sample: expected a number from 0 to 1, got "${text}"`);
  }
  return rate;
}

export interface QueryLogEntry {
  client: string;
  qname: string;
  qtype: string;
  rcode: string;
  policy?: string;
  target?: string;
  durationMs: number;
  transport?: string;
  ecs?: string;
}

/** Logs a random fraction of queries at info level with msg "query". */
export class QueryLog {
  readonly #logger: Logger;
  readonly #rate: number;
  readonly #random: () => number;

  constructor(logger: Logger, rate: number, random: () => number = Math.random) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`query log sample rate must be from 0 to 1, got ${rate}`);
    this.#logger = logger;
    this.#rate = rate;
    this.#random = random;
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  log(entry: QueryLogEntry): void {
    if (this.#rate === 0 || this.#random() >= this.#rate) return;
    this.#logger.info(entry, 'query');
  }
}
