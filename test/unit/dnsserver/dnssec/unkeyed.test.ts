// A zone whose document says it is signed is never answered unsigned: with no key for it the handler answers every
// query of it SERVFAIL with EDE 14 (Not Ready), whether or not the query has DO; once keys arrive it answers as
// any signed zone, and a query without DO gets the bytes an unmarked zone gives.
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { describeUnkeyed, unkeyedZones } from '../../../../dnsserver/dnssec/unkeyed.ts';
import { generateSigningKey, keyTag } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM } from '../../../../lib/dnssec/types.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { exampleZone } from '../../../support/documents.ts';

const client: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'udp' };
const DO = 0x8000;

function ask(name: string, type: string, dnssecOk: boolean): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 9,
    flags: 0,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnssecOk ? DO : 0 } as dnsPacket.OptAnswer],
  });
}

/** The rcode, the EDE info codes (RFC 8914, option 15) and the answer types of a response. */
function read(wire: Buffer | null) {
  expect(wire).not.toBeNull();
  const message = dnsPacket.decode(wire!);
  const rcode = (wire!.readUInt16BE(2) & 0x0f) === 2 ? 'SERVFAIL' : String(wire!.readUInt16BE(2) & 0x0f);
  const opt = message.additionals?.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const options = (opt?.options ?? []) as unknown as { code: number; data?: Buffer }[];
  const ede = options.filter((o) => o.code === 15).map((o) => (o.data ?? Buffer.alloc(2)).readUInt16BE(0));
  return { rcode, ede, answers: (message.answers ?? []).map((a) => a.type) };
}

describe('a zone marked signed without its keys', () => {
  const key = generateSigningKey('geo.example', ALGORITHM.ECDSAP256SHA256);
  const tag = keyTag(key.dnskey);
  const marked = exampleZone({ dnssec: { keyTags: [tag] } });

  it('is answered SERVFAIL with EDE 14, with and without DO, and apart from every other zone', () => {
    const state = new ServerState({ zones: [marked] });
    expect([...state.unkeyed]).toEqual(['geo.example']);
    const handler = createHandler(state, { random: () => 0 });
    for (const [name, type] of [
      ['geo.example', 'SOA'],
      ['geo.example', 'DNSKEY'],
      ['www.geo.example', 'A'],
      ['nothing-here.geo.example', 'A'],
    ] as const) {
      for (const dnssecOk of [true, false]) {
        expect(read(handler(ask(name, type, dnssecOk), client)), `${name} ${type} DO=${dnssecOk}`).toEqual({
          rcode: 'SERVFAIL',
          ede: [14],
          answers: [],
        });
      }
    }
    // Out of every zone: refused as before, not SERVFAIL.
    expect(read(handler(ask('example.org', 'A', true), client)).rcode).toBe('5');
  });

  it('is answered, and signed for DO, once a key arrives; without DO the bytes of an unmarked zone', () => {
    const state = new ServerState({ zones: [marked] });
    const handler = createHandler(state, { random: () => 0 });
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [key])]]));
    expect(state.unkeyed.size).toBe(0);
    const signed = read(handler(ask('geo.example', 'SOA', true), client));
    expect(signed.rcode).toBe('0');
    expect(signed.answers).toEqual(expect.arrayContaining(['SOA', 'RRSIG']));

    const unmarked = createHandler(new ServerState({ zones: [exampleZone()] }), { random: () => 0 });
    for (const [name, type] of [
      ['geo.example', 'SOA'],
      ['geo.example', 'NS'],
      ['nothing-here.geo.example', 'A'],
    ] as const) {
      const query = ask(name, type, false);
      expect(handler(query, client), `${name} ${type}`).toEqual(unmarked(query, client));
    }
  });

  it('turns unkeyed again when the zones change and the keys do not cover the new mark', () => {
    const state = new ServerState({ zones: [exampleZone()] });
    expect(state.unkeyed.size).toBe(0);
    state.setZones([marked]);
    expect([...state.unkeyed]).toEqual(['geo.example']);
    state.setSigners(new Map([['geo.example', new ZoneSigner('geo.example', [key])]]));
    state.setZones([marked]);
    expect(state.unkeyed.size).toBe(0);
  });
});

describe('unkeyedZones', () => {
  it('names each marked zone without a key, sorted, with the key tags its document names', () => {
    const zones = [
      { zone: 'b.example', dnssec: { keyTags: [2, 7] } },
      { zone: 'a.example', dnssec: { keyTags: [1] } },
      { zone: 'plain.example' },
      { zone: 'keyed.example', dnssec: { keyTags: [3] } },
    ];
    const unkeyed = unkeyedZones(zones, (zone) => zone === 'keyed.example');
    expect(unkeyed).toEqual([
      { zone: 'a.example', keyTags: [1] },
      { zone: 'b.example', keyTags: [2, 7] },
    ]);
    expect(describeUnkeyed(unkeyed)).toBe(
      'a.example is signed (key tags 1) but no key for it is here; b.example is signed (key tags 2, 7) but no key for it is here',
    );
  });
});
