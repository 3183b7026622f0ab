// What the query handler answers from: the zone snapshot, the health table, the GeoIP database and the
// encoded-answer cache. Each input is replaced whole (one reference assignment), never edited in place.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable, TargetHealth } from '../../api/health.ts';
import type { GeoDatabase } from '../geoip/database.ts';
import { createLocator, type Locator } from '../geoip/locator.ts';
import { createSnapshot, type ZoneSnapshot } from '../zone/snapshot.ts';
import type { ZoneIndex } from '../zone/types.ts';
import { AnswerCache } from './cache.ts';
import { PlanCache } from './plans.ts';
import type { ZoneSigner } from '../dnssec/signer.ts';
import { unkeyedZones } from '../dnssec/unkeyed.ts';
import type { SignedBody } from './signed.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import { DEFAULT_ANSWER_CACHE, DEFAULT_DNSSEC_CACHE } from './bounds.ts';

export interface ServerStateOptions {
  zones?: readonly CompiledZone[];
  health?: HealthTable;
  geoip?: GeoDatabase;
  /** Most plans and encoded bodies kept (default DEFAULT_ANSWER_CACHE, bounds.ts). */
  cacheSize?: number;
  /** Most signed bodies kept (default DEFAULT_DNSSEC_CACHE, bounds.ts). */
  signedCacheSize?: number;
}

export interface DnssecCounts {
  zones: { zone: string; made: number; ahead: number; refreshed: number; hits: number }[];
  budgetExceeded: number;
}

/** Cache tag of a routed name. */
export const routedTag = (apex: string, name: string) => `${apex}|${name}`;

export class ServerState {
  snapshot: ZoneSnapshot;
  health: HealthTable;
  geoip: GeoDatabase | undefined;
  readonly cache: AnswerCache;
  readonly plans: PlanCache;
  /** Signers by zone apex: the zones answered with DNSSEC to queries with the DO bit. Empty: nothing is signed. */
  signers: ReadonlyMap<string, ZoneSigner> = new Map();
  /**
   * Zones whose document says they are signed (`dnssec`) and for which no key is here: answered SERVFAIL, never
   * unsigned (a resolver holding the parent's DS would find every unsigned answer bogus). Empty almost always.
   */
  unkeyed: ReadonlySet<string> = new Set();
  /** Signed bodies (DO=1), tagged like `cache`, each valid until its refresh time. */
  readonly signed: AnswerCache<SignedBody>;
  #locators = new Map<string, Locator>();
  #changeListeners: (() => void)[] = [];

  constructor(options: ServerStateOptions = {}) {
    this.snapshot = createSnapshot(options.zones ?? []);
    this.health = options.health ?? EMPTY_HEALTH;
    this.geoip = options.geoip;
    this.cache = new AnswerCache(options.cacheSize ?? DEFAULT_ANSWER_CACHE);
    this.plans = new PlanCache(options.cacheSize ?? DEFAULT_ANSWER_CACHE);
    this.signed = new AnswerCache<SignedBody>(options.signedCacheSize ?? DEFAULT_DNSSEC_CACHE);
    this.unkeyed = unkeyedApexes(this.snapshot, this.signers);
  }

  /**
   * Calls `listener` after every change that may change an answer (zones, health, the GeoIP database, keys), for
   * what keeps answers outside this state (the native UDP path's reply cache).
   */
  onAnswersChanged(listener: () => void): void {
    this.#changeListeners.push(listener);
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }

  /** DO queries answered TC=1 because the signing budget was spent (counted up; metrics read and reset it). */
  dnssecBudgetExceeded = 0;

  /** Signatures made (inline, ahead, by the refresh) and taken from the cache per zone, and budget refusals, since the last call. */
  takeDnssecCounts(): DnssecCounts {
    const zones: DnssecCounts['zones'] = [];
    for (const [zone, signer] of this.signers) {
      const { made, ahead, refreshed, hits } = signer;
      if (made === 0 && ahead === 0 && refreshed === 0 && hits === 0) continue;
      zones.push({ zone, made, ahead, refreshed, hits });
      signer.made = signer.ahead = signer.refreshed = signer.hits = 0;
    }
    const budgetExceeded = this.dnssecBudgetExceeded;
    this.dnssecBudgetExceeded = 0;
    return { zones, budgetExceeded };
  }

  /** Replaces the zone signers (keys changed); signed bodies made with the old keys go. */
  setSigners(signers: ReadonlyMap<string, ZoneSigner>): void {
    this.signers = signers;
    this.unkeyed = unkeyedApexes(this.snapshot, signers);
    this.signed.clear();
    this.#changed();
  }

  /** Replaces all zones at once. Cached bodies are dropped (zones change rarely). */
  setZones(zones: readonly CompiledZone[]): void {
    this.setSnapshot(createSnapshot(zones));
  }

  /** Replaces all zones with a snapshot built elsewhere (e.g. a slice at a time while answering went on). */
  setSnapshot(snapshot: ZoneSnapshot): void {
    this.snapshot = snapshot;
    this.unkeyed = unkeyedApexes(snapshot, this.signers);
    this.#locators = new Map();
    this.cache.clear();
    this.plans.clear();
    this.signed.clear();
    this.#changed();
  }

  /**
   * Replaces the health table. Only the cached bodies of routed names whose targets changed are dropped.
   * Returns the names (zone|name) invalidated.
   */
  setHealth(table: HealthTable): string[] {
    const previous = this.health.targets;
    const next = table.targets;
    this.health = table;
    const changed = new Set<string>();
    for (const id of new Set([...Object.keys(previous), ...Object.keys(next)])) {
      if (!sameHealth(previous[id], next[id])) changed.add(id);
    }
    if (changed.size === 0) return [];
    this.plans.forgetAnswers();
    const tags = new Set<string>();
    for (const zone of this.snapshot.zones.values()) {
      for (const id of changed) {
        for (const name of zone.routedByTarget.get(id) ?? []) tags.add(routedTag(zone.apex, name));
      }
    }
    this.cache.invalidate(tags);
    this.signed.invalidate(tags);
    this.#changed();
    return [...tags];
  }

  /**
   * Replaces the GeoIP database between two queries. What depended on where clients were placed goes with the old
   * one: the locators (with their address and subnet memos) and the answers remembered per location. Encoded bodies
   * stay: they are keyed by the targets chosen, not by the client, so they hold for whoever is given those targets.
   */
  setGeoDatabase(database: GeoDatabase | undefined): void {
    this.geoip = database;
    this.#locators = new Map();
    this.plans.forgetAnswers();
    this.#changed();
  }

  /** The zone's locator (custom networks + GeoIP), built on first use per snapshot. */
  locator(zone: ZoneIndex): Locator {
    let locator = this.#locators.get(zone.apex);
    if (!locator) {
      locator = createLocator(zone.compiled.networks, this.geoip);
      this.#locators.set(zone.apex, locator);
    }
    return locator;
  }
}

/** The apexes of the zones marked signed in their documents that have no signer. */
function unkeyedApexes(snapshot: ZoneSnapshot, signers: ReadonlyMap<string, unknown>): ReadonlySet<string> {
  const compiled = [...snapshot.zones.values()].map((zone) => zone.compiled);
  return new Set(unkeyedZones(compiled, (apex) => signers.has(apex)).map((z) => z.zone));
}

function sameHealth(a: TargetHealth | undefined, b: TargetHealth | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.up !== b.up) return false;
  const da = a.downAddresses ?? [];
  const db = b.downAddresses ?? [];
  return da.length === db.length && da.every((address, i) => address === db[i]);
}
