// What the pipeline asks of an input: the resource files of standalone mode now, the informer caches next.
import type { HealthTable } from '../../api/health.ts';
import type { ResourceResult } from '../compile/index.ts';
import type { ResourceSnapshot } from './snapshot.ts';

export interface InputRead {
  snapshot: ResourceSnapshot;
  /**
   * Problems that make the snapshot incomplete (a file that does not parse, a document that is not valid). After
   * the first good read, a read with errors is refused: a half-edited file must not take names away.
   */
  errors: string[];
  /** Resources left out because they are not valid, with their conditions (the cluster's admission may be late). */
  invalid?: ResourceResult[];
  /** Target id → why it is down, for health the input knows of itself (a Service without ready endpoints). */
  down?: ReadonlyMap<string, string>;
  /** The serial and content hash already published per apex (a restarted operator continues from them). */
  published?: Record<string, { serial: number; contentHash: string }>;
  /** The health table already published: a new prober starts from it rather than from Unknown. */
  publishedHealth?: HealthTable;
}

export interface ResourceInput {
  /** For logs and metrics: 'resources', 'cluster'. */
  readonly name: string;
  /** Where it reads from, for messages. */
  describe(): string;
  read(): Promise<InputRead>;
  /** Calls back whenever read() may give something new. */
  watch(onChange: () => void): { close(): void };
  /**
   * The input's own health (`down` of read()) again, without a whole read: for changes that move health and
   * nothing a zone holds (a Service's endpoints turning ready or unready), so they skip compile() and the zone
   * writes. Undefined before the first read.
   */
  readDown?(): ReadonlyMap<string, string> | undefined;
  /** Calls back whenever only readDown() may give something new. */
  watchDown?(onChange: () => void): { close(): void };
  /** In how many ms readDown() may give something new by time alone (a grace ending); undefined: not by time. */
  downRecheckInMs?(): number | undefined;
}
