// Keeps the DNSSEC key Secret (plan.ts decides what it holds) on the `dnssec` lane: after each compile and every
// recheck interval, it gets the key Secret and each bring-your-own Secret by name (no list, no watch: the operator
// may only get, create and update Secrets of its own namespace), writes the key Secret when the plan differs, then
// records an Event per key made or adopted and hands each zone's state to status.
import type { Logger } from 'pino';
import { MANAGED_BY_LABEL, MANAGER } from '../../api/configmaps.ts';
import { goingUnsigned, type Dnssec } from '../../api/geozone.ts';
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import { formatKeyPair, parseKeyFileBase } from '../../lib/dnssec/bind.ts';
import { generateSigningKey, keyTag } from '../../lib/dnssec/keys.ts';
import { publishedDnskey, type PublishedKey } from '../../lib/dnssec/published.ts';
import type { ClusterWriter, SecretObject, SecretWriter } from '../cluster-writer.ts';
import { parseServer, type DnsServer } from '../dns/ask.ts';
import type { Lanes } from '../queue/lanes.ts';
import type { HandlerResult, WorkQueue } from '../queue/work-queue.ts';
import { parentDsStatus, queryParentDs, type ParentDsAnswer, type ParentDsStatus } from './parent-ds.ts';
import {
  foreignKeys,
  KEY_SECRET,
  peerDs,
  planKeys,
  type KeyEvent,
  type ZoneKeyRequest,
  type ZoneKeyState,
} from './plan.ts';
import {
  DS_UPDATED_ANNOTATION,
  PARENT_DS_TTL_ANNOTATION,
  parentDsTtlOf,
  parseRolls,
  planRolls,
  ROLL_ANNOTATION,
  ROLLS_ANNOTATION,
  type RollRequest,
} from './roll.ts';
import { planUnsign } from './unsign.ts';

/** A served zone: its GeoZone's name and uid, its apex and its spec.dnssec. */
export interface SignedZoneSpec {
  source: string;
  uid?: string;
  apex: string;
  dnssec: Dnssec | undefined;
  /** The GeoZone's annotations: a key roll is asked for and confirmed there (roll.ts). */
  annotations?: Record<string, string>;
  /** The TTL the DNS pods give its DNSKEY rrset, in seconds. */
  dnskeyTtl?: number;
  /** The key tags every ready DNS pod was last seen serving (undefined: not all of them). */
  servedKeyTags?: readonly number[];
}

export interface DnssecKeeperOptions {
  secrets: SecretWriter;
  /** For the Events. */
  writer: ClusterWriter;
  eventNamespace: string;
  lanes: Lanes;
  /** The operator's namespace: the key Secret's, and the bring-your-own Secrets'. */
  namespace: string;
  log: Logger;
  zones: () => SignedZoneSpec[];
  /** A zone's state changed: status follows. */
  onChange: () => void;
  /** How often the Secrets are got again, for changes made by hand (default 30 s). */
  recheckMs?: number;
  /** The signed zones of the published documents (apex → key tags), what signedZones() says until a first read. */
  published?: () => Record<string, number[]>;
  /** What signedZones() says changed: compile again, so that the documents say it too. */
  onSignedChange?: () => void;
  /** Ask for each signed zone's DS at the parent (parent-ds.ts): of spec.dnssec.parent.servers, or else of these
   *  resolvers. Without it nothing is asked (the composition root gives it; tests without a parent do not). */
  parentResolvers?: readonly DnsServer[];
  /** How long a parent's answer stands before it is asked again (default: recheckMs). */
  parentCheckMs?: number;
  /** The DNSKEYs the zone's peer clusters sign it with (operator/peers/): their DS join status.dnssec.ds, marked
   *  with the cluster, and count as matching at the parent. */
  peerKeys?: (apex: string) => readonly CompiledPublishedKey[];
  /** Each peer of a zone and the key tags its DNSKEY rrset holds (operator/peers/): a roll's Published phase waits
   *  until every peer publishes the new key. */
  peersPublishing?: (apex: string) => { peer: string; keyTags: readonly number[] | undefined }[];
}

