// Whether the parent zone's DS records point at the zone's keys: the operator asks for `<apex> DS`, of the parent's
// own name servers when spec.dnssec.parent.servers names them (as Knot's DS check does: no cache between) or else
// of its resolver (--resolver, or the system's: in a pod, the cluster's DNS, which answers DS from the parent side
// of the cut). `parentDsStatus` compares what came back with the keys (pure); status, Events and key rolls follow.
import dnsPacket from 'dns-packet';
import { dnskeyRdata, dsRdata, isDsDigestType } from '../../lib/dnssec/keys.ts';
import { ask, isAuthoritative, rcodeOf, type DnsServer } from '../dns/ask.ts';
import type { KeyStatus } from './plan.ts';

export interface ParentDsRecord {
  keyTag: number;
  algorithm: number;
  digestType: number;
  /** Lower-case hex. */
  digest: string;
}

/** What the parent side said: its DS records (none: it has none) and their TTL, or why it could not be asked. */
export type ParentDsAnswer =
  | { kind: 'records'; records: ParentDsRecord[]; ttl: number; from: string; authoritative: boolean }
  | { kind: 'none'; from: string; authoritative: boolean }
  | { kind: 'error'; error: string; from: string };

/**
 * Matches: every DS at the parent points at a key of the zone. Partial: some do, others point at keys the zone no
 * longer has (harmless; remove them). Mismatch: none does, so validating resolvers fail the zone. Missing: the
 * parent has no DS, so nothing validates (and nothing fails). Unknown: the parent side could not be asked.
 */
export type ParentDsState = 'Matches' | 'Partial' | 'Mismatch' | 'Missing' | 'Unknown';

export interface ParentDsStatus {
  state: ParentDsState;
  /** The zone's keys that a DS at the parent points at. */
  keyTags: number[];
  /** The parent's DS rdata, as `<tag> <alg> <digest type> <hex>`. */
  records: string[];
  /** Where it was asked. */
  source: string;
  /** When (RFC 3339). */
  checked: string;
  message: string;
}

const TIMEOUT_MS = 2000;
const RCODE_NAMES: Readonly<Record<number, string>> = { 1: 'FORMERR', 2: 'SERVFAIL', 4: 'NOTIMP', 5: 'REFUSED' };

/** Asks `servers` in turn for `apex` DS until one answers; `recursive`: they are resolvers (RD set). */
export async function queryParentDs(
  servers: readonly DnsServer[],
  apex: string,
  recursive: boolean,
  timeoutMs = TIMEOUT_MS,
): Promise<ParentDsAnswer> {
  const errors: string[] = [];
  for (const server of servers) {
    const from = server.address.includes(':')
      ? `[${server.address}]:${server.port}`
      : `${server.address}:${server.port}`;
    const id = Math.floor(Math.random() * 65536);
    const query = dnsPacket.encode({
      id,
      type: 'query',
      flags: recursive ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ type: 'DS', name: apex }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.OptAnswer],
    });
    const reply = await ask(server, query, id, timeoutMs);
    if (!reply) {
      errors.push(`${from}: no answer in ${timeoutMs} ms`);
      continue;
    }
    const rcode = rcodeOf(reply);
    if ((reply.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) {
      errors.push(`${from}: the answer was truncated`);
      continue;
    }
    if (rcode !== 0 && rcode !== 3) {
      errors.push(`${from}: answered ${RCODE_NAMES[rcode] ?? `rcode ${rcode}`}`);
      continue;
    }
    const authoritative = isAuthoritative(reply);
    if (!recursive && !authoritative) {
      errors.push(`${from}: is not authoritative for the parent of ${apex} (a referral or a resolver)`);
      continue;
    }
    const records = (reply.answers ?? []).flatMap((a) =>
      a.type === 'DS' && a.name.toLowerCase() === apex.toLowerCase()
        ? [
            {
              record: {
                keyTag: a.data.keyTag,
                algorithm: a.data.algorithm,
                digestType: a.data.digestType,
                digest: a.data.digest.toString('hex'),
              },
              ttl: a.ttl ?? 0,
            },
          ]
        : [],
    );
    if (records.length === 0) return { kind: 'none', from, authoritative };
    return {
      kind: 'records',
      records: records.map((r) => r.record),
      ttl: Math.min(...records.map((r) => r.ttl)),
      from,
      authoritative,
    };
  }
  return { kind: 'error', error: errors.join('; ') || 'no server to ask', from: servers.length > 0 ? 'servers' : '' };
}

const dsTextOf = (r: ParentDsRecord): string => `${r.keyTag} ${r.algorithm} ${r.digestType} ${r.digest}`;

/** A key the parent's DS may point at: the zone's own (as status lists it), or a peer cluster's (multi-signer). */
export type DsKey = Pick<KeyStatus, 'keyTag' | 'algorithm' | 'flags' | 'publicKey'>;

/** Whether `record` is the DS of `key`, for the digest types this can compute. */
function pointsAt(apex: string, record: ParentDsRecord, key: DsKey): boolean {
  if (record.keyTag !== key.keyTag || record.algorithm !== key.algorithm || !isDsDigestType(record.digestType)) {
    return false;
  }
  const dnskey = dnskeyRdata(key.flags, key.algorithm, Buffer.from(key.publicKey, 'base64'));
  return dsRdata(apex, dnskey, record.digestType).subarray(4).toString('hex') === record.digest.toLowerCase();
}

/** What the parent's answer says of the zone's keys. */
export function parentDsStatus(
  apex: string,
  keys: readonly DsKey[],
  answer: ParentDsAnswer,
  now: Date,
): ParentDsStatus {
  const checked = now.toISOString();
  const source = answer.from;
  if (answer.kind === 'error') {
    return {
      state: 'Unknown',
      keyTags: [],
      records: [],
      source,
      checked,
      message: `asking for ${apex} DS: ${answer.error}`,
    };
  }
  if (answer.kind === 'none') {
    return {
      state: 'Missing',
      keyTags: [],
      records: [],
      source,
      checked,
      message: `${source} has no DS for ${apex}: resolvers do not validate the zone until the parent holds one of status.dnssec.ds`,
    };
  }
  const records = answer.records.map(dsTextOf);
  const matched = new Set<number>();
  const strays: string[] = [];
  for (const record of answer.records) {
    const key = keys.find((k) => pointsAt(apex, record, k));
    if (key) matched.add(key.keyTag);
    else {
      const why = isDsDigestType(record.digestType) ? '' : ` (digest type ${record.digestType} is not checked here)`;
      strays.push(`${dsTextOf(record)}${why}`);
    }
  }
  const keyTags = [...matched].sort((a, b) => a - b);
  if (strays.length === 0) {
    return {
      state: 'Matches',
      keyTags,
      records,
      source,
      checked,
      message: `the parent's DS points at key ${keyTags.join(',')}`,
    };
  }
  if (keyTags.length > 0) {
    return {
      state: 'Partial',
      keyTags,
      records,
      source,
      checked,
      message: `the parent's DS points at key ${keyTags.join(',')}, and also at no key of the zone: ${strays.join('; ')} (remove it at the registrar)`,
    };
  }
  return {
    state: 'Mismatch',
    keyTags,
    records,
    source,
    checked,
    message: `no DS at the parent points at a key of the zone (${strays.join('; ')}): validating resolvers fail every answer; give the parent status.dnssec.ds`,
  };
}
