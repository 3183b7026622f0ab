// Zone store: compiled zones indexed for lookups, swapped as whole snapshots.
export { createSnapshot, snapshotOf, type ZoneSnapshot } from './snapshot.ts';
export { buildZone, inZone, ZoneBuilder } from './build.ts';
export { lookup, MAX_CNAME_CHAIN } from './lookup.ts';
export { TYPE, type AnswerPart, type LookupResult, type RRset, type ZoneIndex, type ZoneNode } from './types.ts';
