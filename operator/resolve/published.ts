// What the published zones serve per target id: a new leader's first resolutions start from it, so a resolver that
// fails at that moment keeps the addresses the zones already serve instead of taking the targets out. And which
// published zones are marked signed: a new leader compiles them signed until it has read the key Secret itself.
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import { decodeDocuments, type ConfigMapContent } from '../../api/configmaps.ts';

/** Target id → the addresses the published zone documents give it; what cannot be read is skipped. */
export function publishedTargets(configMaps: readonly ConfigMapContent[]): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  for (const document of publishedDocuments(configMaps)) {
    for (const name of listOf(field(document, 'routed'))) {
      for (const target of listOf(field(name, 'targets'))) {
        const id = field(target, 'id');
        const addresses = listOf(field(target, 'addresses')).filter((a): a is string => typeof a === 'string');
        if (typeof id === 'string') targets.set(id, addresses);
      }
    }
  }
  return targets;
}

/** Apex → the key tags of the published documents marked signed (`dnssec.keyTags`); what cannot be read is skipped. */
export function publishedKeyTags(configMaps: readonly ConfigMapContent[]): Record<string, number[]> {
  const signed: Record<string, number[]> = {};
  for (const document of publishedDocuments(configMaps)) {
    const zone = field(document, 'zone');
    const tags = listOf(field(field(document, 'dnssec'), 'keyTags')).filter((t): t is number => typeof t === 'number');
    if (typeof zone === 'string' && tags.length > 0) signed[zone] = tags;
  }
  return signed;
}

/** Apex → the peers' keys the published documents of signed zones carry (`dnssec.publishedKeys`), unchecked: the
 *  reader keeps only what a document may hold. */
export function publishedPeerKeys(configMaps: readonly ConfigMapContent[]): Record<string, CompiledPublishedKey[]> {
  const keys: Record<string, CompiledPublishedKey[]> = {};
  for (const document of publishedDocuments(configMaps)) {
    const zone = field(document, 'zone');
    const listed = listOf(field(field(document, 'dnssec'), 'publishedKeys')).filter(
      (k): k is CompiledPublishedKey =>
        typeof field(k, 'cluster') === 'string' &&
        typeof field(k, 'flags') === 'number' &&
        typeof field(k, 'algorithm') === 'number' &&
        typeof field(k, 'publicKey') === 'string',
    );
    if (typeof zone === 'string' && listed.length > 0) keys[zone] = listed;
  }
  return keys;
}

/** Every zone document the ConfigMaps hold, parsed; one that is not JSON is skipped. */
function* publishedDocuments(configMaps: readonly ConfigMapContent[]): Generator<unknown> {
  for (const configMap of configMaps) {
    for (const text of decodeDocuments(configMap).documents.values()) {
      try {
        yield JSON.parse(text) as unknown;
      } catch {
        continue;
      }
    }
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
