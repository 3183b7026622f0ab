// Compiling GeoZones: which zone serves each apex (the older of two claimants; a zone without a usable name server
// serves none), and, once the GeoEndpoints have joined the accepted zones, each zone's document and status.
import {
  COMPILED_FORMAT,
  type CompiledNetwork,
  type CompiledRoutedName,
  type CompiledDnssec,
  type CompiledPublishedKey,
  type CompiledZone,
} from '../../api/compiled.ts';
import { goingUnsigned, type GeoZone } from '../../api/geozone.ts';
import { compareNetworks, parseNetwork, type ParsedNetwork } from './addresses.ts';
import { condition, joinMessages } from './conditions.ts';
import type { CompileInput } from './input.ts';
import { canonicalName, compareStrings, nameProblem } from './names.ts';
import { compareAge, sortByName } from './order.ts';
import type { ResourceResult } from './results.ts';
import { nextSerial } from './serial.ts';
import { contentHashOf } from './serialize.ts';
import { compiledLocation } from './targets.ts';
import { compileZoneRecords, type ZoneRecords } from './zone-records.ts';

/** A zone that serves its apex; the GeoEndpoints it admits add their routed names. */
export interface AcceptedZone {
  resource: GeoZone;
  apex: string;
  static: ZoneRecords;
  routed: CompiledRoutedName[];
  refusedEndpoints: number;
}

export type ZoneVerdict = { accepted: AcceptedZone } | { refused: { reason: string; message: string } };

/** Each zone's verdict, by GeoZone name. */
export function judgeZones(zones: readonly GeoZone[]): Map<string, ZoneVerdict> {
  const verdicts = new Map<string, ZoneVerdict>();
  const byApex = new Map<string, GeoZone[]>();
  for (const zone of zones) {
    const apex = canonicalName(zone.spec?.apex ?? '');
    const problem = apex === '' ? 'spec.apex is empty' : nameProblem(apex);
    if (problem) {
      verdicts.set(zone.metadata.name, { refused: { reason: 'InvalidSpec', message: `spec.apex: ${problem}` } });
      continue;
    }
    byApex.set(apex, [...(byApex.get(apex) ?? []), zone]);
  }
  for (const [apex, claimants] of byApex) {
    const [winner, ...losers] = [...claimants].sort((a, b) =>
      compareAge(a.metadata, b.metadata, a.metadata.name, b.metadata.name),
    );
    if (!winner) continue;
    for (const loser of losers) {
      verdicts.set(loser.metadata.name, {
        refused: {
          reason: 'Conflict',
          message: `apex ${apex} is already served by GeoZone ${winner.metadata.name}, which is older`,
        },
      });
    }
    const records = compileZoneRecords(apex, winner.spec);
    if (records.ns.names.length === 0) {
      verdicts.set(winner.metadata.name, {
        refused: {
          reason: 'InvalidSpec',
          message: `spec.nameServers holds no usable name server: ${joinMessages(records.problems)}`,
        },
      });
      continue;
    }
    verdicts.set(winner.metadata.name, {
      accepted: { resource: winner, apex, static: records, routed: [], refusedEndpoints: 0 },
    });
  }
  return verdicts;
}

/** The document and the status of every judged zone, documents in apex order. */
export function compileZones(
  input: CompileInput,
  verdicts: ReadonlyMap<string, ZoneVerdict>,
): { documents: CompiledZone[]; results: ResourceResult[] } {
  const now = input.now;
  const documents: CompiledZone[] = [];
  const results: ResourceResult[] = [];
  for (const zone of sortByName(input.zones ?? [])) {
    const verdict = verdicts.get(zone.metadata.name);
    if (!verdict) continue;
    if ('refused' in verdict) {
      results.push({
        kind: 'GeoZone',
        name: zone.metadata.name,
        conditions: [
          condition('Accepted', false, verdict.refused.reason, verdict.refused.message, zone.metadata, now),
          condition('Ready', false, 'NotAccepted', 'the zone is not served: it is not accepted', zone.metadata, now),
        ],
      });
      continue;
    }
    const { document, problems } = buildDocument(verdict.accepted, input);
    documents.push(document);
    results.push(zoneResult(verdict.accepted, document, problems, now));
  }
  documents.sort((a, b) => compareStrings(a.zone, b.zone));
  return { documents, results };
}

