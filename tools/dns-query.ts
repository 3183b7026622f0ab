// One-question DNS query packets for tests that talk to the handler or a server, built with dns-packet.
import dnsPacket, { type Answer, type OptAnswer, type PacketOpt } from 'dns-packet';

export interface QueryOptions {
  id?: number;
  type?: string;
  klass?: string;
  /** Header flags; recursion desired unless told. */
  flags?: number;
  /** Adds an OPT record with an EDNS Client Subnet option. */
  ecs?: { ip: string; prefix: number };
  /** Adds an OPT record (implied by every option below). */
  edns?: boolean;
  /** Adds an OPT record with a COOKIE option carrying these bytes (a client cookie is 8). */
  cookie?: Buffer;
  /** The OPT record's UDP payload size (1232 unless told). */
  udpSize?: number;
  /** The OPT record's DO bit (DNSSEC OK). */
  do?: boolean;
  /** The OPT record's EDNS version (0 unless told). */
  ednsVersion?: number;
  /** More EDNS options, after ECS and COOKIE: any code, well-formed or not (rawOption). */
  options?: PacketOpt[];
}

/** A raw EDNS option (code, data): dns-packet encodes any, but its types list only a few codes. */
export function rawOption(code: number, data: Buffer): PacketOpt {
  return { code, data } as unknown as PacketOpt;
}

export function query(name: string, options: QueryOptions = {}): Buffer {
  const additionals: Answer[] = [];
  const withOpt =
    options.ecs ||
    options.edns ||
    options.cookie ||
    options.udpSize !== undefined ||
    options.do ||
    options.ednsVersion !== undefined ||
    options.options;
  if (withOpt) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: options.udpSize ?? 1232,
      extendedRcode: 0,
      ednsVersion: options.ednsVersion ?? 0,
      flags: options.do ? dnsPacket.DNSSEC_OK : 0,
      flag_do: options.do ?? false,
      options: [
        ...(options.ecs
          ? [
              {
                code: 8 as const,
                family: options.ecs.ip.includes(':') ? 2 : 1,
                sourcePrefixLength: options.ecs.prefix,
                scopePrefixLength: 0,
                ip: options.ecs.ip,
              },
            ]
          : []),
        ...(options.cookie ? [rawOption(10, options.cookie)] : []),
        ...(options.options ?? []),
      ],
    } satisfies OptAnswer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: options.id ?? 4242,
    flags: options.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: (options.type ?? 'A') as 'A', class: (options.klass ?? 'IN') as 'IN' }],
    additionals,
  });
}
