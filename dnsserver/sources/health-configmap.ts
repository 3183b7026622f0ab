// The health ConfigMap (`geodns-health`) as the in-cluster source applies it: its `health.json` decoded and
// validated, and only when its revision annotation is greater than the revision applied, so that a pod never
// goes back to an older table (a relist, a stale cache in front of the API). The first table after a start of
// the source is accepted whatever its revision. Pure: objects in, verdicts out.
import type { HealthTable } from '../../api/health.ts';
import { decodeDocuments, HEALTH_KEY, REVISION_ANNOTATION } from '../../api/configmaps.ts';
import { validateDocument } from '../config/validate.ts';
import { describeConfigMap, type ConfigMapObject } from './zone-configmaps.ts';

export type HealthOffer =
  /** Serve this table from now on. */
  | { kind: 'apply'; table: HealthTable; revision: bigint }
  /** This version of the ConfigMap, or this very table, was read already. */
  | { kind: 'seen' }
  /** Not newer than the table applied: ignored. */
  | { kind: 'stale'; message: string }
  /** Refused: the applied table keeps serving. */
  | { kind: 'invalid'; errors: string[] };

/** The revision annotation: a decimal integer, compared exactly however large. */
export function parseRevision(text: string | undefined): bigint | undefined {
  return text !== undefined && /^[0-9]{1,40}$/.test(text) ? BigInt(text) : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The table a health ConfigMap holds and its revision, validated; or every reason it is refused. */
export function readHealthConfigMap(
  configMap: ConfigMapObject,
): { kind: 'health'; table: HealthTable; revision: bigint } | { kind: 'invalid'; errors: string[] } {
  const where = describeConfigMap(configMap);
  const annotation = configMap.metadata?.annotations?.[REVISION_ANNOTATION];
  const revision = parseRevision(annotation);
  if (revision === undefined) {
    const got = annotation === undefined ? 'none' : JSON.stringify(annotation);
    return {
      kind: 'invalid',
      errors: [`${where}: annotation ${REVISION_ANNOTATION}: expected a decimal integer, got ${got}`],
    };
  }
  const { documents, errors } = decodeDocuments(configMap);
  if (errors.length > 0) return { kind: 'invalid', errors: errors.map((e) => `${where} ${e}`) };
  const text = documents.get(HEALTH_KEY);
  if (text === undefined) return { kind: 'invalid', errors: [`${where}: no ${HEALTH_KEY} key`] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', errors: [`${where} ${HEALTH_KEY}: invalid JSON: ${errorText(error)}`] };
  }
  const verdict = validateDocument(`${where} ${HEALTH_KEY}`, data);
  if (verdict.kind === 'health') return { kind: 'health', table: verdict.health, revision };
  if (verdict.kind === 'invalid') return verdict;
  return { kind: 'invalid', errors: [`${where} ${HEALTH_KEY}: a zone, not a health table`] };
}

export class HealthConfigMap {
  #revision: bigint | undefined;
  /** The applied table, as JSON (it is small). */
  #table: string | undefined;
  #seen: string | undefined;

  /** The revision of the table applied, if any. */
  get revision(): bigint | undefined {
    return this.#revision;
  }

  offer(configMap: ConfigMapObject): HealthOffer {
    const version = configMap.metadata?.resourceVersion;
    if (version !== undefined && version === this.#seen) return { kind: 'seen' };
    this.#seen = version;
    const read = readHealthConfigMap(configMap);
    if (read.kind === 'invalid') {
      const kept =
        this.#revision === undefined
          ? 'refused; no health table from it is applied'
          : `refused; still applying revision ${this.#revision}`;
      return { kind: 'invalid', errors: [...read.errors, `${describeConfigMap(configMap)}: ${kept}`] };
    }
    if (this.#revision !== undefined && read.revision <= this.#revision) {
      // The same table again (a relist, a change to labels): nothing to say.
      if (read.revision === this.#revision && JSON.stringify(read.table) === this.#table) return { kind: 'seen' };
      return {
        kind: 'stale',
        message: `${describeConfigMap(configMap)}: revision ${read.revision} is not newer than revision ${this.#revision}, applied; ignored`,
      };
    }
    this.#revision = read.revision;
    this.#table = JSON.stringify(read.table);
    return { kind: 'apply', table: read.table, revision: read.revision };
  }

  /** The ConfigMap is gone; the next one is accepted whatever its revision. */
  clear(): void {
    this.#revision = undefined;
    this.#table = undefined;
    this.#seen = undefined;
  }
}
