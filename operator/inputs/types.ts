// What the pipeline asks of an input: the resource files of standalone mode now, the informer caches next.
import type { ResourceSnapshot } from './snapshot.ts';

export interface InputRead {
  snapshot: ResourceSnapshot;
  /**
   * Problems that make the snapshot incomplete (a file that does not parse, a document that is not valid). After
   * the first good read, a read with errors is refused: a half-edited file must not take names away.
   */
  errors: string[];
}

export interface ResourceInput {
  /** For logs and metrics: 'resources', 'cluster'. */
  readonly name: string;
  /** Where it reads from, for messages. */
  describe(): string;
  read(): Promise<InputRead>;
  /** Calls back whenever read() may give something new. */
  watch(onChange: () => void): { close(): void };
}
