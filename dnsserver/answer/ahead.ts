// Signing in advance: after the zones, the health table or the keys change, each DNS thread signs in the background
// (dnssec/background.ts) the answers it will be asked for, so that their first queries find the signatures cached
// and take nothing from the signing budget. Signed: every name's answer to each type it has (the apex SOA, NS,
// DNSKEY, CDS and CDNSKEY; static records; referrals with their NSEC), its NODATA answer (SOA and NSEC), and for
// routed names the answers deterministic policies (geo, proximity, failover) give a client with no location, at
// each target's location and at each custom network's location. Weighted, multivalue and regional answers (drawn
// per query or per region's clients) and names only a wildcard answers are signed on first use. Bounded per change
// and zone: as many answers looked at as the DNSSEC cache bound (--dnssec-cache) and a fifth as many signatures made
// (aheadBounds).
import type { CompiledLocation } from '../../api/compiled.ts';
import type { HealthOverrides } from '../routing/candidates.ts';
import { decide, type Decision } from '../routing/decide.ts';
import type { ClientLocation } from '../geoip/types.ts';
import { UNKNOWN_LOCATION } from '../geoip/types.ts';
import type { ZoneSigner } from '../dnssec/signer.ts';
import { lookup } from '../zone/lookup.ts';
import { TYPE, type AnswerPart, type ZoneIndex } from '../zone/types.ts';
import { isDeterministic } from './plans.ts';
import { signedAnswer, typesAt } from './signed.ts';
import type { ServerState } from './state.ts';
import { DEFAULT_DNSSEC_CACHE } from './bounds.ts';

export interface AheadBounds {
  /** Most answers looked at per change and zone (a 100,000-name zone has about 3 a name). */
  maxAnswers: number;
  /** Most new signatures made in advance per change and zone (10,000: about 0.5 s of one core for ECDSA P-256). */
  maxSignatures: number;
}

/**
 * The bounds of signing in advance for a signature cache of `dnssecCache` entries: as many answers looked at (more
 * would push out what was signed first), a fifth as many signatures made. The default cache: 50,000 and 10,000.
 */
export function aheadBounds(dnssecCache: number = DEFAULT_DNSSEC_CACHE): AheadBounds {
  return { maxAnswers: dnssecCache, maxSignatures: Math.max(1, Math.floor(dnssecCache / 5)) };
}

/** Types a NODATA answer is signed for: the first one a name does not have (the NSEC is the same for any). */
const NODATA_PROBES = [TYPE.TXT, TYPE.MX, TYPE.SRV, TYPE.CAA, TYPE.AAAA, TYPE.A];

export interface AheadInput {
  zone: ZoneIndex;
  signer: ZoneSigner;
  /** The health table of now. */
  health: () => HealthOverrides;
  /** Seconds since 1970. */
  clock: () => number;
  /** Only these names (after a health change: the routed names whose targets changed); else every name. */
  names?: Iterable<string>;
  /** False once what the job was started for has been replaced: it stops. */
  current: () => boolean;
  /** The bounds (default: aheadBounds()); checked before each answer. */
  maxAnswers?: number;
  maxSignatures?: number;
}

/** What a job did: answers looked at, signatures made, whether a bound stopped it. */
export interface AheadSummary {
  zone: string;
  serial: number;
  answers: number;
  signatures: number;
  capped: boolean;
}

export type AheadJob = Generator<void, AheadSummary | undefined, void>;

/** The job: one answer signed a step. Undefined: stopped because what it was started for was replaced. */
export function* signAhead(input: AheadInput): AheadJob {
  const { zone, signer } = input;
  const defaults = aheadBounds();
  const maxAnswers = input.maxAnswers ?? defaults.maxAnswers;
  const maxSignatures = input.maxSignatures ?? defaults.maxSignatures;
  let answers = 0;
  let signatures = 0;
  const summary = (capped: boolean): AheadSummary => ({
    zone: zone.apex,
    serial: zone.serial,
    answers,
    signatures,
    capped,
  });
  for (const name of input.names ?? namesOf(zone)) {
    for (const qtype of questionsAt(zone, name)) {
      const result = lookup(zone, name, qtype);
      for (const decisions of decisionSets(zone, result.kind === 'referral' ? [] : result.parts, input.health())) {
        if (!input.current()) return undefined;
        if (answers >= maxAnswers || signatures >= maxSignatures) return summary(true);
        const before = signer.ahead;
        signedAnswer({
          zone,
          signer,
          result,
          decisions,
          qname: name,
          qtype,
          compactOk: false,
          now: input.clock(),
          path: 'ahead',
        });
        signatures += signer.ahead - before;
        answers++;
        yield;
      }
    }
  }
  return summary(false);
}

