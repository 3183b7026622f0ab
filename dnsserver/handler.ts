// The query handler: wire bytes in, wire bytes out. A short chain of plain steps:
// parse → find zone → look up → (routed: locate client, decide) → encoded body (cached) → response.
import type { ClientLocation } from './geoip/types.ts';
import type { Locator } from './geoip/locator.ts';
import { decide, type Decision } from './routing/decide.ts';
import { lookup, wildcardAnswering } from './zone/lookup.ts';
import { TYPE } from './zone/types.ts';
import { buildAnswer } from './answer/sections.ts';
import { routedTag, ServerState } from './answer/state.ts';
import { isDeterministic, type Plan, type RoutedAnswer } from './answer/plans.ts';
import { VERDICT, type ResponseRateLimiter, type Verdict } from './rrl/limiter.ts';
import { signedAnswer } from './answer/signed.ts';
import type { ZoneSigner } from './dnssec/signer.ts';
import { SigningBudgetExceeded, type SigningBudget } from './dnssec/budget.ts';
import { RRTYPE } from './dnssec/types.ts';

type RoutedPlan = Extract<Plan, { kind: 'routed' }>;
type FixedPlan = Extract<Plan, { kind: 'fixed' }>;

import { encodeBody } from './wire/encode.ts';
import { parseQuery } from './wire/parse.ts';
import { buildErrorResponse, buildRcodeResponse, buildResponse, type ResponseOptions } from './wire/respond.ts';
import { EDE, RCODE, type ClientInfo, type EdnsInfo, type ParsedQuery, type QueryHandler } from './wire/types.ts';

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
  /**
   * The encoded answer sent: one object for every query answered alike (same zone, type, rcode, policy and
   * target), so a counter can keep its tallies per answer instead of composing a key per query.
   */
  answer?: object;
}

/** The routing decisions of a plan's routed parts for one client, and what they make together. */
interface RoutedDecisions {
  decisions: Decision[];
  policy: string;
  key: string;
  scope: number;
}

export interface HandlerOptions {
  observe?: (event: QueryEvent) => void;
  /** Randomness for weighted and multivalue (default Math.random). */
  random?: () => number;
  /** The server cookie (RFC 7873) for a client cookie sent from an address (server/cookies.ts). */
  serverCookie?: (clientCookie: Buffer, clientAddress: string) => Buffer;
  /** The server's identifier for queries that ask for it (NSID, RFC 5001); none when not set. */
  nsid?: Buffer;
  /** Response rate limiting for UDP (rrl/limiter.ts); none when not given. TCP is never limited. */
  rateLimiter?: Pick<ResponseRateLimiter, 'check'>;
  /** Called for a message that is not a query (dropped) or cannot be read (FORMERR): the client's fault. */
  onClientError?: (client: ClientInfo, reason: 'not-a-query' | 'malformed', detail: string) => void;
  /** Called when answering fails unexpectedly (the client gets SERVFAIL). */
  onError?: (error: unknown, query: ParsedQuery) => void;
  /** The clock of signatures, in seconds since 1970 (default: Date.now() / 1000). Read only for signed answers. */
  now?: () => number;
  /**
   * New DNSSEC signatures a UDP query may cause (dnssec/budget.ts); beyond it the reply is TC=1 and the client
   * retries over TCP, which is not budgeted. None: unlimited.
   */
  signingBudget?: SigningBudget;
}

/** Where the answer should be for: the ECS subnet when the resolver sent one, else the packet's source. */
function locateClient(locator: Locator, query: ParsedQuery, client: ClientInfo): ClientLocation {
  const ecs = query.edns?.ecs;
  return ecs && ecs.sourcePrefix > 0 ? locator.locateSubnet(ecs) : locator.locate(client.address);
}

