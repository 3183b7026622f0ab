// The zone ConfigMaps the in-cluster source has seen, each as its last good document. A new version of a
// ConfigMap is decoded (api/configmaps.ts) and validated (dnsserver/config/validate.ts) once; a version that
// fails is reported and the last good one keeps serving; a ConfigMap that goes away takes its zone with it.
// Pure apart from hashing: objects in, zones and messages out.
import { createHash } from 'node:crypto';
import type { CompiledZone } from '../../api/compiled.ts';
import { decodeDocuments } from '../../api/configmaps.ts';
import { resolveScan, type SourcedDocument } from '../config/load.ts';
import { validateDocument } from '../config/validate.ts';

/** The parts of a ConfigMap the DNS server reads, as the API server sends it. */
export interface ConfigMapObject {
  metadata?: {
    namespace?: string | undefined;
    name?: string | undefined;
    resourceVersion?: string | undefined;
    annotations?: Record<string, string> | undefined;
  };
  data?: Record<string, string> | undefined;
  binaryData?: Record<string, string> | undefined;
}

/** How messages name a ConfigMap: `ConfigMap namespace/name`. */
export function describeConfigMap(configMap: ConfigMapObject): string {
  return `ConfigMap ${configMap.metadata?.namespace ?? ''}/${configMap.metadata?.name ?? ''}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type ZoneConfigMapVerdict =
  { kind: 'zone'; zone: CompiledZone; text: string } | { kind: 'invalid'; errors: string[] };

/** The one zone document a zone ConfigMap holds, validated; or every reason it is refused. */
export function readZoneConfigMap(configMap: ConfigMapObject): ZoneConfigMapVerdict {
  const where = describeConfigMap(configMap);
  const { documents, errors } = decodeDocuments(configMap);
  if (errors.length > 0) return { kind: 'invalid', errors: errors.map((e) => `${where} ${e}`) };
  const [first, ...others] = documents;
  if (!first) return { kind: 'invalid', errors: [`${where}: no <apex>.json or <apex>.json.gz key`] };
  if (others.length > 0) {
    const keys = [...documents.keys()].join(', ');
    return { kind: 'invalid', errors: [`${where}: holds ${documents.size} documents (${keys}); a zone holds one`] };
  }
  const [key, text] = first;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', errors: [`${where} ${key}: invalid JSON: ${errorText(error)}`] };
  }
  const verdict = validateDocument(`${where} ${key}`, data);
  if (verdict.kind === 'zone') return { kind: 'zone', zone: verdict.zone, text };
  if (verdict.kind === 'invalid') return verdict;
  return { kind: 'invalid', errors: [`${where} ${key}: a health table, not a zone`] };
}

interface Good {
  text: string;
  digest: string;
  zone: string;
  serial: number;
}

interface Entry {
  /** The resourceVersion last read, good or not: the same version is not read (nor reported) twice. */
  version: string | undefined;
  good: Good | undefined;
}

const key = (configMap: ConfigMapObject): string =>
  `${configMap.metadata?.namespace ?? ''}/${configMap.metadata?.name ?? ''}`;

export class ZoneConfigMaps {
  #entries = new Map<string, Entry>();

  /** A fresh list: the ConfigMaps not in it are gone. Returns the errors of the versions refused. */
  replace(configMaps: readonly ConfigMapObject[]): string[] {
    const present = new Set(configMaps.map(key));
    for (const name of this.#entries.keys()) if (!present.has(name)) this.#entries.delete(name);
    return configMaps.flatMap((configMap) => this.apply(configMap));
  }

  /** A new or changed ConfigMap. Returns the errors when this version is refused (empty when it is not). */
  apply(configMap: ConfigMapObject): string[] {
    const name = key(configMap);
    const entry = this.#entries.get(name);
    const version = configMap.metadata?.resourceVersion;
    if (entry && version !== undefined && entry.version === version) return [];
    const verdict = readZoneConfigMap(configMap);
    if (verdict.kind === 'zone') {
      const digest = createHash('sha256').update(verdict.text).digest('hex');
      const good = { text: verdict.text, digest, zone: verdict.zone.zone, serial: verdict.zone.serial };
      this.#entries.set(name, { version, good });
      return [];
    }
    this.#entries.set(name, { version, good: entry?.good });
    const where = describeConfigMap(configMap);
    const kept = entry?.good
      ? `${where}: refused; still serving its last good version (zone "${entry.good.zone}" serial ${entry.good.serial})`
      : `${where}: refused; nothing served from it`;
    return [...verdict.errors, kept];
  }

  delete(configMap: ConfigMapObject): void {
    this.#entries.delete(key(configMap));
  }

  /** What is served: one zone per apex (for an apex in two ConfigMaps the first by name wins, the other is reported). */
  zones(): { zones: CompiledZone[]; errors: string[] } {
    const documents: SourcedDocument[] = [];
    for (const [name, entry] of [...this.#entries].sort(([a], [b]) => a.localeCompare(b))) {
      // Parsed again from the kept text: the main thread keeps no parsed copy of the zones the workers serve.
      if (entry.good)
        documents.push({ file: `ConfigMap ${name}`, kind: 'zone', zone: JSON.parse(entry.good.text) as CompiledZone });
    }
    const { zones, errors } = resolveScan(documents);
    return { zones, errors };
  }

  /** Changes exactly when what zones() would serve changes. */
  fingerprint(): string {
    return [...this.#entries]
      .filter(([, entry]) => entry.good)
      .map(([name, entry]) => `${name}\0${entry.good?.digest ?? ''}`)
      .sort()
      .join('\n');
  }
}
