// The query handler: wire bytes in, wire bytes out, in ordered stages, each a plain function:
//   parse → admit → plan → locate and decide → body → reply
// A stage that ends a query early (a refusal, an error) hands reply() what it ends with, as the last stage does:
// reply() is the one exit, where every reply is counted, rate-limited and built (Knot's query stages, hickory's
// single error response).
import type { ClientLocation } from './geoip/types.ts';
import type { Locator } from './geoip/locator.ts';
import { decide, type Decision } from './routing/decide.ts';
import { lookup, wildcardAnswering } from './zone/lookup.ts';
import { TYPE } from './zone/types.ts';
import { buildAnswer } from './answer/sections.ts';
import { routedTag, ServerState } from './answer/state.ts';
import { isDeterministic, type Answer, type Plan } from './answer/plans.ts';
import { VERDICT, type ResponseRateLimiter, type Verdict } from './rrl/limiter.ts';
import { signedAnswer, unsignedDnssecAnswer } from './answer/signed.ts';
import type { ZoneSigner } from './dnssec/signer.ts';
import { SigningBudgetExceeded, type SigningBudget } from './dnssec/budget.ts';
import { isDnssecType, RRTYPE } from './dnssec/types.ts';
import { encodeBody } from './wire/encode.ts';
import { parseQuery } from './wire/parse.ts';
import { buildErrorResponse, buildRcodeResponse, buildResponse, type ResponseOptions } from './wire/respond.ts';
import {
  EDE,
  RCODE,
  type ClientInfo,
  type EdnsInfo,
  type ParsedQuery,
  type ParseResult,
  type QueryHandler,
  type ReuseHint,
} from './wire/types.ts';

export { ServerState, type ServerStateOptions } from './answer/state.ts';

type RoutedPlan = Extract<Plan, { kind: 'routed' }>;

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
  /** Only with HandlerOptions.queryDetail: what the query log says besides. */
  detail?: QueryDetail;
}

/** Where the client was placed and what was decided for it, for the query log. */
export interface QueryDetail {
  /** The ECS option's subnet, e.g. '198.51.100.0/24'. */
  subnet?: string;
  /** What placed the client: the ECS subnet or the packet's source address (an ECS /0 places nobody). */
  placedBy: 'ecs' | 'address';
  /** Routed answers only: where the client was placed (static answers do not depend on it). */
  location?: ClientLocation;
  /** Routed answers only: the decision of each routed part (targets, addresses, region). */
  decisions?: readonly Decision[];
}

/** The routing decisions of a plan's routed parts for one client, and what they make together. */
interface RoutedDecisions {
  decisions: Decision[];
  policy: string;
  key: string;
  scope: number;
}

/** A message reply() answers: a parsed query, or one the parser refused with an rcode (FORMERR, NOTIMP...). */
type Answerable = Exclude<ParseResult, { drop: true }>;

/**
 * What a query ends with, as reply() takes it: the answer found for it, or an rcode alone (a refusal, FORMERR,
 * SERVFAIL, the parser's rcode for a message it refused, or TC=1 over the signing budget: `truncated`).
 */
type Ending = Answer | { kind: 'rcode'; zone: string | null; rcode: number; extendedError?: number; truncated?: true };

export interface HandlerOptions {
  observe?: (event: QueryEvent) => void;
  /** Randomness for weighted and multivalue (default Math.random). */
  random?: () => number;
  /** The server cookie (RFC 7873) for a client cookie sent from an address (workers/cookies.ts). */
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
  /** Give observe() each query's detail (QueryEvent.detail) for the query log; off, no query pays for it. */
  queryDetail?: boolean;
}

/** Whether the client is placed by the query's ECS subnet (an ECS /0 places nobody) rather than its source address. */
function placedBySubnet(edns: EdnsInfo | undefined): boolean {
  const ecs = edns?.ecs;
  return ecs !== undefined && ecs.sourcePrefix > 0;
}

/** Where the answer should be for: the ECS subnet when the resolver sent one, else the packet's source. */
function locateClient(locator: Locator, query: ParsedQuery, client: ClientInfo): ClientLocation {
  const ecs = query.edns?.ecs;
  return ecs && placedBySubnet(query.edns) ? locator.locateSubnet(ecs) : locator.locate(client.address);
}