export function createHandler(state: ServerState, options: HandlerOptions = {}): QueryHandler {
  const random = options.random ?? Math.random;
  const observe = options.observe;
  const makeCookie = options.serverCookie;
  const nsid = options.nsid;
  const clock = options.now ?? (() => Date.now() / 1000);
  const signingBudget = options.signingBudget;

  /** The server cookie maker for this query's client, when it sent a cookie. */
  function cookieFor(edns: EdnsInfo | undefined, client: ClientInfo): ((clientCookie: Buffer) => Buffer) | undefined {
    if (!makeCookie || !edns?.cookie) return undefined;
    return (clientCookie) => makeCookie(clientCookie, client.address);
  }

  const limiter = options.rateLimiter;

  /** The rate limiter's verdict on a response: send it, drop it or send it truncated. `name`: the answer's source. */
  function limit(
    client: ClientInfo,
    rcode: number,
    authoritative: boolean,
    query: Partial<ParsedQuery> | undefined,
    zone: string | null,
    name = query?.qname ?? '',
  ): Verdict {
    if (limiter === undefined || client.transport !== 'udp') return VERDICT.SEND;
    return limiter.check(client.address, rcode, authoritative, name, query?.qtype ?? 0, zone, query?.edns?.cookie);
  }

  /** What every reply with an OPT record may carry besides its own options. */
  function replyOptions(
    edns: EdnsInfo | undefined,
    client: ClientInfo,
  ): Pick<ResponseOptions, 'serverCookie' | 'nsid'> {
    const serverCookie = cookieFor(edns, client);
    return { ...(serverCookie ? { serverCookie } : {}), ...(nsid ? { nsid } : {}) };
  }

  /**
   * The plan for (name, type) in this snapshot: a finished body, or a lookup whose routed parts need deciding.
   * Undefined when no zone holds the name (such names are not remembered).
   */
  function planFor(query: ParsedQuery): Plan | undefined {
    const cached = state.plans.get(query.qname, query.qtype);
    if (cached) return cached;
    const zone = state.snapshot.findZone(query.qname);
    if (!zone) return undefined;
    const result = lookup(zone, query.qname, query.qtype);
    const routed = result.kind === 'referral' ? [] : result.parts.filter((p) => p.kind === 'routed');
    const wildcard = wildcardAnswering(zone, query.qname);
    let plan: Plan;
    if (result.kind === 'referral' || routed.length === 0) {
      const built = buildAnswer(zone, result, []);
      const body = encodeBody(query.qname, built.sections, built.rcode, built.authoritative);
      plan = { kind: 'fixed', zone, body, wildcard };
    } else {
      plan = {
        kind: 'routed',
        zone,
        result,
        deterministic: isDeterministic(routed.map((p) => p.routed)),
        tags: routed.map((p) => routedTag(zone.apex, p.name)),
        wildcard,
      };
    }
    state.plans.set(query.qname, query.qtype, plan);
    return plan;
  }

  /**
   * The routing decision of every routed part of `result` for a client at `location`, and the key of the body they
   * make together: `keyStem` and each decision's key (names are lower case and escaped, types are numbers, so the
   * parts cannot run into each other).
   */
  function decideParts(result: RoutedPlan['result'], location: ClientLocation, keyStem: string): RoutedDecisions {
    const decisions: Decision[] = [];
    let policy = '';
    let key = keyStem;
    let scope = 0;
    for (const part of result.parts) {
      if (part.kind !== 'routed') continue;
      const decision = decide({
        routed: part.routed,
        family: part.family,
        location,
        health: state.health.targets,
        random,
      });
      decisions.push(decision);
      policy ||= part.routed.policy;
      key += `|${decision.key}`;
      if (decision.scopePrefix > scope) scope = decision.scopePrefix;
    }
    return { decisions, policy, key, scope };
  }

  function decideRouted(plan: RoutedPlan, query: ParsedQuery, location: ClientLocation): RoutedAnswer {
    const { decisions, policy, key, scope } = decideParts(plan.result, location, `${query.qname}|${query.qtype}`);
    let body = state.cache.get(key);
    if (!body) {
      const built = buildAnswer(plan.zone, plan.result, decisions);
      body = encodeBody(query.qname, built.sections, built.rcode, built.authoritative);
      state.cache.set(key, body, plan.tags);
    }
    return { body, scope, policy, target: decisions[0]?.targets[0] };
  }

  /**
   * A query with the DO bit for a signed zone: the same routing decision as decideRouted, then the signed body for
   * it (answer/signed.ts), cached apart from the unsigned bodies under the same tags, until its signatures are due
   * to be refreshed. The client's subnet is never part of what is signed: clients given the same set share it.
   */
  function answerSigned(plan: Plan, query: ParsedQuery, client: ClientInfo, signer: ZoneSigner): RoutedAnswer {
    const compactOk = query.edns?.compactOk === true;
    const stem = `${query.qname}|${query.qtype}|${compactOk ? 'co' : 'do'}`;
    const { decisions, policy, key, scope } =
      plan.kind === 'routed'
        ? decideParts(plan.result, locateClient(state.locator(plan.zone), query, client), stem)
        : { decisions: [], policy: '', key: stem, scope: 0 };
    const now = clock();
    let signed = state.signed.get(key);
    if (!signed || now >= signed.refreshAt) {
      signed = signedAnswer({
        zone: plan.zone,
        signer,
        result: plan.kind === 'routed' ? plan.result : lookup(plan.zone, query.qname, query.qtype),
        decisions,
        qname: query.qname,
        qtype: query.qtype,
        compactOk,
        now,
        ...(signingBudget && client.transport === 'udp' ? { budget: signingBudget } : {}),
      });
      state.signed.set(key, signed, plan.kind === 'routed' ? plan.tags : []);
    }
    return { body: signed.body, scope, policy, target: decisions[0]?.targets[0] };
  }

  /** A reply of `rcode` alone (REFUSED, FORMERR), counted and rate-limited like any other; `extendedError`: why,
   *  for EDNS clients (RFC 8914), as Knot says it. */
  function rcodeReply(
    message: Buffer,
    query: ParsedQuery,
    client: ClientInfo,
    zone: string | null,
    rcode: number,
    extendedError?: number,
  ): Buffer | null {
    observe?.({
      zone,
      qname: query.qname,
      qtype: query.qtype,
      rcode,
      transport: client.transport,
      ecs: query.edns?.ecs !== undefined,
    });
    const verdict = limit(client, rcode, false, query, zone);
    if (verdict === VERDICT.DROP) return null;
    return buildRcodeResponse(message, query, rcode, client.transport, {
      ...replyOptions(query.edns, client),
      ...(extendedError !== undefined ? { extendedError } : {}),
      truncate: verdict === VERDICT.SLIP,
    });
  }

  function refuse(
    message: Buffer,
    query: ParsedQuery,
    client: ClientInfo,
    zone: string | null,
    extendedError?: number,
  ): Buffer | null {
    return rcodeReply(message, query, client, zone, RCODE.REFUSED, extendedError);
  }

  function answer(message: Buffer, query: ParsedQuery, client: ClientInfo): Buffer | null {
    // Like Knot: classes other than IN (and ANY) are refused, as are zone transfers (not offered).
    if (query.qclass !== CLASS_IN && query.qclass !== CLASS_ANY) return refuse(message, query, client, null);
    if (query.qtype === TYPE.AXFR || query.qtype === TYPE.IXFR) {
      return refuse(message, query, client, state.snapshot.findZone(query.qname)?.apex ?? null, EDE.PROHIBITED);
    }
    const plan = planFor(query);
    if (!plan) return refuse(message, query, client, null, EDE.NOT_AUTHORITATIVE);

    let routed: RoutedAnswer | undefined;
    // DNSSEC only for a query with the DO bit to a signed zone; with no signed zone this is one size check.
    const signer =
      state.signers.size === 0 || query.edns?.dnssecOk !== true ? undefined : state.signers.get(plan.zone.apex);
    if (signer) {
      // RFC 9824 §3.5: NXNAME is a meta-type, never asked for.
      if (query.qtype === RRTYPE.NXNAME) return rcodeReply(message, query, client, plan.zone.apex, RCODE.FORMERR);
      try {
        routed = answerSigned(plan, query, client, signer);
      } catch (error) {
        if (!(error instanceof SigningBudgetExceeded)) throw error;
        // Over the signing budget (UDP only): TC=1, so a real client asks again over TCP.
        state.dnssecBudgetExceeded++;
        observe?.({
          zone: plan.zone.apex,
          qname: query.qname,
          qtype: query.qtype,
          rcode: RCODE.NOERROR,
          transport: client.transport,
          ecs: query.edns?.ecs !== undefined,
        });
        return buildRcodeResponse(message, query, RCODE.NOERROR, client.transport, {
          ...replyOptions(query.edns, client),
          truncate: true,
        });
      }
    } else if (plan.kind === 'routed') {
      const location = locateClient(state.locator(plan.zone), query, client);
      routed = plan.deterministic ? state.plans.answerFor(location, plan) : undefined;
      if (!routed) {
        routed = decideRouted(plan, query, location);
        if (plan.deterministic) state.plans.rememberAnswer(location, plan, routed);
      }
    }
    const body = routed ? routed.body : (plan as FixedPlan).body;
    if (observe) {
      const event: QueryEvent = {
        zone: plan.zone.apex,
        qname: query.qname,
        qtype: query.qtype,
        rcode: body.rcode,
        transport: client.transport,
        ecs: query.edns?.ecs !== undefined,
        answer: body,
      };
      if (routed) {
        event.policy = routed.policy;
        if (routed.target !== undefined) event.target = routed.target;
      }
      observe(event);
    }
    const verdict =
      limiter === undefined
        ? VERDICT.SEND
        : limit(client, body.rcode, body.authoritative, query, plan.zone.apex, plan.wildcard ?? query.qname);
    if (verdict === VERDICT.DROP) return null;
    return buildResponse(message, query, body, {
      transport: client.transport,
      ecsScope: routed ? routed.scope : 0,
      serverCookie: cookieFor(query.edns, client),
      nsid,
      truncate: verdict === VERDICT.SLIP,
      compactOk: signer !== undefined && query.edns?.compactOk === true,
    });
  }

  return (message, client) => {
    const parsed = parseQuery(message);
    if (!parsed.ok) {
      if ('drop' in parsed) {
        options.onClientError?.(client, 'not-a-query', parsed.reason);
        return null;
      }
      if (parsed.rcode === RCODE.FORMERR) options.onClientError?.(client, 'malformed', parsed.reason);
      observe?.({
        zone: null,
        qname: parsed.query?.qname ?? '',
        qtype: parsed.query?.qtype ?? 0,
        rcode: parsed.rcode,
        transport: client.transport,
        ecs: false,
      });
      const verdict = limit(client, parsed.rcode, false, parsed.query, null);
      if (verdict === VERDICT.DROP) return null;
      return buildErrorResponse(message, parsed, {
        ...replyOptions(parsed.query?.edns, client),
        truncate: verdict === VERDICT.SLIP,
      });
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
      const verdict = limit(client, RCODE.SERVFAIL, false, query, null);
      if (verdict === VERDICT.DROP) return null;
      return buildRcodeResponse(message, query, RCODE.SERVFAIL, client.transport, {
        ...replyOptions(query.edns, client),
        truncate: verdict === VERDICT.SLIP,
      });
    }
  };
}
