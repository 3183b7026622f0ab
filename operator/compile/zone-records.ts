// The static part of a zone: apex NS, glue, static records, delegations. Bad entries are left out with a problem
// message naming where they came from (records[i] value[j], nameServers[i]); the rest compiles.
import type { CompiledRRset, RRData } from '../../api/compiled.ts';
import type { GeoZoneSpec, StaticRecordType } from '../../api/geozone.ts';
import { compareParsedAddresses, normaliseAddresses, parseAddress } from './addresses.ts';
import { compareStrings, isBelow, isInZone, nameProblem, resolveZoneName, canonicalName } from './names.ts';
import { parseRdata } from './rdata.ts';
import { canonicalJson } from './serialize.ts';

interface RRsetDraft {
  ttl: number;
  data: RRData[];
  /** Where the rrset came from, for messages: `records[3]`, `glue for nameServers[0]`. */
  origin: string;
}

export interface ZoneRecords {
  /** Apex NS names, sorted. */
  ns: { ttl: number; names: string[] };
  /** The first usable entry of spec.nameServers: the default SOA MNAME. */
  primaryNameServer: string | undefined;
  records: CompiledRRset[];
  /** Names with NS records below the apex: the zone delegates them. */
  delegations: string[];
  problems: string[];
  /** Record types present at a name, with their origin, for conflict checks against routed names. */
  typesAt(name: string): ReadonlyMap<StaticRecordType, string>;
  /** The delegation point at or above `name`, if the name is delegated away. */
  delegationCovering(name: string): string | undefined;
}

export function compileZoneRecords(apex: string, spec: GeoZoneSpec): ZoneRecords {
  const defaultTTL = spec.defaultTTL ?? 300;
  const problems: string[] = [];
  const byName = new Map<string, Map<StaticRecordType, RRsetDraft>>();

  const rrsetsAt = (name: string): Map<StaticRecordType, RRsetDraft> => {
    let rrsets = byName.get(name);
    if (!rrsets) {
      rrsets = new Map();
      byName.set(name, rrsets);
    }
    return rrsets;
  };

  // Apex NS and glue. Glue goes in first, so that a later static CNAME at a name server's name is the one refused.
  const nsNames: string[] = [];
  for (const [index, server] of (spec.nameServers ?? []).entries()) {
    const where = `nameServers[${index}] "${server.name}"`;
    const name = canonicalName(server.name ?? '');
    const problem = name === '' ? 'name is empty' : nameProblem(name);
    if (problem) {
      problems.push(`${where}: ${problem}`);
      continue;
    }
    if (!nsNames.includes(name)) nsNames.push(name);
    if (!isInZone(name, apex)) continue;
    const { addresses, invalid } = normaliseAddresses(server.addresses ?? []);
    for (const bad of invalid) problems.push(`${where}: glue address "${bad}" is not an IPv4 or IPv6 address`);
    if (addresses.length === 0) {
      problems.push(`${where}: the name server is inside the zone but has no glue addresses`);
      continue;
    }
    for (const address of addresses) {
      const type = address.family === 'ipv4' ? 'A' : 'AAAA';
      addData(rrsetsAt(name), type, defaultTTL, address.text, `glue for nameServers[${index}]`);
    }
  }

  for (const [index, record] of (spec.records ?? []).entries()) {
    const owner = resolveZoneName(record.name ?? '', apex);
    const where = `records[${index}] (${record.name} ${record.type})`;
    const ownerProblem = nameProblem(owner);
    if (ownerProblem) {
      problems.push(`${where}: ${ownerProblem}`);
      continue;
    }
    if (!isInZone(owner, apex)) {
      problems.push(`${where}: owner ${owner} is outside the zone ${apex}`);
      continue;
    }
    if (record.type === 'NS' && owner === apex) {
      problems.push(`${where}: NS records at the apex come from spec.nameServers`);
      continue;
    }
    const rrsets = rrsetsAt(owner);
    const conflict = cnameConflict(record.type, owner, apex, rrsets);
    if (conflict) {
      problems.push(`${where}: CNAMEConflict: ${conflict}`);
      continue;
    }
    const ttl = record.ttl ?? defaultTTL;
    for (const [valueIndex, value] of (record.values ?? []).entries()) {
      const parsed = parseRdata(record.type, value, apex);
      if (!parsed.ok) {
        problems.push(`${where} value[${valueIndex}]: ${parsed.error}`);
        continue;
      }
      const existing = rrsets.get(record.type);
      if (record.type === 'CNAME' && existing && canonicalJson(existing.data[0]) !== canonicalJson(parsed.data)) {
        problems.push(`${where} value[${valueIndex}]: CNAMEConflict: a name holds only one CNAME (${existing.origin})`);
        continue;
      }
      const ttlNote = addData(rrsets, record.type, ttl, parsed.data, `records[${index}]`);
      if (ttlNote) problems.push(`${where}: ${ttlNote}`);
    }
    if (rrsets.size === 0) byName.delete(owner);
  }

  const delegations = [...byName.entries()]
    .filter(([name, rrsets]) => name !== apex && rrsets.has('NS'))
    .map(([name]) => name)
    .sort(compareStrings);
  const delegationCovering = (name: string): string | undefined => delegations.find((point) => isInZone(name, point));

  // Occlusion (RFC 2181 §6, RFC 1034 §4.2.1): below a zone cut only glue — addresses of the delegation's own
  // name servers — is served; at the cut only its NS records.
  for (const [name, rrsets] of byName) {
    for (const [type, draft] of rrsets) {
      const point = delegations.find((cut) => isBelow(name, cut) || (name === cut && type !== 'NS'));
      if (!point || isGlue(name, type, point, byName)) continue;
      problems.push(
        `${draft.origin} (${name} ${type}): occluded by the delegation of ${point}; data below a zone cut is not served`,
      );
      rrsets.delete(type);
    }
    if (rrsets.size === 0) byName.delete(name);
  }

  const records: CompiledRRset[] = [];
  for (const name of [...byName.keys()].sort(compareStrings)) {
    const rrsets = byName.get(name) as Map<StaticRecordType, RRsetDraft>;
    for (const type of [...rrsets.keys()].sort(compareStrings)) {
      const draft = rrsets.get(type) as RRsetDraft;
      records.push({ name, type, ttl: draft.ttl, data: sortData(type, draft.data) });
    }
  }

  return {
    ns: { ttl: defaultTTL, names: [...nsNames].sort(compareStrings) },
    primaryNameServer: nsNames[0],
    records,
    delegations,
    problems,
    typesAt: (name) =>
      new Map([...(byName.get(name) ?? new Map<StaticRecordType, RRsetDraft>())].map(([t, d]) => [t, d.origin])),
    delegationCovering,
  };
}

