// Zones reach a DNS node in slices: a header per zone, then records and routed names a few thousand at a time,
// then an end marker. The sender waits for each slice to be taken before sending the next, so a node indexes a
// large zone between queries instead of stopping to copy and index it whole. The node keeps answering from its
// previous snapshot and swaps to the new one only at the end: no query sees half a zone.
import type { CompiledZone } from '../../api/compiled.ts';
import { snapshotOf, type ZoneSnapshot } from '../zone/snapshot.ts';
import { ZoneBuilder } from '../zone/build.ts';

/** Records or routed names per slice: small enough that copying and indexing one takes a few milliseconds. */
export const SLICE_SIZE = 2000;

export type ZoneSlice =
  | { type: 'zones-begin'; generation: number; headers: CompiledZone[] }
  | {
      type: 'zones-slice';
      generation: number;
      zone: number;
      records: CompiledZone['records'];
      routed: CompiledZone['routed'];
    }
  | { type: 'zones-end'; generation: number };

export function* sliceZones(zones: readonly CompiledZone[], generation: number): Generator<ZoneSlice> {
  yield { type: 'zones-begin', generation, headers: zones.map((z) => ({ ...z, records: [], routed: [] })) };
  for (const [index, zone] of zones.entries()) {
    for (let i = 0; i < zone.records.length; i += SLICE_SIZE) {
      yield {
        type: 'zones-slice',
        generation,
        zone: index,
        records: zone.records.slice(i, i + SLICE_SIZE),
        routed: [],
      };
    }
    for (let i = 0; i < zone.routed.length; i += SLICE_SIZE) {
      yield { type: 'zones-slice', generation, zone: index, records: [], routed: zone.routed.slice(i, i + SLICE_SIZE) };
    }
  }
  yield { type: 'zones-end', generation };
}

/**
 * A slice as it crosses to a worker thread: records and routed names as JSON text. For these plain documents,
 * JSON.stringify + JSON.parse cost about half of postMessage's structured clone, and a string crosses threads as
 * one copy.
 */
export type PostedZoneSlice =
  | Exclude<ZoneSlice, { type: 'zones-slice' }>
  | { type: 'zones-slice-json'; generation: number; zone: number; json: string };

export function toPosted(slice: ZoneSlice): PostedZoneSlice {
  if (slice.type !== 'zones-slice') return slice;
  const { generation, zone, records, routed } = slice;
  return { type: 'zones-slice-json', generation, zone, json: JSON.stringify({ records, routed }) };
}

export function fromPosted(posted: PostedZoneSlice): ZoneSlice {
  if (posted.type !== 'zones-slice-json') return posted;
  const { records, routed } = JSON.parse(posted.json) as Pick<CompiledZone, 'records' | 'routed'>;
  return { type: 'zones-slice', generation: posted.generation, zone: posted.zone, records, routed };
}

/** The receiving side: indexes slices as they come; a newer generation abandons an unfinished older one. */
export class ZoneAssembler {
  #generation = -1;
  #builders: ZoneBuilder[] = [];

  /** Returns the finished snapshot (and the documents) when `slice` completes a generation. */
  accept(slice: ZoneSlice): { snapshot: ZoneSnapshot; zones: CompiledZone[] } | undefined {
    if (slice.type === 'zones-begin') {
      this.#generation = slice.generation;
      this.#builders = slice.headers.map((header) => new ZoneBuilder(header));
      return undefined;
    }
    if (slice.generation !== this.#generation) return undefined;
    if (slice.type === 'zones-slice') {
      const builder = this.#builders[slice.zone];
      builder?.addRecords(slice.records).addRouted(slice.routed);
      return undefined;
    }
    const indexes = this.#builders.map((b) => b.finish());
    this.#builders = [];
    this.#generation = -1;
    return { snapshot: snapshotOf(indexes), zones: indexes.map((i) => i.compiled) };
  }
}
