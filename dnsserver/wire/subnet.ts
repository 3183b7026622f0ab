// The EDNS Client Subnet option of a query (RFC 7871), read in place: the address stays in the query's bytes, and
// its text is only made when something asks for it (explanations, logs), not for every query.
import { addressToText } from './address.ts';
import { copyBytes } from './bytes.ts';
import type { ClientSubnet } from './types.ts';

export class WireClientSubnet implements ClientSubnet {
  readonly family: 1 | 2;
  readonly sourcePrefix: number;
  readonly scopePrefix: number;
  readonly #message: Buffer;
  /** Offset of the option data (family, prefixes, address) in the message, and its length. */
  readonly #start: number;
  readonly #length: number;
  #address: string | undefined;

  /** `start`..`end` is option data already checked by the parser (family, prefixes, address length, host bits). */
  constructor(message: Buffer, start: number, end: number) {
    this.#message = message;
    this.#start = start;
    this.#length = end - start;
    this.family = message.readUInt16BE(start) === 1 ? 1 : 2;
    this.sourcePrefix = message[start + 2] as number;
    this.scopePrefix = message[start + 3] as number;
  }

  get address(): string {
    return (this.#address ??= addressToText(this.family, this.#message, this.#start + 4, this.#length - 4));
  }

  addressByte(index: number): number {
    return index < this.#length - 4 ? (this.#message[this.#start + 4 + index] as number) : 0;
  }

  get length(): number {
    return this.#length;
  }

  writeTo(out: Buffer, pos: number): number {
    return copyBytes(this.#message, this.#start, this.#start + this.#length, out, pos);
  }
}
