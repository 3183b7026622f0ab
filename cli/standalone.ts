// Standalone mode as `geodns serve --resources` runs it: the file input + the operator's pipeline (compile and the
// in-process prober) + the DNS server's in-process state as the output.
import type { Logger } from 'pino';
import type { ZoneSink } from '../api/sink.ts';
import type { GeodnsMetrics } from '../dnsserver/observability/metrics.ts';
import { MeteredSink } from '../dnsserver/sources/metered-sink.ts';
import { FileInput } from '../operator/inputs/files.ts';
import { Pipeline } from '../operator/pipeline.ts';

export function standalonePipeline(paths: string[], sink: ZoneSink, log: Logger, metrics?: GeodnsMetrics): Pipeline {
  const input = new FileInput(paths);
  return new Pipeline({ input, output: new MeteredSink(input.name, sink, metrics), log });
}