/** Why a record of `type` may not join the rrsets at `owner` (RFC 1034 §3.6.2: a CNAME stands alone). */
function cnameConflict(
  type: StaticRecordType,
  owner: string,
  apex: string,
  rrsets: ReadonlyMap<StaticRecordType, RRsetDraft>,
): string | undefined {
  if (type === 'CNAME') {
    if (owner === apex) return `a CNAME cannot be at the apex ${apex}, which holds SOA and NS records`;
    const other = [...rrsets.entries()].find(([otherType]) => otherType !== 'CNAME');
    if (other) return `${owner} already holds ${other[0]} records (${other[1].origin}); a CNAME must stand alone`;
    return undefined;
  }
  const cname = rrsets.get('CNAME');
  return cname ? `${owner} already holds a CNAME (${cname.origin}); no other data may sit beside it` : undefined;
}

/** Adds one rdata to an rrset; returns a note when the TTL disagrees with the rrset's (RFC 2181 §5.2). */
function addData(
  rrsets: Map<StaticRecordType, RRsetDraft>,
  type: StaticRecordType,
  ttl: number,
  data: RRData,
  origin: string,
): string | undefined {
  const existing = rrsets.get(type);
  if (!existing) {
    rrsets.set(type, { ttl, data: [data], origin });
    return undefined;
  }
  const key = canonicalJson(data);
  if (!existing.data.some((item) => canonicalJson(item) === key)) existing.data.push(data);
  return existing.ttl === ttl
    ? undefined
    : `TTL ${ttl} differs from TTL ${existing.ttl} of the same rrset (${existing.origin}); the rrset uses ${existing.ttl}`;
}

function isGlue(
  name: string,
  type: StaticRecordType,
  cut: string,
  byName: ReadonlyMap<string, ReadonlyMap<StaticRecordType, RRsetDraft>>,
): boolean {
  if (type !== 'A' && type !== 'AAAA') return false;
  const ns = byName.get(cut)?.get('NS');
  return ns !== undefined && ns.data.includes(name);
}

function sortData(type: StaticRecordType, data: RRData[]): RRData[] {
  if (type === 'A' || type === 'AAAA') {
    return [...data].sort((a, b) => {
      const pa = parseAddress(a as string);
      const pb = parseAddress(b as string);
      return pa && pb ? compareParsedAddresses(pa, pb) : compareStrings(a as string, b as string);
    });
  }
  return [...data].sort((a, b) => compareStrings(canonicalJson(a), canonicalJson(b)));
}
