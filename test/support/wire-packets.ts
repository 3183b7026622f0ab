// Wire pieces dns-packet cannot build, for the wire tests: headers with any counts, names without validation, OPT
// records and ECS data malformed on purpose. Well-formed queries come from tools/dns-query.ts.

/** An OPT record by hand: owner, udp size, version, flags, option bytes. */
export function optRecord(
  options: { owner?: Buffer; udpSize?: number; version?: number; rdata?: Buffer } = {},
): Buffer {
  const rdata = options.rdata ?? Buffer.alloc(0);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(41, 0);
  fixed.writeUInt16BE(options.udpSize ?? 1232, 2);
  fixed[5] = options.version ?? 0;
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([options.owner ?? Buffer.from([0]), fixed, rdata]);
}

/** A header with the given counts and flags. */
export function header(counts: {
  qd?: number;
  an?: number;
  ns?: number;
  ar?: number;
  flags?: number;
  id?: number;
}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(counts.id ?? 0x1234, 0);
  h.writeUInt16BE(counts.flags ?? 0x0100, 2);
  h.writeUInt16BE(counts.qd ?? 1, 4);
  h.writeUInt16BE(counts.an ?? 0, 6);
  h.writeUInt16BE(counts.ns ?? 0, 8);
  h.writeUInt16BE(counts.ar ?? 0, 10);
  return h;
}

/** Wire name from labels (no validation, so tests can build bad names). */
export function wireName(...labels: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = typeof label === 'string' ? Buffer.from(label, 'latin1') : label;
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const TYPE_A_CLASS_IN = Buffer.from([0, 1, 0, 1]);

export function ecsData(family: number, source: number, scope: number, address: number[]): Buffer {
  return Buffer.from([family >> 8, family & 0xff, source, scope, ...address]);
}
