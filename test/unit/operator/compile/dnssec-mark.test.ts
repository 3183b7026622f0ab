// The `dnssec` mark of a compiled zone: written from the operator's key plan (CompileInput.signed), or without the
// operator from spec.dnssec.enabled, so that a DNS pod without the keys refuses to answer the zone unsigned; absent for an unsigned zone, whose document stays byte for
// byte what it was; a change of keys is a change of content (a new serial).
import { describe, expect, it } from 'vitest';
import { compile, serializeCompiledZone } from '../../../../operator/compile/index.ts';
import { CompiledZoneSchema } from '../../../../api/compiled.ts';
import { Value } from '@sinclair/typebox/value';
import { NOW, input, zone } from '../../../support/resources.ts';
import { doc } from '../../../support/compile-output.ts';

const later = new Date(NOW.getTime() + 60_000);

describe('the dnssec mark of a compiled zone', () => {
  it('names the key tags of a signed zone, sorted and once each, in a document the schema accepts', () => {
    const signed = doc(compile(input({ signed: { 'geo.example.com': [40052, 7, 40052] } })));
    expect(signed.dnssec).toEqual({ keyTags: [7, 40052] });
    expect(Value.Check(CompiledZoneSchema, signed)).toBe(true);
    expect(serializeCompiledZone(signed)).toContain('"dnssec":{"keyTags":[7,40052]}');
  });

  it('is absent for a zone not in the plan, or with no key: the document is the one compiled without a plan', () => {
    const without = serializeCompiledZone(doc(compile(input())));
    expect(without).not.toContain('dnssec');
    for (const signed of [{ 'other.example.com': [1] }, { 'geo.example.com': [] }] as Record<string, number[]>[]) {
      expect(serializeCompiledZone(doc(compile(input({ signed }))))).toBe(without);
    }
  });

  it('marks a GeoZone with spec.dnssec.enabled signed by any key when compiled without the operator, and only it', () => {
    const zones = (enabled: boolean) => [zone('geo', { dnssec: { enabled, algorithm: 'ECDSAP256SHA256' } })];
    const standalone = doc(compile(input({ zones: zones(true) })));
    expect(standalone.dnssec).toEqual({ keyTags: [] });
    expect(Value.Check(CompiledZoneSchema, standalone)).toBe(true);
    expect(doc(compile(input({ zones: zones(false) }))).dnssec).toBeUndefined();
    // With the operator its key plan decides: no key there, no mark.
    expect(doc(compile(input({ zones: zones(true), signed: {} }))).dnssec).toBeUndefined();
  });

  it('changes the content hash and the serial when the keys change, and keeps them when they do not', () => {
    const first = doc(compile(input({ signed: { 'geo.example.com': [1] } })));
    const previous = { [first.zone]: { serial: first.serial, contentHash: first.contentHash } };
    const same = doc(compile(input({ signed: { 'geo.example.com': [1] }, previous, now: later })));
    expect(same.serial).toBe(first.serial);
    const rolled = doc(compile(input({ signed: { 'geo.example.com': [1, 2] }, previous, now: later })));
    expect(rolled.contentHash).not.toBe(first.contentHash);
    expect(rolled.serial).toBeGreaterThan(first.serial);
    const unsigned = doc(compile(input({ previous, now: later })));
    expect(unsigned.contentHash).not.toBe(first.contentHash);
  });

  it('says deleteDs for a zone going unsigned (spec.dnssec.unsign with enabled false) while it has keys, and only then', () => {
    const unsign = (enabled: boolean) => [
      zone('geo', { dnssec: { enabled, algorithm: 'ECDSAP256SHA256', unsign: true } }),
    ];
    const going = doc(compile(input({ zones: unsign(false), signed: { 'geo.example.com': [7] } })));
    expect(going.dnssec).toEqual({ keyTags: [7], deleteDs: true });
    expect(Value.Check(CompiledZoneSchema, going)).toBe(true);
    expect(serializeCompiledZone(going)).toContain('"dnssec":{"deleteDs":true,"keyTags":[7]}');
    const kept = doc(compile(input({ signed: { 'geo.example.com': [7] } })));
    expect(going.contentHash).not.toBe(kept.contentHash);
    // unsign beside enabled: true (refused by the CRD's rule; a file may still say it) keeps the normal CDS.
    expect(doc(compile(input({ zones: unsign(true), signed: { 'geo.example.com': [7] } }))).dnssec).toEqual({
      keyTags: [7],
    });
    // Once the keys are gone the zone is unsigned: no mark, nothing to delete.
    expect(doc(compile(input({ zones: unsign(false) }))).dnssec).toBeUndefined();
  });

  it("carries the peers' keys of a signed zone (multi-signer), sorted by cluster, and none for an unsigned zone", () => {
    const key = (cluster: string, c: string) =>
      ({ cluster, flags: 257, algorithm: 13, publicKey: c.repeat(86) + '==' }) as const;
    const publishedKeys = { 'geo.example.com': [key('us', 'B'), key('apac', 'C'), key('us', 'A')] };
    const signed = doc(compile(input({ signed: { 'geo.example.com': [7] }, publishedKeys })));
    expect(signed.dnssec).toEqual({ keyTags: [7], publishedKeys: [key('apac', 'C'), key('us', 'A'), key('us', 'B')] });
    expect(Value.Check(CompiledZoneSchema, signed)).toBe(true);
    const alone = doc(compile(input({ signed: { 'geo.example.com': [7] } })));
    expect(signed.contentHash).not.toBe(alone.contentHash);
    expect(doc(compile(input({ publishedKeys }))).dnssec).toBeUndefined();
  });
});
