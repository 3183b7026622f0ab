import { describe, expect, it } from 'vitest';
import {
  ResponseRateLimiter,
  RRL_DEFAULTS,
  VERDICT,
  type LimitEvent,
  type RrlSettings,
  type Verdict,
} from '../../../../dnsserver/rrl/limiter.ts';
import { RCODE } from '../../../../dnsserver/wire/types.ts';

const ZONE = 'geo.example.com';

function setup(settings: Partial<RrlSettings> = {}, validCookie?: (cookie: Buffer, address: string) => boolean) {
  const clock = { now: 1_000 };
  const events: LimitEvent[] = [];
  const limiter = new ResponseRateLimiter(
    { ...RRL_DEFAULTS, rate: 10, ...settings },
    { now: () => clock.now, onLimit: (e) => events.push(e), ...(validCookie ? { validCookie } : {}) },
  );
  /** An answer (NOERROR, AA) for `qname` A to `address`. */
  const answer = (address: string, qname = `www.${ZONE}`, qtype = 1, cookie?: Buffer): Verdict =>
    limiter.check(address, RCODE.NOERROR, true, qname, qtype, ZONE, cookie);
  const tally = (verdicts: Verdict[]) => ({
    sent: verdicts.filter((v) => v === VERDICT.SEND).length,
    slipped: verdicts.filter((v) => v === VERDICT.SLIP).length,
    dropped: verdicts.filter((v) => v === VERDICT.DROP).length,
  });
  const flood = (count: number, ask: () => Verdict) => tally(Array.from({ length: count }, ask));
  return { clock, events, limiter, answer, flood };
}

