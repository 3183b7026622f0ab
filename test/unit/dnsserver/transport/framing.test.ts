import { describe, expect, it } from 'vitest';
import { LengthPrefixedReader, frame } from '../../../../dnsserver/transport/framing.ts';

const message = (fill: number, length = 20): Buffer => Buffer.alloc(length, fill);

describe('LengthPrefixedReader', () => {
  it('reassembles messages split at every byte', () => {
    const stream = Buffer.concat([frame(message(1)), frame(message(2, 30))]);
    const reader = new LengthPrefixedReader(65535);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      expect(reader.push(stream.subarray(i, i + 1), (m) => got.push(Buffer.from(m)))).toBeUndefined();
    }
    expect(got).toEqual([message(1), message(2, 30)]);
    expect(reader.buffered).toBe(0);
  });

  it('delivers several messages from one chunk in order, keeping a partial tail', () => {
    const stream = Buffer.concat([frame(message(1)), frame(message(2)), frame(message(3)), frame(message(4))]);
    const reader = new LengthPrefixedReader(65535);
    const got: number[] = [];
    reader.push(stream.subarray(0, stream.length - 5), (m) => got.push(m[0] as number));
    expect(got).toEqual([1, 2, 3]);
    expect(reader.buffered).toBe(17);
    reader.push(stream.subarray(stream.length - 5), (m) => got.push(m[0] as number));
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('reports a zero or too-short length and a length over the limit', () => {
    expect(new LengthPrefixedReader(65535).push(Buffer.from([0, 0]), () => undefined)).toMatch(/length prefix 0/);
    expect(new LengthPrefixedReader(65535).push(Buffer.from([0, 11]), () => undefined)).toMatch(/too short/);
    expect(new LengthPrefixedReader(512).push(Buffer.from([2, 1]), () => undefined)).toMatch(/above the limit of 512/);
  });
});

describe('frame', () => {
  it('prefixes the length', () => {
    expect(frame(Buffer.from([9, 8, 7]))).toEqual(Buffer.from([0, 3, 9, 8, 7]));
  });
  it('refuses messages over 65535 bytes', () => {
    expect(() => frame(Buffer.alloc(70000))).toThrow(/does not fit/);
  });
});