function buildDocument(zone: AcceptedZone, input: CompileInput): { document: CompiledZone; problems: string[] } {
  const spec = zone.resource.spec;
  const problems = [...zone.static.problems];
  const networks = compileNetworks(spec.networks ?? [], problems);
  const soa = spec.soa;
  const content = {
    format: COMPILED_FORMAT,
    zone: zone.apex,
    source: zone.resource.metadata.name,
    soa: {
      mname: canonicalName(soa?.primaryNameServer ?? zone.static.primaryNameServer ?? ''),
      rname: canonicalName(soa?.hostmaster ?? `hostmaster.${zone.apex}`),
      refresh: soa?.refresh ?? 3600,
      retry: soa?.retry ?? 600,
      expire: soa?.expire ?? 604800,
      minimum: soa?.minimum ?? 60,
      ttl: soa?.ttl ?? 3600,
    },
    ns: zone.static.ns,
    records: zone.static.records,
    routed: [...zone.routed].sort((a, b) => compareStrings(a.name, b.name)),
    networks,
    ...signedBy(
      signedKeyTags(input, zone.apex, spec.dnssec),
      input.publishedKeys?.[zone.apex],
      goingUnsigned(spec.dnssec),
    ),
  } satisfies Omit<CompiledZone, 'serial' | 'contentHash'>;
  const contentHash = contentHashOf(content);
  const { serial, note } = nextSerial({
    contentHash,
    previous: input.previous?.[zone.apex],
    serialFloor: soa?.serialFloor,
    now: input.now,
  });
  if (note) problems.push(note);
  const document: CompiledZone = {
    format: content.format,
    zone: content.zone,
    source: content.source,
    serial,
    contentHash,
    soa: content.soa,
    ns: content.ns,
    records: content.records,
    routed: content.routed,
    networks: content.networks,
    ...(content.dnssec ? { dnssec: content.dnssec } : {}),
  };
  return { document, problems };
}

/**
 * The key tags a zone is marked signed by. The operator says which zones its key Secret signs (`input.signed`).
 * Without the operator (geodns compile, serve --resources) a GeoZone with spec.dnssec.enabled is marked signed by
 * whatever keys of it the server has ([]), so that a server started without them refuses to answer it unsigned.
 */
function signedKeyTags(
  input: Pick<CompileInput, 'signed'>,
  apex: string,
  dnssec: GeoZone['spec']['dnssec'],
): readonly number[] | undefined {
  if (input.signed) {
    const tags = input.signed[apex];
    return tags && tags.length > 0 ? tags : undefined;
  }
  return dnssec?.enabled === true ? [] : undefined;
}

/** The `dnssec` field of a zone signed with these keys, and publishing the peers' (none for an unsigned zone:
 *  documents stay as they were). `deleteDs`: the zone goes unsigned, still signed until its keys are gone. */
function signedBy(
  keyTags: readonly number[] | undefined,
  published: readonly CompiledPublishedKey[] | undefined,
  deleteDs: boolean,
): { dnssec?: CompiledDnssec } {
  if (!keyTags) return {};
  const sorted = [...(published ?? [])].sort(
    (a, b) => compareStrings(a.cluster, b.cluster) || compareStrings(a.publicKey, b.publicKey),
  );
  return {
    dnssec: {
      keyTags: [...new Set(keyTags)].sort((a, b) => a - b),
      ...(sorted.length > 0 ? { publishedKeys: sorted.map((k) => ({ ...k })) } : {}),
      ...(deleteDs ? { deleteDs: true } : {}),
    },
  };
}

function compileNetworks(networks: NonNullable<GeoZone['spec']['networks']>, problems: string[]): CompiledNetwork[] {
  const parsed: { network: ParsedNetwork; location: CompiledNetwork['location'] }[] = [];
  const seen = new Map<string, number>();
  for (const [index, network] of networks.entries()) {
    const where = `networks[${index}] (${network.cidr})`;
    const result = parseNetwork(network.cidr ?? '');
    if (!result) {
      problems.push(`${where}: not an IPv4 or IPv6 network in CIDR notation`);
      continue;
    }
    const first = seen.get(result.cidr);
    if (first !== undefined) {
      problems.push(`${where}: the same network as networks[${first}]; left out`);
      continue;
    }
    seen.set(result.cidr, index);
    parsed.push({ network: result, location: compiledLocation(network.location) });
  }
  return parsed
    .sort((a, b) => compareNetworks(a.network, b.network))
    .map(({ network, location }) => ({ cidr: network.cidr, location }));
}

function zoneResult(zone: AcceptedZone, document: CompiledZone, problems: string[], now: Date): ResourceResult {
  const meta = zone.resource.metadata;
  const accepted =
    problems.length === 0
      ? condition('Accepted', true, 'Accepted', `serving apex ${zone.apex}`, meta, now)
      : condition(
          'Accepted',
          true,
          'RecordsNotValid',
          `serving apex ${zone.apex}; ${problems.length} problem(s), the affected entries are left out: ${joinMessages(problems)}`,
          meta,
          now,
        );
  const served = document.routed.length;
  const refused = zone.refusedEndpoints > 0 ? ` (${zone.refusedEndpoints} refused; see their status)` : '';
  const ready = condition(
    'Ready',
    true,
    'Ready',
    `serial ${document.serial}: ${document.records.length} static rrset(s), ${served} GeoEndpoint(s) served${refused}`,
    meta,
    now,
  );
  return {
    kind: 'GeoZone',
    name: meta.name,
    conditions: [accepted, ready],
    summary: { serial: document.serial, contentHash: document.contentHash, endpoints: served },
  };
}