describe('ResponseRateLimiter', () => {
  it('cuts a flood from one /24 to the rate, and sends every second limited response truncated (slip 2)', () => {
    const { answer, flood } = setup();
    expect(flood(100, () => answer('192.0.2.1'))).toEqual({ sent: 10, slipped: 45, dropped: 45 });
    // Any address of the same /24 shares the bucket; another /24 has its own.
    expect(answer('192.0.2.200')).not.toBe(VERDICT.SEND);
    expect(flood(10, () => answer('192.0.3.1'))).toEqual({ sent: 10, slipped: 0, dropped: 0 });
  });

  it('refills at the rate, and a flooded bucket stays limited for the window once the flood stops', () => {
    const { clock, answer, flood } = setup({ windowSeconds: 5 });
    flood(100, () => answer('192.0.2.1')); // 10 sent, then 90 in debt, capped at 5 s of rate: -50
    clock.now += 1000;
    expect(answer('192.0.2.1')).not.toBe(VERDICT.SEND);
    clock.now += 6000;
    expect(flood(12, () => answer('192.0.2.1')).sent).toBe(10);
    // Under the limit, nothing is ever held back.
    const { clock: steady, answer: ask } = setup();
    for (let i = 0; i < 1000; i++, steady.now += 100) expect(ask('198.51.100.7')).toBe(VERDICT.SEND);
  });

  it('keys answers by name and type, NXDOMAIN and referrals by zone, errors by the network alone', () => {
    const { limiter, answer, flood } = setup({ rate: 2, slip: 0 });
    const a = '203.0.113.9';
    expect(flood(3, () => answer(a, `www.${ZONE}`, 1)).sent).toBe(2);
    expect(flood(3, () => answer(a, `www.${ZONE}`, 28)).sent).toBe(2);
    expect(flood(3, () => answer(a, `mail.${ZONE}`, 1)).sent).toBe(2);
    let n = 0;
    const nxdomain = () => limiter.check(a, RCODE.NXDOMAIN, true, `r${n++}.${ZONE}`, 1, ZONE, undefined);
    expect(flood(5, nxdomain).sent).toBe(2);
    expect(limiter.check(a, RCODE.NXDOMAIN, true, `x.other.example`, 1, 'other.example', undefined)).toBe(0);
    const referral = () => limiter.check(a, RCODE.NOERROR, false, `h${n++}.lab.${ZONE}`, 1, ZONE, undefined);
    expect(flood(5, referral).sent).toBe(2);
    const errors = [RCODE.REFUSED, RCODE.FORMERR, RCODE.SERVFAIL, RCODE.NOTIMP, 16];
    const error = () => limiter.check(a, errors[n++ % errors.length]!, false, `q${n}.example.org`, n, null, undefined);
    expect(flood(5, error)).toEqual({ sent: 2, slipped: 0, dropped: 3 });
    // A bare NOERROR outside any zone (the reply to a cookie-only query) counts with the errors.
    expect(limiter.check(a, RCODE.NOERROR, false, '', 0, null, undefined)).toBe(VERDICT.DROP);
  });

  it('drops every limited response with slip 0, truncates every one with slip 1', () => {
    const none = setup({ slip: 0 });
    expect(none.flood(30, () => none.answer('192.0.2.1'))).toEqual({ sent: 10, slipped: 0, dropped: 20 });
    const all = setup({ slip: 1 });
    expect(all.flood(30, () => all.answer('192.0.2.1'))).toEqual({ sent: 10, slipped: 20, dropped: 0 });
  });

  it('uses the configured prefix lengths, IPv6 /56 by default, and reads IPv4-mapped IPv6 as IPv4', () => {
    const v4 = setup({ ipv4Prefix: 16, slip: 0 });
    v4.flood(10, () => v4.answer('10.1.2.3'));
    expect(v4.answer('10.1.200.1')).toBe(VERDICT.DROP);
    expect(v4.answer('::ffff:10.1.9.9')).toBe(VERDICT.DROP);
    expect(v4.answer('10.2.0.1')).toBe(VERDICT.SEND);
    const v6 = setup({ slip: 0 });
    v6.flood(10, () => v6.answer('2001:db8:0:100::1'));
    expect(v6.answer('2001:db8:0:1ff:ffff::9')).toBe(VERDICT.DROP); // same /56
    expect(v6.answer('2001:db8:0:200::1')).toBe(VERDICT.SEND);
  });

  it('never limits exempt networks (IPv4 and IPv6, mapped addresses too)', () => {
    const { flood, answer } = setup({ exempt: ['192.0.2.0/25', '2001:db8::/32', '127.0.0.1'] });
    expect(flood(100, () => answer('192.0.2.100')).sent).toBe(100);
    expect(flood(100, () => answer('::ffff:192.0.2.5')).sent).toBe(100);
    expect(flood(100, () => answer('2001:db8:ffff::1')).sent).toBe(100);
    expect(flood(100, () => answer('127.0.0.1')).sent).toBe(100);
    expect(flood(100, () => answer('192.0.2.200')).sent).toBe(10);
    expect(() => setup({ exempt: ['300.1.1.0/24'] })).toThrow(/300\.1\.1\.0/);
  });

  it('answers a client over the limit that presents a valid server cookie; not one whose cookie is wrong', () => {
    const good = Buffer.alloc(24, 1);
    const checked: string[] = [];
    const { answer, flood } = setup({ slip: 0 }, (cookie, address) => {
      checked.push(address);
      return cookie.equals(good);
    });
    flood(10, () => answer('192.0.2.1'));
    expect(checked).toEqual([]); // within the limit the cookie is not even looked at
    expect(flood(50, () => answer('192.0.2.1', `www.${ZONE}`, 1, good)).sent).toBe(50);
    expect(answer('192.0.2.1', `www.${ZONE}`, 1, Buffer.alloc(24, 2))).toBe(VERDICT.DROP);
    expect(answer('192.0.2.1')).toBe(VERDICT.DROP);
    expect(checked.at(-1)).toBe('192.0.2.1');
  });

  it('reports the first limited response of each episode, and counts limited and slipped by class', () => {
    const { clock, events, limiter, answer, flood } = setup();
    flood(50, () => answer('192.0.2.1'));
    flood(50, () => answer('2001:db8::1'));
    expect(events).toEqual([
      { network: '192.0.2.0/24', class: 'answer', name: `www.${ZONE}`, qtype: 1 },
      { network: '2001:db8::/56', class: 'answer', name: `www.${ZONE}`, qtype: 1 },
    ]);
    expect(limiter.takeCounts()).toEqual([{ class: 'answer', limited: 80, slipped: 40 }]);
    expect(limiter.takeCounts()).toEqual([]);
    clock.now += 60_000; // quiet: the bucket fills up, the episode ends
    flood(50, () => answer('192.0.2.1'));
    expect(events).toHaveLength(3);
  });

  it('stays within its table with a million distinct source networks, and keeps limiting the flooder', () => {
    const tableSize = 4096;
    const { limiter, answer, clock } = setup({ tableSize, slip: 0 });
    for (let i = 0; i < 20; i++) answer('198.51.100.1');
    const before = process.memoryUsage().arrayBuffers;
    let flooderSent = 0;
    let othersSent = 0;
    let most = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (answer(`${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}.1`) === VERDICT.SEND) othersSent++;
      if (i % 100 === 0) {
        clock.now += 1; // 10 ms of flood per 1,000 random sources: the flooder asks at 10 times the rate
        if (answer('198.51.100.1') === VERDICT.SEND) flooderSent++;
      }
      most = Math.max(most, limiter.buckets);
    }
    expect(most).toBe(tableSize);
    expect(othersSent).toBe(1_000_000);
    // 10,000 flooder queries over 10 s at a rate of 10 a second: about 100 answered, not 10,000.
    expect(flooderSent).toBeLessThan(150);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });
});
