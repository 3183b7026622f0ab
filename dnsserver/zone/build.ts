// Indexes one compiled zone for lookups. Runs once per zone document; the result is never mutated.
import type { CompiledZone } from '../../api/compiled.ts';
import { TYPE, type RRset, type ZoneIndex, type ZoneNode } from './types.ts';

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

export function buildZone(compiled: CompiledZone): ZoneIndex {
  const apex = compiled.zone.toLowerCase();
  const nodes = new Map<string, ZoneNode>();
  const node = (name: string): ZoneNode => {
    let found = nodes.get(name);
    if (!found) {
      found = { name, rrsets: new Map() };
      nodes.set(name, found);
    }
    return found;
  };

  const { soa: s } = compiled;
  const soa: RRset = {
    name: apex,
    type: 'SOA',
    ttl: s.ttl,
    data: [
      {
        mname: s.mname,
        rname: s.rname,
        serial: compiled.serial,
        refresh: s.refresh,
        retry: s.retry,
        expire: s.expire,
        minimum: s.minimum,
      },
    ],
  };
  node(apex).rrsets.set(TYPE.SOA, soa);
  node(apex).rrsets.set(TYPE.NS, { name: apex, type: 'NS', ttl: compiled.ns.ttl, data: compiled.ns.names });

  const cuts = new Set<string>();
  for (const record of compiled.records) {
    const name = record.name.toLowerCase();
    const type = typeNumber(record.type);
    if (type === undefined || !inZone(name, apex)) continue;
    // Apex SOA/NS come from their own fields; a stray apex NS record would duplicate them.
    if (name === apex && type === TYPE.NS) continue;
    const owner = node(name);
    const existing = owner.rrsets.get(type);
    if (existing) {
      owner.rrsets.set(type, { ...existing, data: [...existing.data, ...record.data] });
    } else {
      owner.rrsets.set(type, { name, type: record.type, ttl: record.ttl, data: record.data });
    }
    if (type === TYPE.NS && name !== apex) cuts.add(name);
  }

  const routedByTarget = new Map<string, string[]>();
  for (const routed of compiled.routed) {
    const name = routed.name.toLowerCase();
    if (!inZone(name, apex)) continue;
    node(name).routed = routed;
    for (const target of routed.targets) {
      const list = routedByTarget.get(target.id) ?? [];
      list.push(name);
      routedByTarget.set(target.id, list);
    }
  }

  const emptyNonTerminals = new Set<string>();
  for (const name of [...nodes.keys()]) {
    for (let up = parentOf(name); up !== apex && inZone(up, apex) && up !== ''; up = parentOf(up)) {
      if (!nodes.has(up)) emptyNonTerminals.add(up);
    }
  }

  return {
    apex,
    serial: compiled.serial,
    compiled,
    soa,
    negativeTtl: Math.min(s.ttl, s.minimum),
    nodes,
    emptyNonTerminals,
    cuts,
    routedByTarget,
  };
}
