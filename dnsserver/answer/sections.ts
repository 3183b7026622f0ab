// Turns a zone lookup (plus the routing decisions for its routed parts) into response sections and an rcode.
import type { Answer } from 'dns-packet';
import type { Decision } from '../routing/decide.ts';
import type { LookupResult, RRset, ZoneIndex } from '../zone/types.ts';
import { RCODE, type Sections } from '../wire/types.ts';

export interface AnswerBody {
  sections: Sections;
  rcode: number;
  authoritative: boolean;
}

function records(rrset: RRset, ttl = rrset.ttl): Answer[] {
  return rrset.data.map((data) => ({ name: rrset.name, type: rrset.type, ttl, class: 'IN', data }) as Answer);
}

function negative(zone: ZoneIndex, answers: Answer[], rcode: number): AnswerBody {
  return {
    sections: { answers, authorities: records(zone.soa, zone.negativeTtl), additionals: [] },
    rcode,
    authoritative: true,
  };
}

/**
 * `decisions` holds one decision per routed part of the lookup, in order. A routed name whose decision has no
 * address of the asked family answers NODATA.
 */
export function buildAnswer(zone: ZoneIndex, result: LookupResult, decisions: readonly Decision[]): AnswerBody {
  if (result.kind === 'referral') {
    return {
      sections: { answers: [], authorities: records(result.ns), additionals: result.glue.flatMap((r) => records(r)) },
      rcode: RCODE.NOERROR,
      authoritative: false,
    };
  }
  const answers: Answer[] = [];
  let routedIndex = 0;
  let empty = false;
  for (const part of result.parts) {
    if (part.kind === 'static') {
      answers.push(...records(part.rrset));
      continue;
    }
    const decision = decisions[routedIndex++];
    const addresses = decision?.addresses ?? [];
    if (addresses.length === 0) empty = true;
    for (const address of addresses) {
      answers.push({
        name: part.owner ?? part.name,
        type: part.family,
        ttl: part.routed.ttl,
        class: 'IN',
        data: address,
      });
    }
  }
  if (result.kind === 'nxdomain') return negative(zone, answers, RCODE.NXDOMAIN);
  if (result.kind === 'nodata' || empty) return negative(zone, answers, RCODE.NOERROR);
  return {
    sections: {
      answers,
      authorities: (result.authority ?? []).flatMap((r) => records(r)),
      additionals: result.additional.flatMap((r) => records(r)),
    },
    rcode: RCODE.NOERROR,
    authoritative: true,
  };
}
