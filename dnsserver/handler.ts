// The query handler: wire bytes in, wire bytes out. A short chain of plain steps:
// parse → find zone → look up → (routed: locate client, decide) → encoded body (cached) → response.
import type { ClientLocation } from './geoip/types.ts';
import { decide, type Decision } from './routing/decide.ts';
import { lookup } from './zone/lookup.ts';
import { TYPE, type LookupResult, type ZoneIndex } from './zone/types.ts';
import { buildAnswer } from './answer/sections.ts';
import { routedTag, ServerState } from './answer/state.ts';
import { encodeBody } from './wire/encode.ts';
import { parseQuery } from './wire/parse.ts';
import { buildErrorResponse, buildRcodeResponse, buildResponse } from './wire/respond.ts';
import { RCODE, type ClientInfo, type EncodedBody, type ParsedQuery, type QueryHandler } from './wire/types.ts';

export { ServerState, type ServerStateOptions } from './answer/state.ts';

const CLASS_IN = 1;
const CLASS_ANY = 255;

/** One answered query, for metrics. */
export interface QueryEvent {
  zone: string | null;
  /** Question name, lower case ('' when the query could not be parsed). */
  qname: string;
  qtype: number;
  rcode: number;
  transport: 'udp' | 'tcp';
  policy?: string;
  /** First target id in the answer of a routed name. */
  target?: string;
  /** Whether the query carried EDNS Client Subnet. */
  ecs: boolean;
}

export interface HandlerOptions {
  observe?: (event: QueryEvent) => void;
  /** Randomness for weighted and multivalue (default Math.random). */
  random?: () => number;
  /** Server cookie generator (RFC 7873), passed to the wire layer. */
  serverCookie?: (clientCookie: Buffer) => Buffer;
  /** Called when answering fails unexpectedly (the client gets SERVFAIL). */
  onError?: (error: unknown, query: ParsedQuery) => void;
}

/** The address the answer should be for: the ECS subnet when the resolver sent one, else the packet's source. */
function clientAddress(query: ParsedQuery, client: ClientInfo): string {
  const ecs = query.edns?.ecs;
  return ecs && ecs.sourcePrefix > 0 ? ecs.address : client.address;
}

export function createHandler(state: ServerState, options: HandlerOptions = {}): QueryHandler {
  const random = options.random ?? Math.random;
  const observe = options.observe;
  const serverCookie = options.serverCookie;

  function routedDecisions(zone: ZoneIndex, result: LookupResult, query: ParsedQuery, client: ClientInfo): Decision[] {
    if (result.kind === 'referral') return [];
    let decisions: Decision[] | undefined;
    let location: ClientLocation | undefined;
    for (const part of result.parts) {
      if (part.kind !== 'routed') continue;
      location ??= state.locator(zone).locate(clientAddress(query, client));
      (decisions ??= []).push(
        decide({ routed: part.routed, family: part.family, location, health: state.health.targets, random }),
      );
    }
    return decisions ?? [];
  }

  function answer(message: Buffer, query: ParsedQuery, client: ClientInfo): Buffer {
    const ecs = query.edns?.ecs !== undefined;
    const refuse = (zone: string | null) => {
      observe?.({
        zone,
        qname: query.qname,
        qtype: query.qtype,
        rcode: RCODE.REFUSED,
        transport: client.transport,
        ecs,
      });
      return buildRcodeResponse(message, query, RCODE.REFUSED, client.transport, { serverCookie });
    };
    // Like Knot: classes other than IN (and ANY) are refused, as are zone transfers (not offered).
    if (query.qclass !== CLASS_IN && query.qclass !== CLASS_ANY) return refuse(null);
    const snapshot = state.snapshot;
    const zone = snapshot.findZone(query.qname);
    if (!zone) return refuse(null);
    if (query.qtype === TYPE.AXFR || query.qtype === TYPE.IXFR) return refuse(zone.apex);

    const result = lookup(zone, query.qname, query.qtype);
    const decisions = routedDecisions(zone, result, query, client);
    let key = `${zone.apex}|${zone.serial}|${query.qname}|${query.qtype}`;
    let scope = 0;
    const tags: string[] = [];
    if (decisions.length > 0 && result.kind !== 'referral') {
      for (const decision of decisions) {
        key += `|${decision.key}`;
        if (decision.scopePrefix > scope) scope = decision.scopePrefix;
      }
      for (const part of result.parts) if (part.kind === 'routed') tags.push(routedTag(zone.apex, part.name));
    }
    let body: EncodedBody | undefined = state.cache.get(key);
    if (!body) {
      const built = buildAnswer(zone, result, decisions);
      body = encodeBody(query.qname, built.sections, built.rcode, built.authoritative);
      state.cache.set(key, body, tags);
    }
    if (observe) {
      const decision = decisions[0];
      const routed = result.kind !== 'referral' ? result.parts.find((p) => p.kind === 'routed') : undefined;
      observe({
        zone: zone.apex,
        qname: query.qname,
        qtype: query.qtype,
        rcode: body.rcode,
        transport: client.transport,
        ...(routed?.kind === 'routed' ? { policy: routed.routed.policy } : {}),
        ...(decision?.targets[0] !== undefined ? { target: decision.targets[0] } : {}),
        ecs,
      });
    }
    return buildResponse(message, query, body, { transport: client.transport, ecsScope: scope, serverCookie });
  }

  return (message, client) => {
    const parsed = parseQuery(message);
    if (!parsed.ok) {
      if ('drop' in parsed) return null;
      observe?.({
        zone: null,
        qname: parsed.query?.qname ?? '',
        qtype: parsed.query?.qtype ?? 0,
        rcode: parsed.rcode,
        transport: client.transport,
        ecs: false,
      });
      return buildErrorResponse(message, parsed);
    }
    const query = parsed.query;
    try {
      return answer(message, query, client);
    } catch (error) {
      options.onError?.(error, query);
      observe?.({
        zone: null,
        qname: query.qname,
        qtype: query.qtype,
        rcode: RCODE.SERVFAIL,
        transport: client.transport,
        ecs: false,
      });
      return buildRcodeResponse(message, query, RCODE.SERVFAIL, client.transport);
    }
  };
}