/** Every name of the zone but wildcards (whose answers are owned by the names asked for), apex first. */
function* namesOf(zone: ZoneIndex): Generator<string> {
  yield zone.apex;
  for (const name of zone.nodes.keys()) if (name !== zone.apex && !name.startsWith('*')) yield name;
  yield* zone.emptyNonTerminals;
}

/** The types a name has, and one it lacks (its NODATA answer); a delegation: its referral. */
function questionsAt(zone: ZoneIndex, name: string): number[] {
  const types = typesAt(zone, name);
  if (zone.cuts.has(name)) return [TYPE.NS];
  const absent = NODATA_PROBES.find((t) => !types.includes(t));
  return absent === undefined ? types : [...types, absent];
}

/**
 * The routing decisions to sign for: none when nothing routes; for deterministic policies one set per distinct
 * answer among the locations tried; nothing when a policy draws per query.
 */
function* decisionSets(zone: ZoneIndex, parts: readonly AnswerPart[], health: HealthOverrides): Generator<Decision[]> {
  const routed = parts.filter((p) => p.kind === 'routed');
  if (routed.length === 0) {
    yield [];
    return;
  }
  if (!isDeterministic(routed.map((p) => p.routed))) return;
  const seen = new Set<string>();
  for (const location of locationsFor(zone, routed)) {
    const decisions = routed.map((p) =>
      decide({ routed: p.routed, family: p.family, location, health, random: Math.random, explain: false }),
    );
    const key = decisions.map((d) => d.key).join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    yield decisions;
  }
}

/** A client nowhere known, one at each target's location, one at each custom network's location. */
function locationsFor(zone: ZoneIndex, routed: readonly Extract<AnswerPart, { kind: 'routed' }>[]): ClientLocation[] {
  const at = (l: CompiledLocation): ClientLocation => ({ ...l, source: 'network', prefixLength: 0 });
  return [
    UNKNOWN_LOCATION,
    ...routed.flatMap((p) => p.routed.targets.map((t) => at(t.location))),
    ...zone.compiled.networks.map((n) => at(n.location)),
  ];
}

/**
 * The jobs for a change, one per signed zone: every name after the zones or the keys changed; after a health change
 * (`tags`: the `apex|name` of the routed names whose targets changed, ServerState.setHealth) only those names. A job
 * stops when the zones or keys are replaced, a health job also when the health table is. `bounds`: each job's.
 */
export function aheadJobs(
  state: ServerState,
  clock: () => number,
  tags?: readonly string[],
  bounds: AheadBounds = aheadBounds(),
): AheadJob[] {
  const { snapshot, signers, health } = state;
  const byZone = new Map<string, string[]>();
  for (const tag of tags ?? []) {
    const bar = tag.indexOf('|');
    const names = byZone.get(tag.slice(0, bar));
    if (names) names.push(tag.slice(bar + 1));
    else byZone.set(tag.slice(0, bar), [tag.slice(bar + 1)]);
  }
  const current = () =>
    state.snapshot === snapshot && state.signers === signers && (tags === undefined || state.health === health);
  const jobs: AheadJob[] = [];
  for (const [apex, signer] of signers) {
    const zone = snapshot.zones.get(apex);
    const names = tags ? byZone.get(apex) : undefined;
    if (!zone || (tags && !names)) continue;
    jobs.push(
      signAhead({
        zone,
        signer,
        clock,
        current,
        health: () => state.health.targets,
        ...bounds,
        ...(names ? { names } : {}),
      }),
    );
  }
  return jobs;
}
