// JSON logs (pino) for every geodns process: levels, the environment variable, one line format.
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
