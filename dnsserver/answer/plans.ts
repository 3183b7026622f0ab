// What the handler remembers between queries, so the common path is a few map lookups:
// - a plan per (name, type) and zone snapshot: either a finished answer (nothing routed) or the lookup result whose
//   routed parts still need a decision;
// - for plans whose policies are deterministic (geo, proximity, failover), the answer per client location, until
//   the health table or the zones change. Weighted and multivalue decide on every query.
import type { CompiledRoutedName } from '../../api/compiled.ts';
import type { ClientLocation } from '../geoip/types.ts';
import type { Decision } from '../routing/decide.ts';
import type { LookupResult, ZoneIndex } from '../zone/types.ts';
import type { EncodedBody } from '../wire/types.ts';
import { DEFAULT_ANSWER_CACHE } from './bounds.ts';

/**
 * `zone` is the zone the name was found in, so a cached plan spares the zone search too. `wildcard`: the wildcard
 * that synthesized the answer, which response rate limiting counts it under (random names below it are one
 * answer, not one each). A fixed plan holds its finished answer.
 */
export type Plan =
  | { kind: 'fixed'; zone: ZoneIndex; answer: Answer; wildcard: string | undefined }
  | {
      kind: 'routed';
      zone: ZoneIndex;
      result: Exclude<LookupResult, { kind: 'referral' }>;
      deterministic: boolean;
      tags: string[];
      wildcard: string | undefined;
    };

/**
 * A finished answer to one name and type, with what the reply needs besides the body: made once per plan (fixed),
 * per plan and client location (deterministic policies) or per query (weighted, multivalue, signed).
 */
export interface Answer {
  readonly kind: 'answer';
  /** The apex of the zone it comes from. */
  readonly zone: string;
  readonly body: EncodedBody;
  /** What response rate limiting counts it under: the wildcard that synthesized it, else the question name. */
  readonly name: string;
  /** The ECS scope prefix to return: 0 where the answer does not depend on where the client is. */
  readonly scope: number;
  /** Routed answers: the policy, and the first target id (for metrics). */
  readonly policy: string | undefined;
  readonly target: string | undefined;
  /** A signed answer to a query that set Compact Answers OK (RFC 9824 §4). */
  readonly compactOk: boolean;
  /** Routed answers: where the client was placed, and the decisions (for the query log; nothing else reads them). */
  readonly location: ClientLocation | undefined;
  readonly decisions: readonly Decision[] | undefined;
}

/**
 * A signed answer remembered for a plan (and a client location, for routed plans): valid while the signers it was
 * made with are the server's (compared by identity: ServerState.setSigners replaces the map) and until its refresh
 * time (seconds since 1970).
 */
export interface SignedMemo {
  readonly answer: Answer;
  readonly refreshAt: number;
  readonly signers: object;
}

/** Memos of one plan: [DO, DO with Compact Answers OK]. */
type SignedMemos = [SignedMemo | undefined, SignedMemo | undefined];

const DETERMINISTIC = new Set<CompiledRoutedName['policy']>(['geo', 'proximity', 'failover']);

export function isDeterministic(routed: readonly CompiledRoutedName[]): boolean {
  return routed.every((r) => DETERMINISTIC.has(r.policy));
}

export class PlanCache {
  readonly #limit: number;
  // Name, then type: two lookups on strings and numbers the parser already made, no key to build per query.
  #plans = new Map<string, Map<number, Plan>>();
  #size = 0;
  #answers = new WeakMap<ClientLocation, Map<Plan, Answer>>();
  // Signed answers (DO=1) of fixed plans, which depend on nothing but the zone and the keys; and of deterministic
  // routed plans per client location, forgotten with the unsigned ones when health changes.
  #signedFixed = new WeakMap<Plan, SignedMemos>();
  #signedRouted = new WeakMap<ClientLocation, Map<Plan, SignedMemos>>();

  constructor(limit = DEFAULT_ANSWER_CACHE) {
    this.#limit = Math.max(1, limit);
  }

  get(qname: string, qtype: number): Plan | undefined {
    return this.#plans.get(qname)?.get(qtype);
  }

  /** Past the bound, a new question starts the cache over (replacing a plan takes no room). */
  set(qname: string, qtype: number, plan: Plan): void {
    if (this.#size >= this.#limit && this.#plans.get(qname)?.has(qtype) !== true) {
      this.#plans = new Map();
      this.#size = 0;
    }
    let byType = this.#plans.get(qname);
    if (!byType) this.#plans.set(qname, (byType = new Map()));
    if (!byType.has(qtype)) this.#size++;
    byType.set(qtype, plan);
  }

  answerFor(location: ClientLocation, plan: Plan): Answer | undefined {
    return this.#answers.get(location)?.get(plan);
  }

  rememberAnswer(location: ClientLocation, plan: Plan, answer: Answer): void {
    let byPlan = this.#answers.get(location);
    if (!byPlan) this.#answers.set(location, (byPlan = new Map()));
    byPlan.set(plan, answer);
  }

  /** The signed answer remembered for `plan` (a fixed plan, or a routed one for a client at `location`). */
  signedAnswerFor(plan: Plan, location: ClientLocation | undefined, compactOk: boolean): SignedMemo | undefined {
    const memos = location ? this.#signedRouted.get(location)?.get(plan) : this.#signedFixed.get(plan);
    return memos?.[compactOk ? 1 : 0];
  }

  rememberSignedAnswer(plan: Plan, location: ClientLocation | undefined, compactOk: boolean, memo: SignedMemo): void {
    let memos: SignedMemos | undefined;
    if (location) {
      let byPlan = this.#signedRouted.get(location);
      if (!byPlan) this.#signedRouted.set(location, (byPlan = new Map()));
      memos = byPlan.get(plan);
      if (!memos) byPlan.set(plan, (memos = [undefined, undefined]));
    } else {
      memos = this.#signedFixed.get(plan);
      if (!memos) this.#signedFixed.set(plan, (memos = [undefined, undefined]));
    }
    memos[compactOk ? 1 : 0] = memo;
  }

  /** Health changed: decisions may differ, plans (lookups) do not. */
  forgetAnswers(): void {
    this.#answers = new WeakMap();
    this.#signedRouted = new WeakMap();
  }

  /** Zones changed: everything goes. */
  clear(): void {
    this.#plans = new Map();
    this.#size = 0;
    this.#answers = new WeakMap();
    this.#signedFixed = new WeakMap();
    this.#signedRouted = new WeakMap();
  }
}
