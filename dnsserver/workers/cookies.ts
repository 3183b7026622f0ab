// DNS server cookies (RFC 7873): a keyed hash of the client cookie and the client's address (§B.2), so a cookie
// learnt at one address is worth nothing from another. That is what lets a valid server cookie prove that a
// query's source address is real, and so exempt it from response rate limiting. The secret is made once per
// process and shared by its worker threads, since the kernel spreads one client's queries over all of them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 16;
const CLIENT_COOKIE_BYTES = 8;
const SERVER_COOKIE_BYTES = 16;

export function newCookieSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES));
}

export class ServerCookies {
  readonly #secret: Uint8Array;

  constructor(secret: Uint8Array) {
    this.#secret = secret;
  }

  /** The server cookie (16 bytes) for an 8-byte client cookie sent from `address`. */
  make(clientCookie: Buffer, address: string): Buffer {
    return createHash('sha256')
      .update(this.#secret)
      .update(clientCookie)
      .update(address)
      .digest()
      .subarray(0, SERVER_COOKIE_BYTES);
  }

  /** Whether a COOKIE option as received (client cookie, then server cookie) holds the one we give `address`. */
  isValid(cookie: Buffer, address: string): boolean {
    if (cookie.length !== CLIENT_COOKIE_BYTES + SERVER_COOKIE_BYTES) return false;
    const expected = this.make(cookie.subarray(0, CLIENT_COOKIE_BYTES), address);
    return timingSafeEqual(expected, cookie.subarray(CLIENT_COOKIE_BYTES));
  }
}
