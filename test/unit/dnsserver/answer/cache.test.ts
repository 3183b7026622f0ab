import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../../../dnsserver/answer/cache.ts';
import type { EncodedBody } from '../../../../dnsserver/wire/types.ts';

const body = (rcode: number): EncodedBody => ({
  rcode,
  authoritative: true,
  ancount: 0,
  nscount: 0,
  arcount: 0,
  main: Buffer.alloc(0),
  additional: Buffer.alloc(0),
  additionalRRsets: [],
});

describe('AnswerCache', () => {
  it('is bounded: the oldest entries leave first', () => {
    const cache = new AnswerCache(2);
    cache.set('a', body(0));
    cache.set('b', body(1));
    cache.set('c', body(2));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.rcode).toBe(2);
  });

  it('drops only entries tagged with invalidated names, and forgets tags of evicted entries', () => {
    const cache = new AnswerCache(10);
    cache.set('www-1', body(0), ['z|www']);
    cache.set('www-2', body(0), ['z|www']);
    cache.set('alias', body(0), ['z|www']);
    cache.set('api', body(0), ['z|api']);
    cache.set('static', body(0));
    expect(cache.invalidate(['z|www', 'z|unknown'])).toBe(3);
    expect(cache.size).toBe(2);
    expect(cache.get('api')).toBeDefined();
    expect(cache.get('static')).toBeDefined();
    // Replacing an entry keeps one copy; invalidating it again finds nothing left.
    cache.set('api', body(3), ['z|api']);
    expect(cache.size).toBe(2);
    expect(cache.invalidate(['z|api'])).toBe(1);
    expect(cache.invalidate(['z|api'])).toBe(0);
  });
});