function rcodeOnly(zone: string | null, rcode: number, extendedError?: number): Ending {
  return { kind: 'rcode', zone, rcode, ...(extendedError !== undefined ? { extendedError } : {}) };
}

export function createHandler(state: ServerState, options: HandlerOptions = {}): QueryHandler<QueryEvent> {
  const random = options.random ?? Math.random;
  const observe = options.observe;
  const makeCookie = options.serverCookie;
  const nsid = options.nsid;
  const clock = options.now ?? (() => Date.now() / 1000);
  const signingBudget = options.signingBudget;
  const limiter = options.rateLimiter;
  const queryDetail = options.queryDetail === true;
  /**
   * For ReuseHint: the source bits the answer of the query being answered depends on, set where it is found; -1
   * (not reusable) unless it is a fixed answer, a deterministic routed one, an unsigned DNSSEC-type one, or a
   * signed one of those two plans, which holds until `reusableUntil` (the clock of signatures).
   */
  let reusable = -1;
  let reusableUntil = Infinity;

  function handle(message: Buffer, client: ClientInfo, reuse?: ReuseHint<QueryEvent>): Buffer | null {
    reusable = -1;
    reusableUntil = Infinity;
    // ── parse ──
    const parsed = parseQuery(message);
    if (!parsed.ok) {
      if ('drop' in parsed) {
        options.onClientError?.(client, 'not-a-query', parsed.reason);
        if (reuse) notReusable(reuse);
        return null;
      }
      if (parsed.rcode === RCODE.FORMERR) options.onClientError?.(client, 'malformed', parsed.reason);
      return reply(message, client, parsed, rcodeOnly(null, parsed.rcode), reuse);
    }
    try {
      return reply(message, client, parsed, resolve(parsed.query, client), reuse);
    } catch (error) {
      options.onError?.(error, parsed.query);
      reusable = -1;
      return reply(message, client, parsed, rcodeOnly(null, RCODE.SERVFAIL), reuse);
    }
  }

  /** admit → plan → locate and decide → body: what a parsed query ends with. */
  function resolve(query: ParsedQuery, client: ClientInfo): Ending {
    const refused = admit(query);
    if (refused) return refused;
    const plan = planFor(query);
    if (!plan) return rcodeOnly(null, RCODE.REFUSED, EDE.NOT_AUTHORITATIVE);
    // A zone marked signed without its keys here (a key Secret not mounted yet) is not answered unsigned.
    if (state.unkeyed.size !== 0 && state.unkeyed.has(plan.zone.apex)) {
      return rcodeOnly(plan.zone.apex, RCODE.SERVFAIL, EDE.NOT_READY);
    }
    if (state.signers.size !== 0) {
      const dnssec = dnssecEnding(plan, query, client);
      if (dnssec) return dnssec;
    }
    if (plan.kind === 'routed') return routedAnswer(plan, query, client);
    reusable = 0;
    return plan.answer;
  }

  // ── admit ── Like Knot: classes other than IN (and ANY) are refused, as are zone transfers (not offered).
  function admit(query: ParsedQuery): Ending | undefined {
    if (query.qclass !== CLASS_IN && query.qclass !== CLASS_ANY) return rcodeOnly(null, RCODE.REFUSED);
    if (query.qtype === TYPE.AXFR || query.qtype === TYPE.IXFR) {
      const zone = state.snapshot.findZone(query.qname)?.apex ?? null;
      return rcodeOnly(zone, RCODE.REFUSED, EDE.PROHIBITED);
    }
    return undefined;
  }

  // ── plan ──
  /**
   * The plan for (name, type) in this snapshot: a finished answer, or a lookup whose routed parts need deciding.
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
      const answer: Answer = {
        kind: 'answer',
        zone: zone.apex,
        body,
        name: wildcard ?? query.qname,
        scope: 0,
        policy: undefined,
        target: undefined,
        compactOk: false,
        location: undefined,
        decisions: undefined,
      };
      plan = { kind: 'fixed', zone, answer, wildcard };
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
   * What DNSSEC changes for a signed zone (undefined: nothing; with no signed zone the caller does not ask): a query
   * with the DO bit is signed; one without asking for a DNSSEC type gets it unsigned. RRSIG queries are refused with
   * and without DO, as online signers do (Knot's onlinesign, PowerDNS): signatures are made per answer set, there is
   * no set of them at a name to give.
   */
  function dnssecEnding(plan: Plan, query: ParsedQuery, client: ClientInfo): Ending | undefined {
    const dnssecOk = query.edns?.dnssecOk === true;
    const qtype = query.qtype;
    if (!dnssecOk && !isDnssecType(qtype)) return undefined;
    const signer = state.signers.get(plan.zone.apex);
    if (!signer) return undefined;
    if (qtype === RRTYPE.RRSIG) return rcodeOnly(plan.zone.apex, RCODE.REFUSED, EDE.NOT_SUPPORTED);
    return dnssecOk ? signed(plan, query, client, signer) : unsignedDnssec(plan, query, signer);
  }

  // ── locate and decide ──
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
        explain: false,
      });
      decisions.push(decision);
      policy ||= part.routed.policy;
      key += `|${decision.key}`;
      if (decision.scopePrefix > scope) scope = decision.scopePrefix;
    }
    return { decisions, policy, key, scope };
  }

  /** A routed plan's answer for this client: remembered per location for deterministic policies. */
  function routedAnswer(plan: RoutedPlan, query: ParsedQuery, client: ClientInfo): Answer {
    const location = locateClient(state.locator(plan.zone), query, client);
    let answer = plan.deterministic ? state.plans.answerFor(location, plan) : undefined;
    if (!answer) {
      answer = decideRouted(plan, query, location);
      if (plan.deterministic) state.plans.rememberAnswer(location, plan, answer);
    }
    if (plan.deterministic) reusable = sourceBits(query, answer);
    return answer;
  }

  // ── body ──
  function decideRouted(plan: RoutedPlan, query: ParsedQuery, location: ClientLocation): Answer {
    const { decisions, policy, key, scope } = decideParts(plan.result, location, `${query.qname}|${query.qtype}`);
    let body = state.cache.get(key);
    if (!body) {
      const built = buildAnswer(plan.zone, plan.result, decisions);
      body = encodeBody(query.qname, built.sections, built.rcode, built.authoritative);
      state.cache.set(key, body, plan.tags);
    }
    return answerOf(plan, query, body, { decisions, policy, scope }, location, false);
  }

  /** The source bits a remembered answer depends on: none when the ECS subnet placed the client, else its scope. */
  function sourceBits(query: ParsedQuery, answer: Answer): number {
    return placedBySubnet(query.edns) ? 0 : answer.scope;
  }

  /** The Answer of a body and the routing decision behind it (none: a signed plan nothing in it routes). */
  function answerOf(
    plan: Plan,
    query: ParsedQuery,
    body: Answer['body'],
    decided: Omit<RoutedDecisions, 'key'>,
    location: ClientLocation | undefined,
    compactOk: boolean,
  ): Answer {
    return {
      kind: 'answer',
      zone: plan.zone.apex,
      body,
      name: plan.wildcard ?? query.qname,
      scope: decided.scope,
      policy: decided.policy,
      target: decided.decisions[0]?.targets[0],
      compactOk,
      location,
      decisions: location ? decided.decisions : undefined,
    };
  }

  /**
   * A query with the DO bit for a signed zone: the same routing decision as decideRouted, then the signed body for
   * it (answer/signed.ts), cached apart from the unsigned bodies under the same tags, until its signatures are due
   * to be refreshed. The client's subnet is never part of what is signed: clients given the same set share it.
   */
  function answerSigned(plan: Plan, query: ParsedQuery, client: ClientInfo, signer: ZoneSigner): Answer {
    const compactOk = query.edns?.compactOk === true;
    const location = plan.kind === 'routed' ? locateClient(state.locator(plan.zone), query, client) : undefined;
    const now = clock();
    // Fixed and deterministic plans: the answer made last time, while its signatures are fresh (no key to build).
    const memoized = plan.kind === 'fixed' || plan.deterministic;
    if (memoized) {
      const memo = state.plans.signedAnswerFor(plan, location, compactOk);
      if (memo && memo.signers === state.signers && now < memo.refreshAt) {
        reusable = sourceBits(query, memo.answer);
        reusableUntil = memo.refreshAt;
        return memo.answer;
      }
    }
    const stem = `${query.qname}|${query.qtype}|${compactOk ? 'co' : 'do'}`;
    const { decisions, policy, key, scope } =
      plan.kind === 'routed' && location
        ? decideParts(plan.result, location, stem)
        : { decisions: [], policy: '', key: stem, scope: 0 };
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
    const answer = answerOf(plan, query, signed.body, { decisions, policy, scope }, location, compactOk);
    if (memoized) {
      state.plans.rememberSignedAnswer(plan, location, compactOk, {
        answer,
        refreshAt: signed.refreshAt,
        signers: state.signers,
      });
      reusable = sourceBits(query, answer);
      reusableUntil = signed.refreshAt;
    }
    return answer;
  }

  /**
   * A query without DO for a DNSSEC type at a signed zone (answer/signed.ts: unsignedDnssecAnswer), remembered beside
   * the signed bodies (dropped with them when keys or zones change); undefined when it is answered as any type.
   */
  function unsignedDnssec(plan: Plan, query: ParsedQuery, signer: ZoneSigner): Answer | undefined {
    const key = `${query.qname}|${query.qtype}|plain`;
    let cached = state.signed.get(key);
    if (!cached) {
      const body = unsignedDnssecAnswer({
        zone: plan.zone,
        signer,
        result: plan.kind === 'routed' ? plan.result : lookup(plan.zone, query.qname, query.qtype),
        qname: query.qname,
        qtype: query.qtype,
      });
      if (!body) return undefined;
      cached = { body, refreshAt: Infinity };
      state.signed.set(key, cached, []);
    }
    reusable = 0;
    return answerOf(plan, query, cached.body, { decisions: [], policy: '', scope: 0 }, undefined, false);
  }

  function signed(plan: Plan, query: ParsedQuery, client: ClientInfo, signer: ZoneSigner): Ending {
    const zone = plan.zone.apex;
    // RFC 9824 §3.5: NXNAME is a meta-type, never asked for.
    if (query.qtype === RRTYPE.NXNAME) return rcodeOnly(zone, RCODE.FORMERR);
    try {
      return answerSigned(plan, query, client, signer);
    } catch (error) {
      if (!(error instanceof SigningBudgetExceeded)) throw error;
      // Over the signing budget (UDP only): TC=1, so a real client asks again over TCP.
      state.dnssecBudgetExceeded++;
      return { kind: 'rcode', zone, rcode: RCODE.NOERROR, truncated: true };
    }
  }

  // ── reply ──
  /**
   * The one exit: counts the query, asks the rate limiter, builds the response (null: send nothing), and says in
   * `reuse` whether the same query bytes would get the same response.
   */
  function reply(
    message: Buffer,
    client: ClientInfo,
    parsed: Answerable,
    end: Ending,
    reuse: ReuseHint<QueryEvent> | undefined,
  ): Buffer | null {
    const event = observe ? eventOf(parsed, end, client) : undefined;
    if (observe && event) observe(event);
    if (reuse) {
      reuse.counted = event;
      reuse.holdsForMs = reusableUntil === Infinity ? Infinity : (reusableUntil - clock()) * 1000;
      reuse.sourcePrefix = reusableFor(parsed, end, client) && reuse.holdsForMs > 0 ? reusable : -1;
    }
    // A reply truncated already is what a slip would send: the limiter is not asked.
    const verdict = end.kind === 'rcode' && end.truncated ? VERDICT.SLIP : limit(parsed, end, client);
    if (verdict === VERDICT.DROP) return null;
    return build(message, client, parsed, end, verdict === VERDICT.SLIP);
  }

  /**
   * Whether a reply found reusable (`reusable` >= 0) may be sent again to the same query bytes: an answer over UDP,
   * with no rate limiter to ask per reply, no query log to write per query and no cookie to make per client.
   */
  function reusableFor(parsed: Answerable, end: Ending, client: ClientInfo): boolean {
    return (
      reusable >= 0 &&
      parsed.ok &&
      end.kind === 'answer' &&
      client.transport === 'udp' &&
      limiter === undefined &&
      !queryDetail &&
      parsed.query.edns?.cookie === undefined
    );
  }

  function notReusable(reuse: ReuseHint<QueryEvent>): void {
    reuse.sourcePrefix = -1;
    reuse.holdsForMs = 0;
    reuse.counted = undefined;
  }

  function eventOf(parsed: Answerable, end: Ending, client: ClientInfo): QueryEvent {
    const asked = parsed.query;
    const qname = asked?.qname ?? '';
    const qtype = asked?.qtype ?? 0;
    const ecs = parsed.ok && parsed.query.edns?.ecs !== undefined;
    const { zone } = end;
    const transport = client.transport;
    if (end.kind === 'rcode') {
      const refused: QueryEvent = { zone, qname, qtype, rcode: end.rcode, transport, ecs };
      if (queryDetail) refused.detail = detailOf(parsed, undefined);
      return refused;
    }
    const event: QueryEvent = { zone, qname, qtype, rcode: end.body.rcode, transport, ecs, answer: end.body };
    if (end.policy !== undefined) {
      event.policy = end.policy;
      if (end.target !== undefined) event.target = end.target;
    }
    if (queryDetail) event.detail = detailOf(parsed, end);
    return event;
  }

  function detailOf(parsed: Answerable, answer: Answer | undefined): QueryDetail {
    const ecs = parsed.query?.edns?.ecs;
    const detail: QueryDetail = { placedBy: placedBySubnet(parsed.query?.edns) ? 'ecs' : 'address' };
    if (ecs) detail.subnet = `${ecs.address}/${ecs.sourcePrefix}`;
    if (answer?.location) detail.location = answer.location;
    if (answer?.decisions) detail.decisions = answer.decisions;
    return detail;
  }

  /** The rate limiter's verdict on a reply: send it, drop it or send it truncated. */
  function limit(parsed: Answerable, end: Ending, client: ClientInfo): Verdict {
    if (limiter === undefined || client.transport !== 'udp') return VERDICT.SEND;
    const asked = parsed.query;
    const address = client.address;
    const qtype = asked?.qtype ?? 0;
    const cookie = asked?.edns?.cookie;
    if (end.kind === 'rcode')
      return limiter.check(address, end.rcode, false, asked?.qname ?? '', qtype, end.zone, cookie);
    return limiter.check(address, end.body.rcode, end.body.authoritative, end.name, qtype, end.zone, cookie);
  }

  /** The server cookie maker for this query's client, when it sent a cookie. */
  function cookieFor(edns: EdnsInfo | undefined, client: ClientInfo): ((clientCookie: Buffer) => Buffer) | undefined {
    if (!makeCookie || !edns?.cookie) return undefined;
    return (clientCookie) => makeCookie(clientCookie, client.address);
  }

  /** What every reply with an OPT record may carry besides its own options. */
  function replyOptions(
    edns: EdnsInfo | undefined,
    client: ClientInfo,
  ): Pick<ResponseOptions, 'serverCookie' | 'nsid'> {
    const serverCookie = cookieFor(edns, client);
    return { ...(serverCookie ? { serverCookie } : {}), ...(nsid ? { nsid } : {}) };
  }

  function build(message: Buffer, client: ClientInfo, parsed: Answerable, end: Ending, truncate: boolean): Buffer {
    if (!parsed.ok) {
      return buildErrorResponse(message, parsed, { ...replyOptions(parsed.query?.edns, client), truncate });
    }
    const query = parsed.query;
    if (end.kind === 'answer') {
      return buildResponse(message, query, end.body, {
        transport: client.transport,
        ecsScope: end.scope,
        serverCookie: cookieFor(query.edns, client),
        nsid,
        truncate,
        compactOk: end.compactOk,
      });
    }
    return buildRcodeResponse(message, query, end.rcode, client.transport, {
      ...replyOptions(query.edns, client),
      ...(end.extendedError !== undefined ? { extendedError: end.extendedError } : {}),
      truncate,
    });
  }

  return handle;
}
