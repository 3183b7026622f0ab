import { describe, expect, it } from 'vitest';
import { compile, nextSerial, serialGreater, serializeCompiledZone } from '../../../../operator/compile/index.ts';
import { NOW, NOW_SECONDS, endpoint, input, zone } from '../../../support/resources.ts';
import { doc } from '../../../support/compile-output.ts';

const previousOf = (d: { zone: string; serial: number; contentHash: string }) => ({
  [d.zone]: { serial: d.serial, contentHash: d.contentHash },
});

describe('SOA serial', () => {
  it('seeds from the clock when nothing was published before', () => {
    expect(doc(compile(input())).serial).toBe(NOW_SECONDS);
  });

  it('keeps serial and bytes when the content is unchanged, even at a later time', () => {
    const first = doc(compile(input({ endpoints: [endpoint('team', 'www')] })));
    const later = new Date(NOW.getTime() + 3_600_000);
    const second = doc(
      compile(input({ endpoints: [endpoint('team', 'www')], previous: previousOf(first), now: later })),
    );
    expect(second.serial).toBe(first.serial);
    expect(serializeCompiledZone(second)).toBe(serializeCompiledZone(first));
  });

  it('bumps the serial when the content changes', () => {
    const first = doc(compile(input()));
    const changed = doc(
      compile(
        input({
          endpoints: [endpoint('team', 'www')],
          previous: previousOf(first),
          now: new Date(NOW.getTime() + 10_000),
        }),
      ),
    );
    expect(changed.contentHash).not.toBe(first.contentHash);
    expect(changed.serial).toBe(NOW_SECONDS + 10);
  });

  it('never lowers the serial when the clock is behind the previous serial', () => {
    const previous = { 'geo.example.com': { serial: NOW_SECONDS + 500, contentHash: 'old' } };
    const d = doc(compile(input({ previous, now: new Date(NOW.getTime() - 86_400_000) })));
    expect(d.serial).toBe(NOW_SECONDS + 501);
  });

  it('respects soa.serialFloor, also for unchanged content', () => {
    const soa = {
      hostmaster: 'hostmaster.example.com',
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 3600,
    };
    const floor = NOW_SECONDS + 1_000_000;
    const first = doc(compile(input({ zones: [zone('geo', { soa: { ...soa, serialFloor: floor } })] })));
    expect(first.serial).toBe(floor);
    const unchanged = doc(compile(input({ zones: [zone('geo', { soa })] })));
    const raised = doc(
      compile(
        input({
          zones: [zone('geo', { soa: { ...soa, serialFloor: floor } })],
          previous: previousOf(unchanged),
        }),
      ),
    );
    expect(raised.contentHash).toBe(unchanged.contentHash);
    expect(raised.serial).toBe(floor);
  });

  it('wraps at 2^32 as RFC 1982 allows', () => {
    expect(
      nextSerial({
        contentHash: 'b',
        previous: { serial: 4294967295, contentHash: 'a' },
        serialFloor: undefined,
        now: new Date(0),
      }),
    ).toEqual({ serial: 0 });
    expect(serialGreater(0, 4294967295)).toBe(true);
    expect(serialGreater(5, 4)).toBe(true);
    expect(serialGreater(4, 5)).toBe(false);
    expect(serialGreater(2 ** 31 + 10, 10)).toBe(false);
  });

  it('refuses a floor that RFC 1982 cannot reach in one step and says so', () => {
    const result = nextSerial({
      contentHash: 'b',
      previous: { serial: 10, contentHash: 'a' },
      serialFloor: 2 ** 31 + 100,
      now: new Date(0),
    });
    expect(result.serial).toBe(11);
    expect(result.note).toContain('soa.serialFloor 2147483748 is 2^31 or more ahead of serial 11');
  });
});
