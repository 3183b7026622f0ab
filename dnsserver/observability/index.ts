export {
  GeodnsMetrics,
  aggregateMetrics,
  workerMetricsSnapshot,
  qtypeLabel,
  rcodeLabel,
  type MetricsSnapshot,
  type Transport,
} from './metrics.ts';
export {
  createLogger,
  parseLogLevel,
  parseSampleRate,
  QueryLog,
  type QueryLogEntry,
  type LoggerOptions,
} from './log.ts';
