import { describe, expect, it } from 'vitest';
import { newCookieSecret, ServerCookies } from '../../../../dnsserver/workers/cookies.ts';

const client = Buffer.from('0102030405060708', 'hex');

describe('ServerCookies', () => {
  it('makes a 16-byte server cookie bound to the client cookie, the address and the secret', () => {
    const secret = newCookieSecret();
    const cookies = new ServerCookies(secret);
    const cookie = cookies.make(client, '192.0.2.1');
    expect(cookie).toHaveLength(16);
    expect(new ServerCookies(secret).make(client, '192.0.2.1')).toEqual(cookie);
    expect(cookies.make(client, '192.0.2.2')).not.toEqual(cookie);
    expect(cookies.make(Buffer.from('0102030405060709', 'hex'), '192.0.2.1')).not.toEqual(cookie);
    expect(new ServerCookies(newCookieSecret()).make(client, '192.0.2.1')).not.toEqual(cookie);
  });

  it('accepts the server cookie it gave that address, and nothing else', () => {
    const cookies = new ServerCookies(newCookieSecret());
    const option = Buffer.concat([client, cookies.make(client, '2001:db8::1')]);
    expect(cookies.isValid(option, '2001:db8::1')).toBe(true);
    expect(cookies.isValid(option, '2001:db8::2')).toBe(false);
    expect(new ServerCookies(newCookieSecret()).isValid(option, '2001:db8::1')).toBe(false);
    expect(cookies.isValid(client, '2001:db8::1')).toBe(false);
    expect(cookies.isValid(option.subarray(0, 20), '2001:db8::1')).toBe(false);
    const tampered = Buffer.from(option);
    tampered[23] = (tampered[23] as number) ^ 1;
    expect(cookies.isValid(tampered, '2001:db8::1')).toBe(false);
  });
});
