// The peer protocol: the document one cluster publishes for a zone (its local Service-backed targets, their
// addresses and readiness), how it is signed and checked, and what a received one must look like. Documents are
// HMAC-SHA256-signed with the key every peer shares, over a timestamp, what the bytes are for and the exact bytes;
// the signature holds for REPLAY_WINDOW_MS either side of the receiver's clock. Requests are signed the same way,
// so that a listener answers only the holders of the key. No I/O: the caller reads clocks, keys and sockets.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_PUBLISHED_KEYS, parsePublishedKey, type PublishedKey } from '../../lib/dnssec/published.ts';
import { normaliseAddresses } from '../compile/addresses.ts';

export const PROTOCOL_VERSION = 1;
/** GET PEER_PATH_PREFIX + apex: the document for that zone. */
export const PEER_PATH_PREFIX = '/peers/v1/zones/';
export const TIMESTAMP_HEADER = 'x-geodns-peer-timestamp';
export const SIGNATURE_HEADER = 'x-geodns-peer-signature';
/** The requesting cluster's name (requests only). */
export const CLUSTER_HEADER = 'x-geodns-peer-cluster';
/** How far a signature's timestamp may be from the receiver's clock, either way. */
export const REPLAY_WINDOW_MS = 60_000;
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
export const MIN_KEY_BYTES = 32;
const MAX_TARGETS = 10_000;
const MAX_ADDRESSES = 64;
const MAX_NAME = 253;
const MAX_SERIAL = 2 ** 32 - 1;
const SIGNATURE_PREFIX = 'sha256=';

/** One local target served by a Service, as a peer learns it. */
export interface PeerTarget {
  namespace: string;
  /** The GeoEndpoint's name. */
  endpoint: string;
  /** The target's name in the GeoEndpoint. */
  target: string;
  service: { namespace: string; name: string };
  addresses: string[];
  /** The Service has at least one ready endpoint. */
  ready: boolean;
}

export interface PeerDocument {
  version: typeof PROTOCOL_VERSION;
  /** The publishing cluster's name. */
  cluster: string;
  /** The zone apex, lower case, without the final dot. */
  zone: string;
  /** Higher in each document the cluster publishes: an older one is a replay. */
  sequence: number;
  /** When it was built (ISO time), for messages. */
  generatedAt: string;
  targets: PeerTarget[];
  /** The SOA serial and content hash this cluster publishes for the zone, if it does: a peer with the same content
   *  takes the greater serial, so that the same content has the same serial in every cluster. */
  published?: { serial: number; contentHash: string };
  /** The DNSKEYs this cluster signs the zone with, when it signs it: each peer publishes them beside its own
   *  (RFC 8901 model 2, docs/dnssec.md "Several clusters"). Public keys only. */
  dnskeys?: PublishedKey[];
  /** The key tags of the zone's DNSKEY rrset here (its own and its peers' keys), when it signs it: a peer rolling
   *  its key waits until every peer publishes the new one. */
  dnskeyTags?: number[];
}

/** Why something received was not taken (the `reason` label of geodns_operator_peer_rejected_total). */
export type RejectReason =
  | 'unsigned'
  | 'stale_signature'
  | 'bad_signature'
  | 'too_large'
  | 'garbage'
  | 'wrong_zone'
  | 'wrong_cluster'
  | 'replayed'
  | 'claims_local'
  | 'unknown_peer';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; message: string };

export function canonicalZone(apex: string): string {
  return apex.toLowerCase().replace(/\.$/, '');
}

/** What a signature covers beyond the bytes: a document for a zone, or a request for one. */
export function documentContext(zone: string): string {
  return `document ${canonicalZone(zone)}`;
}

export function requestContext(zone: string, cluster: string): string {
  return `request ${canonicalZone(zone)} ${cluster}`;
}

export function encodeDocument(document: PeerDocument): Buffer {
  return Buffer.from(JSON.stringify(document));
}

