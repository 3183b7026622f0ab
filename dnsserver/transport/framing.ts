// RFC 1035 4.2.2 / RFC 7766 TCP framing: each message is preceded by its length as two bytes. Chunks may split the
// prefix and the message anywhere, and one chunk may hold several messages (pipelining). No I/O here.

const HEADER_LENGTH = 12;

export class LengthPrefixedReader {
  #pending: Buffer | null = null;
  readonly #maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.#maxMessageSize = maxMessageSize;
  }

  /** Bytes held back while waiting for the rest of a message. */
  get buffered(): number {
    return this.#pending ? this.#pending.length : 0;
  }

  /**
   * Feeds a chunk; calls onMessage for every complete message (a view into the received bytes). Returns the reason
   * when the stream is broken (a length that cannot hold a DNS message, or above the limit); the caller then closes
   * the connection.
   */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): string | undefined {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = null;
    let pos = 0;
    while (data.length - pos >= 2) {
      const length = data.readUInt16BE(pos);
      if (length < HEADER_LENGTH) return `length prefix ${length} at stream byte ${pos} is too short for a DNS message`;
      if (length > this.#maxMessageSize) return `length prefix ${length} is above the limit of ${this.#maxMessageSize}`;
      if (data.length - pos - 2 < length) break;
      onMessage(data.subarray(pos + 2, pos + 2 + length));
      pos += 2 + length;
    }
    if (pos < data.length) this.#pending = data.subarray(pos);
    return undefined;
  }
}

/** A message with its two-byte length prefix, ready to write. */
export function frame(message: Buffer): Buffer {
  if (message.length > 0xffff) throw new Error(`response of ${message.length} bytes does not fit a TCP frame`);
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}
