// The leader's side of the peer protocol: it polls every peer of every GeoZone (a key per zone and peer on the
// `peers` lane: every intervalMs, backing off on failures, and due again when the peer turns stale), keeps the
// last document each sent, and answers the peers' requests for this cluster's documents (server.ts hands them
// here). What peers sent reaches compile through the cluster input (remote()); a change of their targets'
// addresses calls onTargetsChange (a pipeline run), one of their readiness alone onHealthChange (the health table
// alone); a change of the DNSKEYs they sign with (signed zones) a pipeline run too. Rejections are counted by peer and reason and logged at most once a minute per peer and reason.
import type { Logger } from 'pino';
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import type { PublishedKey } from '../../lib/dnssec/published.ts';
import { parseDuration } from '../../api/duration.ts';
import { DEFAULT_PEER_TIMEOUT, type GeoZone } from '../../api/geozone.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { HandlerResult, WorkQueue } from '../queue/work-queue.ts';
import {
  canonicalZone,
  checkReceived,
  CLUSTER_HEADER,
  documentContext,
  encodeDocument,
  MAX_DOCUMENT_BYTES,
  MIN_KEY_BYTES,
  PEER_PATH_PREFIX,
  PROTOCOL_VERSION,
  requestContext,
  SIGNATURE_HEADER,
  signHeaders,
  TIMESTAMP_HEADER,
  verifySignature,
  type PeerDocument,
  type RejectReason,
} from './protocol.ts';
import { peersCondition } from './condition.ts';
import { adoptSerials, type PublishedSerial } from './serials.ts';
import {
  isStale,
  lastPublished,
  localClaims,
  localTargets,
  remoteTargets,
  type LocalView,
  type PeerState,
  type Published,
  type RemoteTargets,
} from './targets.ts';

/** What a peer request gets back. */
export interface PeerAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** What the GeoZone's PeersReachable condition says of one peer. */
export interface PeerReport {
  peer: string;
  /** When its last document was taken (ISO time); undefined: never. */
  heardAt?: string;
  stale: boolean;
  /** The zone's peerTimeout, for messages. */
  timeout: string;
  /** The last poll's failure, if it failed. */
  error?: string;
}

export interface PeerExchangeOptions {
  /** This cluster's name (geodns operator --cluster-name): the peer entry of that name is this cluster. */
  cluster: string;
  lanes: Lanes;
  log: Logger;
  /** The data of a Secret in the operator's namespace, by key, base64 as the API has it; undefined: not found. */
  readSecret(name: string): Promise<Record<string, string> | undefined>;
  /** The resources of the last read, and which of the local targets are down; undefined before the first. */
  local(): { view: LocalView; down: ReadonlyMap<string, string> } | undefined;
  onTargetsChange(): void;
  onHealthChange(): void;
  /** The PeersReachable reports changed (a peer turned stale or fresh, or its error changed). */
  onReportsChange(): void;
  onRejected?(peer: string, reason: RejectReason): void;
  /** What the zones already published serve, for targets of peers not heard from yet (a new leader's start). */
  published?(): Published;
  /** The serial and content hash this cluster publishes for a zone (apex), sent in its documents. */
  publishedSerial?(apex: string): PublishedSerial | undefined;
  /** The DNSKEYs this cluster signs a zone (apex) with, sent in its documents; undefined: not known yet (the key
   *  Secret not read), and the field is left out, so that peers keep publishing the keys they had. */
  dnskeys?(apex: string): PublishedKey[] | undefined;
  /** The key tags of a zone's DNSKEY rrset here (own and peers' keys), sent in its documents; undefined: unsigned. */
  dnskeyTags?(apex: string): number[] | undefined;
  /** The peers' keys the published documents carry (apex → keys), for peers not heard from yet (a new leader's
   *  start): a peer's keys never leave the DNSKEY rrset because it cannot be reached. */
  publishedKeys?(): Record<string, readonly CompiledPublishedKey[]>;
  intervalMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  /** How long a Secret's key is used before it is got again (default 30 s). */
  keyRecheckMs?: number;
  /** Epoch milliseconds (default Date.now). */
  now?: () => number;
}

