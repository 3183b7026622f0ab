import { describe, expect, it } from 'vitest';
import { CompiledZoneSchema } from '../../../../api/compiled.ts';
import { compile, serializeCompiledZone, type CompileInput } from '../../../../operator/compile/index.ts';
import { Ajv } from 'ajv';
import { endpoint, input, probe, target, zone } from '../../../support/resources.ts';

function richInput(): CompileInput {
  return input({
    zones: [
      zone('geo', {
        nameServers: [
          { name: 'ns1.geo.example.com', addresses: ['192.0.2.53', '2001:db8::53'] },
          { name: 'ns2.example.net' },
        ],
        records: [
          { name: 'mail', type: 'A', values: ['192.0.2.25', '192.0.2.24'] },
          { name: '@', type: 'MX', values: ['20 mail2', '10 mail'] },
          { name: '@', type: 'TXT', values: ['"b" "a"', 'z'] },
        ],
        networks: [
          { cidr: '10.2.0.0/16', location: { region: 'dc-b' } },
          { cidr: '10.1.0.0/16', location: { region: 'dc-a' } },
        ],
      }),
      zone('other', { apex: 'other.example.org' }),
    ],
    endpoints: [
      endpoint('b', 'www', { targets: [target('z', { addresses: ['2001:db8::1', '192.0.2.9'] }), target('a')] }),
      endpoint('a', 'api', {
        targets: [target('x', { healthProbeRef: { name: 'p' } }), target('y', { service: { name: 's' } })],
      }),
      endpoint('a', 'shop', { zoneRef: { name: 'other' }, hostname: 'shop.other.example.org' }),
    ],
    probes: [probe('a', 'p'), probe('b', 'q')],
    services: [
      { namespace: 'a', name: 's', addresses: ['198.51.100.2', '198.51.100.1'], ready: true },
      { namespace: 'b', name: 's', addresses: ['198.51.100.3'], ready: false },
    ],
    namespaces: [
      { name: 'a', labels: { x: '1' } },
      { name: 'b', labels: {} },
    ],
  });
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  // Deterministic permutation so a failure is reproducible.
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('determinism', () => {
  it('gives byte-identical documents and the same results for shuffled input arrays', () => {
    const base = richInput();
    const reference = compile(base);
    const referenceBytes = reference.zones.map(serializeCompiledZone);
    expect(referenceBytes).toHaveLength(2);
    for (const seed of [1, 2, 3, 4, 5]) {
      const other = compile({
        ...base,
        zones: shuffled(base.zones, seed),
        endpoints: shuffled(base.endpoints, seed + 1),
        probes: shuffled(base.probes, seed + 2),
        services: shuffled(base.services, seed + 3),
        namespaces: shuffled(base.namespaces, seed + 4),
      } as CompileInput);
      expect(other.zones.map(serializeCompiledZone)).toEqual(referenceBytes);
      expect(other.results).toEqual(reference.results);
    }
  });

  it('serializes canonically: sorted keys, no blanks, newline at the end', () => {
    const text = serializeCompiledZone(compile(richInput()).zones[0]!);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{"contentHash":"')).toBe(true);
    expect(text).not.toMatch(/\n./);
  });

  it('produces documents that match CompiledZoneSchema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(CompiledZoneSchema);
    for (const d of compile(richInput()).zones) {
      validate(d);
      expect(validate.errors ?? []).toEqual([]);
    }
  });
});
