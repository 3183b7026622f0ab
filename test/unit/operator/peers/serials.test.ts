import { describe, expect, it } from 'vitest';
import { adoptSerials } from '../../../../operator/peers/serials.ts';

const H = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

describe('serials across clusters', () => {
  it('takes the greatest serial of the peers that publish the same content, and nothing else', () => {
    const own = {
      'geo.example.com': { serial: 100, contentHash: H },
      'other.example.com': { serial: 7, contentHash: H },
    };
    expect(
      adoptSerials(own, [
        { zone: 'Geo.Example.com.', serial: 150, contentHash: H },
        { zone: 'geo.example.com', serial: 120, contentHash: H },
        { zone: 'geo.example.com', serial: 900, contentHash: OTHER },
        { zone: 'third.example.com', serial: 999, contentHash: H },
      ]),
    ).toEqual({
      'geo.example.com': { serial: 150, contentHash: H },
      'other.example.com': { serial: 7, contentHash: H },
    });
  });

  it('never lowers a serial, in RFC 1982 arithmetic (a peer just past the wrap is greater)', () => {
    expect(adoptSerials({ z: { serial: 100, contentHash: H } }, [{ zone: 'z', serial: 50, contentHash: H }])).toEqual({
      z: { serial: 100, contentHash: H },
    });
    const nearWrap = { z: { serial: 2 ** 32 - 10, contentHash: H } };
    expect(adoptSerials(nearWrap, [{ zone: 'z', serial: 5, contentHash: H }]).z?.serial).toBe(5);
  });
});
