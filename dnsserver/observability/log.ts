// The sampled query log; JSON logs themselves come from lib/log.ts.
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import type { QueryEvent } from '../handler.ts';
import type { ClientLocation } from '../geoip/types.ts';
import type { ClientInfo } from '../wire/types.ts';
import { qtypeLabel, rcodeLabel } from './metrics.ts';

export {
  createLogger,
  LOG_LEVEL_ENV,
  LOG_LEVELS,
  parseLogLevel,
  type LoggerOptions,
  type LogLevel,
} from '../../lib/log.ts';

/** Parses --query-log-sample: a fraction from 0 (off) to 1 (every query). */
export function parseSampleRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error(`--query-log-sample: expected a number from 0 to 1, got "${text}"`);
  }
  return rate;
}

/** Where the server placed the client: the location's parts, what knew them, and the prefix they hold for. */
export interface PlacementEntry {
  continent?: string;
  country?: string;
  subdivision?: string;
  region?: string;
  latitude?: number;
  longitude?: number;
  /** A zone's custom network, the GeoIP database, or neither. */
  source: ClientLocation['source'];
  network?: string;
  prefix: number;
}

export interface QueryLogEntry {
  client: string;
  qname: string;
  qtype: string;
  rcode: string;
  policy?: string;
  /** The first target answered (routed names); `targets` has them all. */
  target?: string;
  targets?: string[];
  /** The region that answered (regional policy). */
  region?: string;
  durationMs: number;
  transport?: string;
  /** The ECS subnet the query carried. */
  ecs?: string;
  /** What placed the client: the ECS subnet or the packet's source address. */
  placedBy?: 'ecs' | 'address';
  /** Routed names: where the client was placed. */
  location?: PlacementEntry;
  /** The A and AAAA addresses in the answer section as sent. */
  answers?: string[];
  /** The ECS scope prefix returned. */
  scope?: number;
  /** The response was not sent (response rate limiting dropped it). */
  dropped?: true;
}

function placement(location: ClientLocation): PlacementEntry {
  const { continent, country, subdivision, region, latitude, longitude, network } = location;
  return {
    ...(continent !== undefined ? { continent } : {}),
    ...(country !== undefined ? { country } : {}),
    ...(subdivision !== undefined ? { subdivision } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(latitude !== undefined && longitude !== undefined ? { latitude, longitude } : {}),
    source: location.source,
    ...(network !== undefined ? { network } : {}),
    prefix: location.prefixLength,
  };
}

/** What the response as sent answered: its A/AAAA addresses and ECS scope; nothing when it does not decode. */
function sent(response: Buffer): Pick<QueryLogEntry, 'answers' | 'scope'> {
  let decoded: dnsPacket.Packet;
  try {
    decoded = dnsPacket.decode(response);
  } catch {
    return {};
  }
  const answers: string[] = [];
  for (const record of decoded.answers ?? []) {
    if (record.type === 'A' || record.type === 'AAAA') answers.push(record.data);
  }
  let scope: number | undefined;
  for (const record of decoded.additionals ?? []) {
    if (record.type !== 'OPT') continue;
    for (const option of record.options) {
      if (option.code === 8 && 'scopePrefixLength' in option) scope = option.scopePrefixLength;
    }
  }
  return { answers, ...(scope !== undefined ? { scope } : {}) };
}

/** The query log's line for one answered query: built only for the queries the sample picks. */
export function queryLogEntry(
  event: QueryEvent,
  client: ClientInfo,
  response: Buffer | null,
  durationMs: number,
): QueryLogEntry {
  const detail = event.detail;
  const decisions = detail?.decisions ?? [];
  const targets = decisions.flatMap((d) => d.targets);
  const region = decisions.find((d) => d.region !== undefined)?.region;
  return {
    client: client.address,
    transport: client.transport,
    qname: event.qname,
    qtype: qtypeLabel(event.qtype),
    rcode: rcodeLabel(event.rcode),
    ...(detail?.subnet !== undefined ? { ecs: detail.subnet } : event.ecs ? { ecs: 'yes' } : {}),
    ...(detail ? { placedBy: detail.placedBy } : {}),
    ...(detail?.location ? { location: placement(detail.location) } : {}),
    ...(event.policy !== undefined ? { policy: event.policy } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(event.target !== undefined ? { target: event.target } : {}),
    ...(targets.length > 0 ? { targets } : {}),
    ...(response ? sent(response) : { dropped: true as const }),
    durationMs,
  };
}

/** Logs a random fraction of queries at info level with msg "query". */
export class QueryLog {
  readonly #logger: Logger;
  readonly #rate: number;
  readonly #random: () => number;

  constructor(logger: Logger, rate: number, random: () => number = Math.random) {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`query log sample rate must be from 0 to 1, got ${rate}`);
    this.#logger = logger;
    this.#rate = rate;
    this.#random = random;
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  log(entry: QueryLogEntry): void {
    if (this.#rate === 0 || this.#random() >= this.#rate) return;
    this.#logger.info(entry, 'query');
  }

  /** Logs an answered query if the sample picks it; the line is built only then. */
  logQuery(event: QueryEvent, client: ClientInfo, response: Buffer | null, durationMs: number): void {
    if (this.#rate === 0 || this.#random() >= this.#rate) return;
    this.#logger.info(queryLogEntry(event, client, response, durationMs), 'query');
  }
}
