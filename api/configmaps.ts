// How compiled zones and the health table travel through the Kubernetes API: one ConfigMap per zone and one small
// health ConfigMap, in the operator's namespace. The operator writes them; the DNS pods list and watch them (and
// mount the same ConfigMaps as a cold-start fallback). Pure: the shapes, names and the (de)compression only.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Label on every ConfigMap the DNS pods read; its value says which document the ConfigMap holds. */
export const DOCUMENT_LABEL = 'geodns.io/document';
export const ZONE_DOCUMENT = 'zone';
export const HEALTH_DOCUMENT = 'health';
/** Label saying who manages the object (the operator's field manager too). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGER = 'geodns-operator';

/** Annotations: the zone apex, its serial and content hash (what the operator compares before writing). */
export const ZONE_ANNOTATION = 'geodns.io/zone';
export const SERIAL_ANNOTATION = 'geodns.io/serial';
export const CONTENT_HASH_ANNOTATION = 'geodns.io/content-hash';
/** The health table's revision: it only grows, so a pod never applies an older table over a newer one. */
export const REVISION_ANNOTATION = 'geodns.io/revision';

export const HEALTH_CONFIGMAP = 'geodns-health';
export const HEALTH_KEY = 'health.json';

/** Above this many bytes of JSON a zone is stored gzip-compressed in binaryData. */
export const COMPRESS_ABOVE_BYTES = 256 * 1024;
/** The API server refuses objects above 1 MiB (etcd's request limit); keep room for metadata. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024 - 16 * 1024;

const NAME_PREFIX = 'geodns-zone-';
const MAX_NAME = 253;

/**
 * The ConfigMap name of a GeoZone: `geodns-zone-<name>`, or for a name too long for that, its first characters
 * and a hash of the whole (names stay unique and stable).
 */
export function zoneConfigMapName(geoZone: string): string {
  const plain = `${NAME_PREFIX}${geoZone}`;
  if (plain.length <= MAX_NAME) return plain;
  const hash = createHash('sha256').update(geoZone).digest('hex').slice(0, 10);
  const head = geoZone.slice(0, MAX_NAME - NAME_PREFIX.length - hash.length - 1).replace(/[-.]+$/, '');
  return `${NAME_PREFIX}${head}-${hash}`;
}

/**
 * The key a zone document is stored under: `<apex>.json` (or `.json.gz`), so that several zone ConfigMaps can be
 * projected into one folder for `geodns serve --config` without their keys colliding.
 */
export function zoneKey(apex: string, compressed: boolean): string {
  return `${apex}.json${compressed ? '.gz' : ''}`;
}

export interface EncodedDocument {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  /** Bytes the document takes in the object (base64 for binaryData). */
  size: number;
}

/** A zone document's JSON as ConfigMap content: plain when small, gzip + base64 in binaryData when large. */
export function encodeZoneDocument(apex: string, json: string): EncodedDocument {
  if (Buffer.byteLength(json) <= COMPRESS_ABOVE_BYTES) {
    return { data: { [zoneKey(apex, false)]: json }, size: Buffer.byteLength(json) };
  }
  const base64 = gzipSync(json, { level: 6 }).toString('base64');
  return { binaryData: { [zoneKey(apex, true)]: base64 }, size: base64.length };
}

/** A decompressed document larger than this is refused (a few bytes of gzip can claim gigabytes). */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/**
 * The JSON text of a gzip-compressed document: a binaryData entry's bytes, or the file a mounted one becomes (the
 * kubelet writes binaryData decoded). Throws on bytes that are not gzip or that inflate beyond MAX_DOCUMENT_BYTES.
 */
export function gunzipDocument(bytes: Uint8Array): string {
  return gunzipSync(bytes, { maxOutputLength: MAX_DOCUMENT_BYTES }).toString('utf8');
}

export interface ConfigMapContent {
  data?: Record<string, string> | undefined;
  binaryData?: Record<string, string> | undefined;
}

/**
 * The JSON documents a ConfigMap holds, by key (`.json.gz` entries decompressed, under the key without `.gz`).
 * Entries that are neither JSON nor gzip-compressed JSON are reported, never thrown.
 */
export function decodeDocuments(content: ConfigMapContent): { documents: Map<string, string>; errors: string[] } {
  const documents = new Map<string, string>();
  const errors: string[] = [];
  for (const [key, text] of Object.entries(content.data ?? {})) {
    if (key.endsWith('.json')) documents.set(key, text);
  }
  for (const [key, base64] of Object.entries(content.binaryData ?? {})) {
    if (!key.endsWith('.json.gz')) continue;
    try {
      documents.set(key.slice(0, -'.gz'.length), gunzipDocument(Buffer.from(base64, 'base64')));
    } catch (error) {
      errors.push(`${key}: not gzip-compressed JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { documents, errors };
}
