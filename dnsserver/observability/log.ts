// JSON logs (pino) and the sampled query log.
import { pino, type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The environment variable read when no level is given. */
export const LOG_LEVEL_ENV = 'GEODNS_LOG_LEVEL';

export function parseLogLevel(text: string, where: string): LogLevel {
  const level = text.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`${where}: unknown log level "${text}" (one of ${LOG_LEVELS.join(', ')})`);
  }
  return level as LogLevel;
}

export interface LoggerOptions {
  /** Wins over $GEODNS_LOG_LEVEL; default info. */
  level?: string;
  /** Component name, logged as "name". */
  name?: string;
  /** Where lines go (default stdout); tests pass an in-memory stream. */
  destination?: DestinationStream;
  env?: NodeJS.ProcessEnv;
}

/** A JSON logger; throws (naming the option or variable) on an unknown level. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fromEnv = (options.env ?? process.env)[LOG_LEVEL_ENV];
  const level =
    options.level !== undefined
      ? parseLogLevel(options.level, '--log-level')
      : fromEnv !== undefined && fromEnv !== ''
        ? parseLogLevel(fromEnv, LOG_LEVEL_ENV)
        : 'info';
  const config = {
    level,
    base: options.name === undefined ? { pid: process.pid } : { pid: process.pid, name: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

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