interface Wanted {
  zoneName: string;
  apex: string;
  peer: string;
  url: string;
  secret: { name: string; key: string };
  timeoutMs: number;
}

interface Served {
  secret: { name: string; key: string };
  peers: Set<string>;
}

interface Polled extends PeerState {
  failures: number;
  error?: string;
  /** The DNSKEYs of the last document that said which (none: a peer that does not sign the zone). */
  dnskeys?: PublishedKey[];
}

type KeyRead = { key: Buffer } | { error: string };

const LOG_EVERY_MS = 60_000;
/** Failures in a row before a poll's failure is logged. */
const LOGGED_FAILURES = 2;

export class PeerExchange {
  readonly #options: PeerExchangeOptions;
  readonly #lane: WorkQueue;
  readonly #now: () => number;
  #wanted = new Map<string, Wanted>();
  #served = new Map<string, Served>();
  readonly #states = new Map<string, Polled>();
  readonly #keys = new Map<string, { read: KeyRead; atMs: number }>();
  readonly #logged = new Map<string, number>();
  #sequence = 0;
  /** What #notify told last (JSON). */
  readonly #told = { targets: '[]', down: '[]', conditions: '[]', serials: '[]', keys: '{}' };

  constructor(options: PeerExchangeOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#lane = options.lanes.lane('peers', (key) => this.#poll(key), { concurrency: 4 });
  }

