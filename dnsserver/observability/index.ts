export {
  GeodnsMetrics,
  aggregateMetrics,
  workerMetricsSnapshot,
  qtypeLabel,
  rcodeLabel,
  type MetricsSnapshot,
  type Transport,
} from './metrics.ts';
export { startHttpServer, DEFAULT_METRICS_PORT, type HttpServerOptions, type ObservabilityServer } from './http.ts';
export {
  createLogger,
  parseLogLevel,
  parseSampleRate,
  QueryLog,
  type QueryLogEntry,
  type LoggerOptions,
} from './log.ts';