/** The last parent DS check of a zone, and what it was asked of. */
interface ParentCheck {
  atMs: number;
  asked: string;
  answer: ParentDsAnswer;
  status: ParentDsStatus;
  /** The DS TTL, when the parent's own servers gave it (a resolver's is counting down). */
  authoritativeTtl?: number;
}

const KEY = 'keys';

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64').toString('utf8')]),
  );

const encode = (files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text, 'utf8').toString('base64')]));

function sameFiles(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

export class DnssecKeeper {
  readonly #options: DnssecKeeperOptions;
  readonly #lane: WorkQueue;
  #states = new Map<string, ZoneKeyState>();
  /** Whether a run has read the key Secret: until then the published documents say which zones are signed. */
  #read = false;
  #signed: Record<string, number[]> = {};
  /** By GeoZone name. */
  #parents = new Map<string, ParentCheck>();
  /** By GeoZone name: when a zone going unsigned was first seen without a DS at the parent (unsign.ts). */
  #missingSince = new Map<string, number>();

  constructor(options: DnssecKeeperOptions) {
    this.#options = options;
    this.#lane = options.lanes.lane('dnssec', () => this.#reconcile());
  }

  /** Looks again soon (after a compile: a zone may ask for keys now). */
  wake(): void {
    this.#lane.addCoalesced(KEY, 0);
  }

  /**
   * The zones signed (apex → key tags of their keys in the key Secret), which compile writes into their documents
   * so that a DNS pod without their keys refuses to answer them unsigned. Until the Secret has been read, the
   * published documents' marks: a restarted operator never unmarks a zone for a moment.
   */
  signedZones(): Record<string, number[]> {
    return this.#read ? this.#signed : (this.#options.published?.() ?? {});
  }

  /** The keys this cluster signs `apex` with, as its peer documents carry them (undefined: the key Secret not
   *  read yet, so nothing is known). */
  publicKeys(apex: string): PublishedKey[] | undefined {
    if (!this.#read) return undefined;
    const zone = this.#options.zones().find((z) => z.apex === apex);
    const keys = zone ? (this.#states.get(zone.source)?.keys ?? []) : [];
    return keys.map((k) => ({ flags: k.flags, algorithm: k.algorithm, publicKey: k.publicKey }));
  }

  /** The peers' keys of `apex` that this cluster does not sign with itself: what its DNSKEY rrset adds to its own.
   *  Before the key Secret is read, a key whose tag the published document names counts as its own. */
  foreignKeys(apex: string, keys: readonly CompiledPublishedKey[]): CompiledPublishedKey[] {
    const own = this.publicKeys(apex);
    if (own) return foreignKeys(own, keys);
    const tags = this.signedZones()[apex] ?? [];
    return keys.filter((key) => !tags.includes(keyTag(publishedDnskey(key))));
  }

  /** The DNSSEC state of a GeoZone, for its status (undefined: its spec has no dnssec and the Secret no key of it). */
  state(source: string): ZoneKeyState | undefined {
    return this.#states.get(source);
  }

  async #reconcile(): Promise<HandlerResult> {
    const { secrets, namespace, log } = this.#options;
    const recheck = { requeueAfterMs: this.#options.recheckMs ?? 30_000 };
    const all = this.#options.zones();
    const asking = all.filter((z) => z.dnssec !== undefined);
    let secret: SecretObject | undefined;
    try {
      secret = await secrets.readSecret(namespace, KEY_SECRET);
    } catch (error) {
      // No zone asks for DNSSEC: looking for kept keys can wait for the next run.
      if (asking.length === 0) {
        log.debug({ err: error, secret: KEY_SECRET }, 'reading the DNSSEC key Secret failed');
        return recheck;
      }
      this.#failed(asking, 'KeySecretUnavailable', `reading the key Secrets: ${(error as Error).message}`);
      throw error;
    }
    // A zone whose keys are in the Secret stays signed, also when its GeoZone no longer has spec.dnssec at all:
    // removing the field is no way to turn a zone unsigned by accident (docs/dnssec.md, "Turning it off").
    const held = new Set(Object.keys(secret?.data ?? {}).flatMap((name) => parseKeyFileBase(name)?.zone ?? []));
    const zones = all.filter((z) => z.dnssec !== undefined || held.has(z.apex));
    if (zones.length === 0) {
      this.#publish(new Map(), true);
      return recheck;
    }
    const requests: ZoneKeyRequest[] = [];
    try {
      for (const zone of zones) {
        const ref = zone.dnssec?.keySecretRef;
        const own = ref ? await secrets.readSecret(namespace, ref.name) : undefined;
        requests.push({
          source: zone.source,
          apex: zone.apex,
          enabled: zone.dnssec?.enabled === true,
          algorithm: zone.dnssec?.algorithm ?? 'ECDSAP256SHA256',
          ...(ref ? { own: { name: ref.name, files: own ? decode(own.data) : undefined } } : {}),
        });
      }
    } catch (error) {
      this.#failed(zones, 'KeySecretUnavailable', `reading the key Secrets: ${(error as Error).message}`);
      throw error;
    }
    const current = decode(secret?.data);
    const generate = (apex: string, algorithm: Parameters<typeof generateSigningKey>[1]) =>
      generateSigningKey(apex, algorithm);
    const keys = planKeys(requests, current, generate, (key) => formatKeyPair(key));
    const rollsBefore = secret?.metadata.annotations?.[ROLLS_ANNOTATION];
    const foreign = new Map(
      zones.map((zone) => {
        const own = (keys.zones.get(zone.source)?.keys ?? []).map((k) => ({ ...k }));
        return [zone.source, foreignKeys(own, this.#options.peerKeys?.(zone.apex) ?? [])];
      }),
    );
    const parents = await this.#checkParents(zones, keys.zones, foreign);
    const plan = planRolls({
      requests: zones.map((zone) =>
        rollRequestOf(zone, parents.get(zone.source), this.#options.peersPublishing?.(zone.apex)),
      ),
      rolls: parseRolls(rollsBefore),
      plan: keys,
      now: new Date(),
      generate,
      format: (key) => formatKeyPair(key),
    });
    const rollsText = Object.keys(plan.rolls).length > 0 ? JSON.stringify(plan.rolls) : undefined;
    if (!sameFiles(plan.files, current) || rollsText !== rollsBefore) {
      const data = encode(plan.files);
      const annotations = { ...secret?.metadata.annotations };
      if (rollsText === undefined) delete annotations[ROLLS_ANNOTATION];
      else annotations[ROLLS_ANNOTATION] = rollsText;
      try {
        if (secret) await secrets.replaceSecret({ ...secret, metadata: { ...secret.metadata, annotations }, data });
        else {
          await secrets.createSecret({
            metadata: { name: KEY_SECRET, namespace, labels: { [MANAGED_BY_LABEL]: MANAGER }, annotations },
            type: 'Opaque',
            data,
          });
        }
      } catch (error) {
        // Nothing made in this run counts until it is written: the next run plans again from what is there.
        this.#failed(zones, 'KeySecretWriteFailed', `writing Secret ${KEY_SECRET}: ${(error as Error).message}`);
        throw error;
      }
      log.info({ secret: KEY_SECRET, files: Object.keys(plan.files).length }, 'DNSSEC key Secret written');
    }
    const unsign = planUnsign({
      requests: zones.map((zone) => {
        const parent = parents.get(zone.source);
        return {
          source: zone.source,
          apex: zone.apex,
          unsign: goingUnsigned(zone.dnssec),
          parentDs: parent?.status,
          parentDsTtl: parentDsTtlOf(zone.annotations?.[PARENT_DS_TTL_ANNOTATION], parent?.authoritativeTtl),
        };
      }),
      zones: plan.zones,
      previous: this.#states,
      missingSince: this.#missingSince,
      namespace,
      nowMs: Date.now(),
    });
    this.#missingSince = unsign.missingSince;
    plan.zones = unsign.zones;
    for (const zone of zones) {
      const state = plan.zones.get(zone.source);
      const theirs = foreign.get(zone.source) ?? [];
      if (state && theirs.length > 0)
        plan.zones.set(zone.source, { ...state, ds: [...state.ds, ...peerDs(zone.apex, theirs)] });
    }
    const events = [...plan.events, ...this.#withParents(plan.zones, parents), ...unsign.events];
    for (const event of events) {
      const zone = zones.find((z) => z.source === event.source);
      log.info({ zone: zone?.apex, reason: event.reason }, event.note);
      try {
        await this.#options.writer.createEvent(this.#options.eventNamespace, {
          regarding: { kind: 'GeoZone', name: event.source, ...(zone?.uid ? { uid: zone.uid } : {}) },
          type: event.type,
          reason: event.reason,
          note: event.note,
        });
      } catch (error) {
        log.warn({ err: error, reason: event.reason }, 'recording a DNSSEC Event failed');
      }
    }
    this.#publish(plan.zones, true);
    // A roll due to move on, or a zone going unsigned due to be safe, by time alone is looked at again then.
    const due = Math.min(plan.nextDueMs ?? Infinity, unsign.nextDueMs ?? Infinity);
    return due !== Infinity ? { requeueAfterMs: Math.min(recheck.requeueAfterMs, due + 100) } : recheck;
  }

  /**
   * Each signed zone's DS at the parent: asked again when the last answer is older than parentCheckMs or was asked
   * of other servers; the zones are asked at once, each of its servers in turn.
   */
  async #checkParents(
    zones: readonly SignedZoneSpec[],
    states: ReadonlyMap<string, ZoneKeyState>,
    foreign: ReadonlyMap<string, readonly CompiledPublishedKey[]>,
  ): Promise<Map<string, ParentCheck>> {
    const resolvers = this.#options.parentResolvers;
    const checks = new Map<string, ParentCheck>();
    if (!resolvers) return checks;
    const nowMs = Date.now();
    const everyMs = this.#options.parentCheckMs ?? this.#options.recheckMs ?? 30_000;
    await Promise.all(
      zones.map(async (zone) => {
        const own = states.get(zone.source)?.keys ?? [];
        if (zone.dnssec?.parent?.check === false || own.length === 0) return;
        // A DS of a peer's key is one the parent should hold (multi-signer), not a stray.
        const keys = [
          ...own,
          ...(foreign.get(zone.source) ?? []).map((k) => ({ ...k, keyTag: keyTag(publishedDnskey(k)) })),
        ];
        const named = zone.dnssec?.parent?.servers;
        const asked = named ? `the parent's servers ${named.join(', ')}` : `the resolver`;
        const before = this.#parents.get(zone.source);
        if (before && before.asked === asked && nowMs - before.atMs < everyMs) {
          // The keys may have changed since: the same answer, compared again.
          checks.set(zone.source, {
            ...before,
            status: parentDsStatus(zone.apex, keys, before.answer, new Date(before.atMs)),
          });
          return;
        }
        const servers = named?.map((text) => ({ text, server: parseServer(text) }));
        const bad = servers?.find((s) => s.server === undefined);
        const answer: ParentDsAnswer = bad
          ? { kind: 'error', error: `spec.dnssec.parent.servers: '${bad.text}' is not an address[:port]`, from: asked }
          : await queryParentDs(servers?.map((s) => s.server as DnsServer) ?? resolvers, zone.apex, !named);
        const status = parentDsStatus(zone.apex, keys, answer, new Date(nowMs));
        const check: ParentCheck = {
          atMs: nowMs,
          asked,
          answer,
          status,
          // A parent that no longer has the DS gives no TTL: the last one it gave is what resolvers may still hold.
          ...(answer.kind === 'records' && answer.authoritative
            ? { authoritativeTtl: answer.ttl }
            : before?.authoritativeTtl !== undefined
              ? { authoritativeTtl: before.authoritativeTtl }
              : {}),
        };
        this.#parents.set(zone.source, check);
        checks.set(zone.source, check);
      }),
    );
    for (const source of this.#parents.keys()) if (!checks.has(source)) this.#parents.delete(source);
    return checks;
  }

  /** Puts each zone's parent check into its state; Events for a parent DS that came to match or stopped matching. */
  #withParents(zones: Map<string, ZoneKeyState>, parents: ReadonlyMap<string, ParentCheck>): KeyEvent[] {
    const events: KeyEvent[] = [];
    for (const [source, check] of parents) {
      const zone = zones.get(source);
      if (!zone) continue;
      const { status } = check;
      zones.set(source, { ...zone, parent: status });
      const before = this.#states.get(source)?.parent?.state;
      if (before === status.state || status.state === 'Unknown' || (before === undefined && status.state === 'Missing'))
        continue;
      const warn = status.state === 'Mismatch' || status.state === 'Partial';
      events.push({
        source,
        type: warn ? 'Warning' : 'Normal',
        reason: `DNSSECParentDS${status.state}`,
        note: `asked ${status.source}: ${status.message}`,
      });
    }
    return events;
  }

  /** Every asking zone keeps its last known keys, with a condition saying what failed. */
  #failed(zones: readonly SignedZoneSpec[], reason: string, message: string): void {
    const next = new Map<string, ZoneKeyState>();
    for (const zone of zones) {
      const before = this.#states.get(zone.source);
      next.set(zone.source, {
        keyTags: before?.keyTags ?? 'off',
        keys: before?.keys ?? [],
        ds: before?.ds ?? [],
        condition: { ok: false, reason, message: `${message}; the keys the DNS pods have keep signing` },
      });
    }
    this.#publish(next);
  }

  /** `read`: the key Secret was read in this run. */
  #publish(next: Map<string, ZoneKeyState>, read = false): void {
    const changed = JSON.stringify([...this.#states]) !== JSON.stringify([...next]);
    const signedBefore = JSON.stringify(this.signedZones());
    this.#states = next;
    if (read) this.#read = true;
    if (this.#read) this.#signed = signedOf(this.#options.zones(), next);
    if (changed) this.#options.onChange();
    if (JSON.stringify(this.signedZones()) !== signedBefore) this.#options.onSignedChange?.();
  }
}

/** Apex → the sorted key tags of each zone with keys (a zone whose DNSSEC is off but whose keys stay is signed). */
function signedOf(
  zones: readonly SignedZoneSpec[],
  states: ReadonlyMap<string, ZoneKeyState>,
): Record<string, number[]> {
  const signed: Record<string, number[]> = {};
  for (const zone of [...zones].sort((a, b) => (a.apex < b.apex ? -1 : a.apex > b.apex ? 1 : 0))) {
    const keys = states.get(zone.source)?.keys ?? [];
    if (keys.length > 0) signed[zone.apex] = [...new Set(keys.map((k) => k.keyTag))].sort((a, b) => a - b);
  }
  return signed;
}

/** What a zone asks of a key roll (roll.ts), from its GeoZone's annotations, what the operator saw of the pods and
 *  what the parent said of its DS. */
function rollRequestOf(
  zone: SignedZoneSpec,
  parent: ParentCheck | undefined,
  peersPublishing: RollRequest['peersPublishing'],
): RollRequest {
  const annotations = zone.annotations ?? {};
  const ttlText = annotations[PARENT_DS_TTL_ANNOTATION];
  return {
    source: zone.source,
    apex: zone.apex,
    token: annotations[ROLL_ANNOTATION],
    dsUpdated: annotations[DS_UPDATED_ANNOTATION],
    ...(parent && parent.status.state !== 'Unknown' ? { parentDs: parent.status } : {}),
    parentDsTtl: parentDsTtlOf(ttlText, parent?.authoritativeTtl),
    dnskeyTtl: zone.dnskeyTtl ?? 3600,
    servedKeyTags: zone.servedKeyTags,
    algorithm: zone.dnssec?.algorithm ?? 'ECDSAP256SHA256',
    ownKeys: zone.dnssec?.keySecretRef !== undefined,
    ...(peersPublishing && peersPublishing.length > 0 ? { peersPublishing } : {}),
    enabled: zone.dnssec?.enabled === true,
  };
}
