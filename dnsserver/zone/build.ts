// Indexes one compiled zone for lookups. Runs once per zone document; the result is never mutated.
import type { CompiledRRset, CompiledRoutedName, CompiledZone } from '../../api/compiled.ts';
import { TYPE, type RRset, type ZoneIndex, type ZoneNode } from './types.ts';

const NO_RRSETS: readonly RRset[] = Object.freeze([]);

const typeNumber = (type: string): number | undefined => (TYPE as Record<string, number>)[type];

/** True when `name` is `apex` or below it. */
export function inZone(name: string, apex: string): boolean {
  return apex === '' || name === apex || name.endsWith(`.${apex}`);
}

/** The parent of a name ('' for a single label). */
export function parentOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}

/**
 * Builds a zone index from a document given in pieces: the header (a document whose records and routed lists may be
 * empty), then any number of record and routed chunks. A large zone can so be indexed a slice at a time while the
 * server keeps answering from the previous snapshot.
 */
export class ZoneBuilder {
  readonly #apex: string;
  readonly #header: CompiledZone;
  readonly #records: CompiledRRset[] = [];
  readonly #routed: CompiledRoutedName[] = [];
  readonly #nodes = new Map<string, ZoneNode>();
  readonly #cuts = new Set<string>();
  readonly #routedByTarget = new Map<string, string[]>();
  readonly #soa: RRset;

  constructor(header: CompiledZone) {
    this.#header = header;
    const apex = header.zone.toLowerCase();
    this.#apex = apex;
    const { soa: s } = header;
    this.#soa = {
      name: apex,
      type: 'SOA',
      ttl: s.ttl,
      data: [
        {
          mname: s.mname,
          rname: s.rname,
          serial: header.serial,
          refresh: s.refresh,
          retry: s.retry,
          expire: s.expire,
          minimum: s.minimum,
        },
      ],
    };
    this.#node(apex).rrsets = [this.#soa, { name: apex, type: 'NS', ttl: header.ns.ttl, data: header.ns.names }];
    this.addRecords(header.records);
    this.addRouted(header.routed);
  }

  #node(name: string): ZoneNode {
    let found = this.#nodes.get(name);
    if (!found) {
      found = { name, rrsets: NO_RRSETS };
      this.#nodes.set(name, found);
    }
    return found;
  }

  addRecords(records: readonly CompiledRRset[]): this {
    const apex = this.#apex;
    for (const record of records) {
      this.#records.push(record);
      const name = record.name.toLowerCase();
      const type = typeNumber(record.type);
      if (type === undefined || !inZone(name, apex)) continue;
      // Apex SOA/NS come from their own fields; a stray apex NS record would duplicate them.
      if (name === apex && type === TYPE.NS) continue;
      const owner = this.#node(name);
      const at = owner.rrsets.findIndex((rrset) => rrset.type === record.type);
      if (at >= 0) {
        const existing = owner.rrsets[at] as RRset;
        owner.rrsets = owner.rrsets.with(at, { ...existing, data: [...existing.data, ...record.data] });
      } else {
        // Documents hold canonical (lower-case) names, so the record itself can serve as the rrset.
        const rrset = record.name === name ? record : { name, type: record.type, ttl: record.ttl, data: record.data };
        // concat allocates exactly; a spread ([...rrsets, rrset]) leaves V8's growth slack (17 slots for one
        // rrset): 12 MiB more for a 100,000-name zone, where nearly every name has a single rrset.
        owner.rrsets = owner.rrsets.concat([rrset]);
      }
      if (type === TYPE.NS && name !== apex) this.#cuts.add(name);
    }
    return this;
  }

  addRouted(routedNames: readonly CompiledRoutedName[]): this {
    for (const routed of routedNames) {
      this.#routed.push(routed);
      const name = routed.name.toLowerCase();
      if (!inZone(name, this.#apex)) continue;
      this.#node(name).routed = routed;
      for (const target of routed.targets) {
        const list = this.#routedByTarget.get(target.id);
        if (list) list.push(name);
        else this.#routedByTarget.set(target.id, [name]);
      }
    }
    return this;
  }

  finish(): ZoneIndex {
    const apex = this.#apex;
    const nodes = this.#nodes;
    const emptyNonTerminals = new Set<string>();
    for (const name of nodes.keys()) {
      for (let up = parentOf(name); up !== apex && inZone(up, apex) && up !== ''; up = parentOf(up)) {
        if (nodes.has(up) || emptyNonTerminals.has(up)) break;
        emptyNonTerminals.add(up);
      }
    }
    const { soa } = this.#header;
    return {
      apex,
      serial: this.#header.serial,
      compiled: { ...this.#header, records: this.#records, routed: this.#routed },
      soa: this.#soa,
      negativeTtl: Math.min(soa.ttl, soa.minimum),
      nodes,
      emptyNonTerminals,
      cuts: this.#cuts,
      routedByTarget: this.#routedByTarget,
    };
  }
}

export function buildZone(compiled: CompiledZone): ZoneIndex {
  return new ZoneBuilder(compiled).finish();
}
