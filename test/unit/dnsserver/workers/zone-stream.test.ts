import { describe, expect, it } from 'vitest';
import type { CompiledZone } from '../../../../api/compiled.ts';
import {
  fromPosted,
  SLICE_SIZE,
  sliceZones,
  toPosted,
  ZoneAssembler,
  type ZoneSlice,
} from '../../../../dnsserver/workers/zone-stream.ts';
import { buildZone } from '../../../../dnsserver/zone/build.ts';
import { lookup } from '../../../../dnsserver/zone/lookup.ts';
import { TYPE } from '../../../../dnsserver/zone/types.ts';
import { exampleZone } from '../../../support/documents.ts';

/** A zone large enough to need several slices, with names nested so empty non-terminals span slices. */
function largeZone(serial: number): CompiledZone {
  const base = exampleZone({ zone: 'big.example', serial });
  const records = Array.from({ length: SLICE_SIZE * 2 + 17 }, (_, i) => ({
    name: `h${i}.l${i % 7}.big.example`,
    type: 'A' as const,
    ttl: 60,
    data: [`10.0.${(i >> 8) & 255}.${i & 255}`],
  }));
  return { ...base, records, routed: [] };
}

function deliver(assembler: ZoneAssembler, slices: Iterable<ZoneSlice>) {
  let done: ReturnType<ZoneAssembler['accept']>;
  for (const slice of slices) done = assembler.accept(slice) ?? done;
  return done;
}

describe('zone stream', () => {
  it('slices a large zone and rebuilds the same index as building it whole', () => {
    const zone = largeZone(7);
    const slices = [...sliceZones([zone, exampleZone()], 1)];
    expect(slices.filter((s) => s.type === 'zones-slice').length).toBeGreaterThanOrEqual(4);
    for (const slice of slices) {
      if (slice.type === 'zones-slice')
        expect(slice.records.length + slice.routed.length).toBeLessThanOrEqual(SLICE_SIZE);
    }

    const done = deliver(new ZoneAssembler(), slices);
    expect(done).toBeDefined();
    const rebuilt = done?.snapshot.zones.get('big.example');
    const whole = buildZone(zone);
    expect(rebuilt?.serial).toBe(7);
    expect(rebuilt?.nodes.size).toBe(whole.nodes.size);
    expect([...(rebuilt?.emptyNonTerminals ?? [])].sort()).toEqual([...whole.emptyNonTerminals].sort());
    expect(rebuilt?.compiled.records).toEqual(zone.records);
    // Empty non-terminal, existing name and missing name answer alike.
    for (const [name, type] of [
      ['l3.big.example', TYPE.A],
      [`h${SLICE_SIZE + 5}.l${(SLICE_SIZE + 5) % 7}.big.example`, TYPE.A],
      ['nope.big.example', TYPE.A],
    ] as const) {
      if (!rebuilt) throw new Error('zone missing');
      expect(lookup(rebuilt, name, type)).toEqual(lookup(whole, name, type));
    }
    expect(done?.snapshot.findZone('static.geo.example')?.apex).toBe('geo.example');
  });

  it('swaps only at the end, and a newer generation abandons an unfinished older one', () => {
    const assembler = new ZoneAssembler();
    const old = [...sliceZones([largeZone(1)], 1)];
    const fresh = [...sliceZones([largeZone(2)], 2)];
    // The old stream is interrupted half way by the new one; its late slices and end are ignored.
    for (const slice of old.slice(0, 2)) expect(assembler.accept(slice)).toBeUndefined();
    for (const slice of fresh.slice(0, -1)) expect(assembler.accept(slice)).toBeUndefined();
    for (const slice of old.slice(2)) expect(assembler.accept(slice)).toBeUndefined();
    const done = assembler.accept(fresh.at(-1) as ZoneSlice);
    expect(done?.snapshot.zones.get('big.example')?.serial).toBe(2);
    expect(done?.snapshot.zones.get('big.example')?.nodes.size).toBe(buildZone(largeZone(2)).nodes.size);
  });

  it('an empty list of zones is a complete update too', () => {
    const done = deliver(new ZoneAssembler(), sliceZones([], 3));
    expect(done?.snapshot.zones.size).toBe(0);
  });

  it('crosses to a worker as JSON text and comes back equal', () => {
    const slices = [...sliceZones([largeZone(9)], 4)];
    const posted = slices.map(toPosted);
    expect(posted.filter((p) => p.type === 'zones-slice-json').length).toBe(
      slices.filter((s) => s.type === 'zones-slice').length,
    );
    // What postMessage does to it, then back.
    const back = posted.map((p) => fromPosted(structuredClone(p)));
    expect(back).toEqual(slices);
    expect(deliver(new ZoneAssembler(), back)?.snapshot.zones.get('big.example')?.serial).toBe(9);
  });
});