function mac(key: Uint8Array, timestampMs: number, context: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${timestampMs}\n${context}\n`).update(body).digest();
}

/** The headers that sign `body` for `context` at `nowMs`. */
export function signHeaders(
  key: Uint8Array,
  nowMs: number,
  context: string,
  body: Uint8Array = new Uint8Array(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: SIGNATURE_PREFIX + mac(key, timestamp, context, body).toString('hex'),
  };
}

/** Whether the headers sign `body` for `context` with `key`, within the replay window of `nowMs`. */
export function verifySignature(
  key: Uint8Array,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  context: string,
  body: Uint8Array,
  nowMs: number,
): Checked<true> {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return reject('unsigned', `no ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`);
  if (!/^[0-9]{1,16}$/.test(timestamp)) return reject('unsigned', `${TIMESTAMP_HEADER} is not a number`);
  const at = Number(timestamp);
  if (Math.abs(nowMs - at) > REPLAY_WINDOW_MS) {
    return reject(
      'stale_signature',
      `signed at ${new Date(at).toISOString()}, ${Math.round(Math.abs(nowMs - at) / 1000)} s from this clock (at most ${REPLAY_WINDOW_MS / 1000} s)`,
    );
  }
  const hex = signature.startsWith(SIGNATURE_PREFIX) ? signature.slice(SIGNATURE_PREFIX.length) : '';
  const given = /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
  const expected = mac(key, at, context, body);
  if (!given || !timingSafeEqual(given, expected)) {
    return reject('bad_signature', 'the signature does not match (a different peer key?)');
  }
  return { ok: true, value: true };
}

function reject(reason: RejectReason, message: string): { ok: false; reason: RejectReason; message: string } {
  return { ok: false, reason, message };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME && /^[a-z0-9.-]+$/.test(value);

/** One target of a received document, or what is wrong with it. */
function parseTarget(value: unknown, where: string): PeerTarget | string {
  if (!isRecord(value)) return `${where} is not an object`;
  const { namespace, endpoint, target, service, addresses, ready } = value;
  if (!isName(namespace) || !isName(endpoint) || !isName(target)) {
    return `${where}: namespace, endpoint and target must be Kubernetes names`;
  }
  if (!isRecord(service) || !isName(service.namespace) || !isName(service.name)) {
    return `${where}: service must name a namespace and a name`;
  }
  if (typeof ready !== 'boolean') return `${where}: ready must be true or false`;
  if (!Array.isArray(addresses) || addresses.length > MAX_ADDRESSES) {
    return `${where}: addresses must be a list of at most ${MAX_ADDRESSES}`;
  }
  if (!addresses.every((a): a is string => typeof a === 'string' && a.length <= 64)) {
    return `${where}: addresses must be strings`;
  }
  const { addresses: parsed, invalid } = normaliseAddresses(addresses);
  if (invalid.length > 0) return `${where}: "${invalid[0]}" is not an IPv4 or IPv6 address`;
  return {
    namespace,
    endpoint,
    target,
    service: { namespace: service.namespace, name: service.name },
    addresses: parsed.map((a) => a.text),
    ready,
  };
}

/** A received document's bytes as a PeerDocument of `expected.cluster` for `expected.zone`, or why not. */
export function parseDocument(body: Uint8Array, expected: { zone: string; cluster: string }): Checked<PeerDocument> {
  if (body.byteLength > MAX_DOCUMENT_BYTES) {
    return reject('too_large', `${body.byteLength} bytes, more than ${MAX_DOCUMENT_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return reject('garbage', 'not JSON');
  }
  if (!isRecord(value)) return reject('garbage', 'not a JSON object');
  const { version, cluster, zone, sequence, generatedAt, targets, published, dnskeys, dnskeyTags } = value;
  if (version !== PROTOCOL_VERSION) return reject('garbage', `version ${String(version)}, not ${PROTOCOL_VERSION}`);
  if (typeof zone !== 'string' || typeof cluster !== 'string') return reject('garbage', 'no zone or cluster');
  if (canonicalZone(zone) !== canonicalZone(expected.zone)) {
    return reject('wrong_zone', `for zone ${zone.slice(0, MAX_NAME)}, not ${canonicalZone(expected.zone)}`);
  }
  if (cluster !== expected.cluster) {
    return reject('wrong_cluster', `from cluster ${cluster.slice(0, 63)}, not ${expected.cluster}`);
  }
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) {
    return reject('garbage', 'sequence must be a non-negative integer');
  }
  if (typeof generatedAt !== 'string' || generatedAt.length > 64) return reject('garbage', 'no generatedAt');
  if (!Array.isArray(targets) || targets.length > MAX_TARGETS) {
    return reject('garbage', `targets must be a list of at most ${MAX_TARGETS}`);
  }
  let serial: { serial: number; contentHash: string } | undefined;
  if (published !== undefined) {
    if (
      !isRecord(published) ||
      typeof published.serial !== 'number' ||
      !Number.isInteger(published.serial) ||
      published.serial < 0 ||
      published.serial > MAX_SERIAL ||
      typeof published.contentHash !== 'string' ||
      !/^[0-9a-f]{16,128}$/.test(published.contentHash)
    ) {
      return reject('garbage', 'published must be a serial (0 to 2^32-1) and a hex content hash');
    }
    serial = { serial: published.serial, contentHash: published.contentHash };
  }
  let keys: PublishedKey[] | undefined;
  if (dnskeys !== undefined) {
    if (!Array.isArray(dnskeys) || dnskeys.length > MAX_PUBLISHED_KEYS) {
      return reject('garbage', `dnskeys must be a list of at most ${MAX_PUBLISHED_KEYS}`);
    }
    keys = [];
    for (const [index, entry] of dnskeys.entries()) {
      const key = parsePublishedKey(entry, `dnskeys[${index}]`);
      if (typeof key === 'string') return reject('garbage', key);
      keys.push(key);
    }
  }
  if (
    dnskeyTags !== undefined &&
    (!Array.isArray(dnskeyTags) ||
      dnskeyTags.length > MAX_PUBLISHED_KEYS * 8 ||
      !dnskeyTags.every((t) => Number.isInteger(t) && (t as number) >= 0 && (t as number) <= 65535))
  ) {
    return reject('garbage', `dnskeyTags must be a list of at most ${MAX_PUBLISHED_KEYS * 8} key tags`);
  }
  const parsed: PeerTarget[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of targets.entries()) {
    const target = parseTarget(entry, `targets[${index}]`);
    if (typeof target === 'string') return reject('garbage', target);
    const id = `${target.namespace}/${target.endpoint}/${target.target}`;
    if (seen.has(id)) return reject('garbage', `targets[${index}]: ${id} twice`);
    seen.add(id);
    parsed.push(target);
  }
  return {
    ok: true,
    value: {
      version: PROTOCOL_VERSION,
      cluster,
      zone: canonicalZone(zone),
      sequence,
      generatedAt,
      targets: parsed,
      ...(serial ? { published: serial } : {}),
      ...(keys ? { dnskeys: keys } : {}),
      ...(dnskeyTags !== undefined ? { dnskeyTags: dnskeyTags as number[] } : {}),
    },
  };
}

/** A received, signed document checked end to end: signature, then content, then its sequence against the last one
 *  taken from that peer (`lastSequence`). */
export function checkReceived(
  key: Uint8Array,
  received: { body: Uint8Array; timestamp?: string | undefined; signature?: string | undefined },
  expected: { zone: string; cluster: string; lastSequence?: number | undefined },
  nowMs: number,
): Checked<PeerDocument> {
  if (received.body.byteLength > MAX_DOCUMENT_BYTES) {
    return reject('too_large', `${received.body.byteLength} bytes, more than ${MAX_DOCUMENT_BYTES}`);
  }
  const signed = verifySignature(key, received, documentContext(expected.zone), received.body, nowMs);
  if (!signed.ok) return signed;
  const parsed = parseDocument(received.body, expected);
  if (!parsed.ok) return parsed;
  if (expected.lastSequence !== undefined && parsed.value.sequence < expected.lastSequence) {
    return reject('replayed', `sequence ${parsed.value.sequence} is older than ${expected.lastSequence}, taken before`);
  }
  return parsed;
}