  /** The GeoZones read (at every read, before compile): which peers to poll and which zones to answer for. */
  setZones(zones: readonly GeoZone[]): void {
    const wanted = new Map<string, Wanted>();
    const served = new Map<string, Served>();
    for (const zone of zones) {
      const auth = zone.spec.peerAuth?.secretRef;
      const peers = zone.spec.peers ?? [];
      if (!auth || peers.length === 0) continue;
      const apex = canonicalZone(zone.spec.apex);
      const secret = { name: auth.name, key: auth.key ?? 'key' };
      const others = peers.filter((p) => p.name !== this.#options.cluster);
      served.set(apex, { secret, peers: new Set(others.map((p) => p.name)) });
      const timeoutMs = parseDuration(zone.spec.peerTimeout ?? DEFAULT_PEER_TIMEOUT);
      for (const peer of others) {
        const key = `${apex} ${peer.name}`;
        wanted.set(key, { zoneName: zone.metadata.name, apex, peer: peer.name, url: peer.url, secret, timeoutMs });
      }
    }
    const before = this.#wanted;
    this.#wanted = wanted;
    this.#served = served;
    for (const [key, entry] of wanted) {
      const state = this.#states.get(key);
      if (state) state.timeoutMs = entry.timeoutMs;
      if (!before.has(key)) this.#lane.add(key);
    }
    let gone = false;
    for (const key of [...this.#states.keys()]) {
      if (!wanted.has(key)) {
        this.#states.delete(key);
        gone = true;
      }
    }
    if (gone) {
      this.#options.onTargetsChange();
      this.#options.onReportsChange();
    }
  }

  /** The peers' targets this cluster serves, judged against `view`; for zones with a peer not heard from yet, the
   *  ones the published zone serves (lastPublished). */
  remote(view: LocalView): RemoteTargets {
    const taken = remoteTargets(view, [...this.#states.values()], this.#now());
    const unheard = new Set<string>();
    for (const [key, wanted] of this.#wanted) if (!this.#states.get(key)?.document) unheard.add(wanted.apex);
    const published = unheard.size > 0 ? this.#options.published?.() : undefined;
    return published ? lastPublished(view, unheard, published, taken) : taken;
  }

  /** `own` (apex → the serial and content hash published here) with the greater serials of peers publishing the
   *  same content (serials.ts). */
  serials(own: Readonly<Record<string, PublishedSerial>>): Record<string, PublishedSerial> {
    return adoptSerials(own, this.#peerSerials());
  }

  /**
   * Apex → the DNSKEYs the zone's peers sign with, sorted by cluster then key: of each peer its last document that
   * said (a stale peer's too), else what the published document carried for it. Keys leave only when the peer says
   * so, or stops being a peer of the zone.
   */
  peerKeys(): Record<string, CompiledPublishedKey[]> {
    const out: Record<string, CompiledPublishedKey[]> = {};
    let published: Record<string, readonly CompiledPublishedKey[]> | undefined;
    for (const [key, wanted] of [...this.#wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const told = this.#states.get(key)?.dnskeys;
      const keys: readonly (PublishedKey | CompiledPublishedKey)[] =
        told ??
        ((published ??= this.#options.publishedKeys?.() ?? {})[wanted.apex] ?? []).filter(
          (k) => k.cluster === wanted.peer,
        );
      for (const k of [...keys].sort((a, b) => (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0))) {
        if (!isPublishable(k)) continue;
        (out[wanted.apex] ??= []).push({
          cluster: wanted.peer,
          flags: k.flags,
          algorithm: k.algorithm,
          publicKey: k.publicKey,
        });
      }
    }
    return out;
  }

  /** Each peer that signs `apex` (peerKeys()) and the key tags its DNSKEY rrset holds, as its last document said
   *  (undefined: not said). */
  peersPublishing(apex: string): { peer: string; keyTags: number[] | undefined }[] {
    const signers = new Set((this.peerKeys()[apex] ?? []).map((k) => k.cluster));
    return [...this.#wanted]
      .filter(([, wanted]) => wanted.apex === apex && signers.has(wanted.peer))
      .map(([key, wanted]) => ({ peer: wanted.peer, keyTags: this.#states.get(key)?.document?.dnskeyTags }));
  }

  #peerSerials(): ({ zone: string } & PublishedSerial)[] {
    return [...this.#states.values()].flatMap((state) => {
      const published = state.document?.published;
      return published ? [{ zone: state.zone, ...published }] : [];
    });
  }

  /** Per GeoZone name: what its PeersReachable condition says of each of its peers (none: no peers). */
  reports(zoneName: string): PeerReport[] {
    const now = this.#now();
    const out: PeerReport[] = [];
    for (const [key, wanted] of this.#wanted) {
      if (wanted.zoneName !== zoneName) continue;
      const state = this.#states.get(key);
      out.push({
        peer: wanted.peer,
        ...(state?.heardAtMs !== undefined ? { heardAt: new Date(state.heardAtMs).toISOString() } : {}),
        stale: !state || isStale(state, now),
        timeout: `${wanted.timeoutMs / 1000}s`,
        ...(state?.error ? { error: state.error } : {}),
      });
    }
    return out.sort((a, b) => (a.peer < b.peer ? -1 : 1));
  }

  /** Answers a peer's GET for `apex` (the path after PEER_PATH_PREFIX). */
  async answer(apexText: string, header: (name: string) => string | undefined): Promise<PeerAnswer> {
    const apex = canonicalZone(apexText);
    const served = this.#served.get(apex);
    if (!served) return text(404, `no zone ${apex} with peers here`);
    const requester = header(CLUSTER_HEADER) ?? '';
    if (!served.peers.has(requester)) {
      this.#reject('unknown', 'unknown_peer', `a request for ${apex} from "${requester.slice(0, 63)}", not a peer`);
      return text(403, 'not a peer of this zone');
    }
    const key = await this.#key(served.secret);
    if ('error' in key) return text(503, key.error);
    const now = this.#now();
    const signed = verifySignature(
      key.key,
      { timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER) },
      requestContext(apex, requester),
      new Uint8Array(),
      now,
    );
    if (!signed.ok) {
      this.#reject(requester, signed.reason, `its request for ${apex}: ${signed.message}`);
      return text(401, signed.message);
    }
    const local = this.#options.local();
    if (!local) return text(503, 'no resources read yet');
    this.#sequence = Math.max(now, this.#sequence + 1);
    const document: PeerDocument = {
      version: PROTOCOL_VERSION,
      cluster: this.#options.cluster,
      zone: apex,
      sequence: this.#sequence,
      generatedAt: new Date(now).toISOString(),
      targets: localTargets(local.view, apex, local.down),
    };
    const published = this.#options.publishedSerial?.(apex);
    if (published) document.published = { serial: published.serial, contentHash: published.contentHash };
    const dnskeys = this.#options.dnskeys?.(apex);
    if (dnskeys) document.dnskeys = dnskeys;
    const dnskeyTags = this.#options.dnskeyTags?.(apex);
    if (dnskeyTags) document.dnskeyTags = dnskeyTags;
    const body = encodeDocument(document);
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...signHeaders(key.key, now, documentContext(apex), body) },
      body,
    };
  }

  async #poll(laneKey: string): Promise<HandlerResult | void> {
    const wanted = this.#wanted.get(laneKey);
    if (!wanted) return;
    const state: Polled = this.#states.get(laneKey) ?? {
      peer: wanted.peer,
      zone: wanted.apex,
      timeoutMs: wanted.timeoutMs,
      failures: 0,
    };
    this.#states.set(laneKey, state);
    const local = this.#options.local();
    const error = await this.#fetch(wanted, state, local?.view);
    if (!this.#wanted.has(laneKey)) return;
    const { log } = this.#options;
    if (error === undefined) {
      if (state.failures >= LOGGED_FAILURES) log.info({ peer: wanted.peer, zone: wanted.apex }, 'peer answers again');
      state.failures = 0;
      delete state.error;
    } else {
      state.failures += 1;
      state.error = error;
      // A lone failure (a standby behind the peer's Service, a blip) is retried quietly.
      if (state.failures === LOGGED_FAILURES && this.#due(`${wanted.peer} poll`)) {
        log.warn({ peer: wanted.peer, zone: wanted.apex, error }, 'peer poll failed (logged at most once a minute)');
      }
    }
    this.#notify(local?.view);
    return { requeueAfterMs: this.#nextPollInMs(state) };
  }

  /** Tells what changed since the last time it told: the remote targets (their addresses, or their readiness
   *  alone) and the zones' PeersReachable conditions. A peer turns stale between two polls, so each poll compares
   *  with what was told, not with what was there before it. */
  #notify(view: LocalView | undefined): void {
    if (view) {
      const remote = this.remote(view);
      const targets = JSON.stringify(remote.targets);
      const down = JSON.stringify([...remote.down]);
      const serials = JSON.stringify(this.#peerSerials());
      const keys = JSON.stringify(this.peerKeys());
      if (targets !== this.#told.targets || serials !== this.#told.serials || keys !== this.#told.keys) {
        this.#options.onTargetsChange();
      } else if (down !== this.#told.down) this.#options.onHealthChange();
      this.#told.targets = targets;
      this.#told.keys = keys;
      this.#told.down = down;
      this.#told.serials = serials;
    }
    const zones = new Set([...this.#wanted.values()].map((w) => w.zoneName));
    const conditions = JSON.stringify([...zones].sort().map((zone) => peersCondition(this.reports(zone))));
    if (conditions !== this.#told.conditions) this.#options.onReportsChange();
    this.#told.conditions = conditions;
  }

  /** Polls once; undefined when a document was taken, else what went wrong. */
  async #fetch(wanted: Wanted, state: Polled, view: LocalView | undefined): Promise<string | undefined> {
    const key = await this.#key(wanted.secret);
    if ('error' in key) return key.error;
    const url = `${wanted.url.replace(/\/+$/, '')}${PEER_PATH_PREFIX}${wanted.apex}`;
    let response: Response;
    let body: Uint8Array;
    try {
      response = await fetch(url, {
        headers: {
          [CLUSTER_HEADER]: this.#options.cluster,
          ...signHeaders(key.key, this.#now(), requestContext(wanted.apex, this.#options.cluster)),
        },
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs ?? 3000),
        redirect: 'error',
      });
      body = await readLimited(response);
    } catch (error) {
      return `${url}: ${error instanceof Error ? describeFetchError(error) : String(error)}`;
    }
    if (response.status !== 200) {
      return `${url}: HTTP ${response.status} ${Buffer.from(body.subarray(0, 200)).toString('utf8')}`;
    }
    const checked = checkReceived(
      key.key,
      {
        body,
        timestamp: response.headers.get(TIMESTAMP_HEADER) ?? undefined,
        signature: response.headers.get(SIGNATURE_HEADER) ?? undefined,
      },
      { zone: wanted.apex, cluster: wanted.peer, lastSequence: state.document?.sequence },
      this.#now(),
    );
    if (!checked.ok) {
      this.#reject(wanted.peer, checked.reason, `its document for ${wanted.apex}: ${checked.message}`);
      return `rejected (${checked.reason}): ${checked.message}`;
    }
    if (view) {
      for (const message of localClaims(view, checked.value)) this.#reject(wanted.peer, 'claims_local', message);
    }
    state.document = checked.value;
    if (checked.value.dnskeys) state.dnskeys = checked.value.dnskeys;
    state.heardAtMs = this.#now();
    return undefined;
  }

  /** Every intervalMs, less while failing (doubling up to maxBackoffMs), and never past the moment it turns stale. */
  #nextPollInMs(state: Polled): number {
    const interval = this.#options.intervalMs ?? 5000;
    const max = this.#options.maxBackoffMs ?? 15_000;
    const wait = state.failures === 0 ? interval : Math.min(max, interval * 2 ** (state.failures - 1));
    if (state.heardAtMs === undefined) return wait;
    const untilStale = state.heardAtMs + state.timeoutMs - this.#now() + 1;
    return untilStale > 0 ? Math.min(wait, untilStale) : wait;
  }

  /** Seconds since each peer's last document (its oldest over the zones it serves); peers never heard are left out. */
  ages(): Map<string, number> {
    const now = this.#now();
    const ages = new Map<string, number>();
    for (const state of this.#states.values()) {
      if (state.heardAtMs === undefined) continue;
      const age = (now - state.heardAtMs) / 1000;
      ages.set(state.peer, Math.max(age, ages.get(state.peer) ?? 0));
    }
    return ages;
  }

  async #key(secret: { name: string; key: string }): Promise<KeyRead> {
    const id = `${secret.name}/${secret.key}`;
    const known = this.#keys.get(id);
    const now = this.#now();
    if (known && now - known.atMs < (this.#options.keyRecheckMs ?? 30_000)) return known.read;
    let read: KeyRead;
    try {
      const data = await this.#options.readSecret(secret.name);
      const value = data?.[secret.key];
      const bytes = value === undefined ? undefined : Buffer.from(value, 'base64');
      read = !data
        ? { error: `Secret ${secret.name} not found` }
        : !bytes
          ? { error: `Secret ${secret.name} has no key ${secret.key}` }
          : bytes.length < MIN_KEY_BYTES
            ? {
                error: `Secret ${secret.name} key ${secret.key} holds ${bytes.length} bytes, fewer than ${MIN_KEY_BYTES}`,
              }
            : { key: bytes };
    } catch (error) {
      // The last good key keeps working while the API server cannot be asked.
      if (known && 'key' in known.read) return known.read;
      read = { error: `reading Secret ${secret.name}: ${error instanceof Error ? error.message : String(error)}` };
    }
    this.#keys.set(id, { read, atMs: now });
    return read;
  }

  /** Whether a message of this kind may be logged now: at most once every LOG_EVERY_MS. */
  #due(kind: string): boolean {
    const now = this.#now();
    const last = this.#logged.get(kind);
    if (last !== undefined && now - last < LOG_EVERY_MS) return false;
    this.#logged.set(kind, now);
    return true;
  }

  #reject(peer: string, reason: RejectReason, message: string): void {
    this.#options.onRejected?.(peer, reason);
    if (!this.#due(`${peer} ${reason}`)) return;
    this.#options.log.warn({ peer, reason }, `peer ${peer}: rejected ${message} (logged at most once a minute)`);
  }
}

/** A key as the compiled document takes it (flags 256 or 257, algorithm 13 or 15): the published documents' are
 *  read without their schema. */
function isPublishable(key: PublishedKey | CompiledPublishedKey): key is CompiledPublishedKey {
  return (key.flags === 256 || key.flags === 257) && (key.algorithm === 13 || key.algorithm === 15);
}

function text(status: number, message: string): PeerAnswer {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(message) };
}

/** The body, refused past MAX_DOCUMENT_BYTES (+1, so that the check after it sees it is too large). */
async function readLimited(response: Response): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_DOCUMENT_BYTES + 1) {
    await response.body?.cancel();
    return new Uint8Array(MAX_DOCUMENT_BYTES + 1);
  }
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_DOCUMENT_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}

function describeFetchError(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
