// Which serial and which DNSSEC keys each DNS pod serves: the operator asks every ready endpoint of the DNS Service
// for the zone's SOA over UDP, as a secondary would, and for a signed zone its DNSKEY with the DO bit, as a validator
// would. The answers feed the GeoZone's status (how many pods serve the current serial, and the current key set).
import dnsPacket from 'dns-packet';
import type { CompiledDnssec } from '../../api/compiled.ts';
import { keyTag } from '../../lib/dnssec/keys.ts';
import { publishedDnskey } from '../../lib/dnssec/published.ts';
import { ask, isAuthoritative, rcodeOf, type DnsServer } from '../dns/ask.ts';

/** The SOA serial `server` answers for `apex`, or undefined when it does not answer in time or is not authoritative. */
export async function querySerial(server: DnsServer, apex: string, timeoutMs = 1000): Promise<number | undefined> {
  const id = Math.floor(Math.random() * 65536);
  const query = dnsPacket.encode({ id, type: 'query', flags: 0, questions: [{ type: 'SOA', name: apex }] });
  const reply = await ask(server, query, id, timeoutMs);
  const soa = reply?.answers?.find((a) => a.type === 'SOA' && a.name.toLowerCase() === apex.toLowerCase());
  return reply && soa && isAuthoritative(reply) && soa.type === 'SOA' ? soa.data.serial : undefined;
}

/**
 * The key tags (sorted) of the DNSKEY rrset `server` answers for `apex` to a query with the DO bit, as a validator
 * asks: only when the answer is authoritative and the rrset carries an RRSIG (a server without the keys answers
 * SERVFAIL or unsigned, and says nothing here).
 */
export async function queryKeyTags(server: DnsServer, apex: string, timeoutMs = 1000): Promise<number[] | undefined> {
  const id = Math.floor(Math.random() * 65536);
  const query = dnsPacket.encode({
    id,
    type: 'query',
    flags: 0,
    questions: [{ type: 'DNSKEY', name: apex }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as dnsPacket.OptAnswer],
  });
  const reply = await ask(server, query, id, timeoutMs);
  // NOERROR: the low four bits of the flags (a SERVFAIL carries no DNSKEY anyway).
  if (!reply || !isAuthoritative(reply) || rcodeOf(reply) !== 0) return undefined;
  const atApex = (reply.answers ?? []).filter((a) => a.name.toLowerCase() === apex.toLowerCase());
  const signed = atApex.some((a) => a.type === 'RRSIG' && a.data.typeCovered === 'DNSKEY');
  const tags = atApex.flatMap((a) =>
    a.type === 'DNSKEY'
      ? [
          keyTag(
            Buffer.concat([Buffer.from([a.data.flags >> 8, a.data.flags & 0xff, 3, a.data.algorithm]), a.data.key]),
          ),
        ]
      : [],
  );
  return signed && tags.length > 0 ? [...new Set(tags)].sort((x, y) => x - y) : undefined;
}

export interface ServingCount {
  current: number;
  total: number;
}

/** How many of `servers` answer `serial` for `apex`. */
export async function countServing(
  servers: readonly DnsServer[],
  apex: string,
  serial: number,
  timeoutMs?: number,
): Promise<ServingCount> {
  const serials = await Promise.all(servers.map((s) => querySerial(s, apex, timeoutMs)));
  return { current: serials.filter((s) => s === serial).length, total: servers.length };
}

/** The key tags a signed zone's DNSKEY rrset holds: its own keys' and its peers' published keys' (multi-signer). */
export function dnskeyTagsOf(dnssec: CompiledDnssec): number[] {
  const published = (dnssec.publishedKeys ?? []).map((k) => keyTag(publishedDnskey(k)));
  return [...new Set([...dnssec.keyTags, ...published])].sort((a, b) => a - b);
}

/** How many of `servers` publish (and sign with) exactly the key set `keyTags` for `apex`. */
export async function countKeyServing(
  servers: readonly DnsServer[],
  apex: string,
  keyTags: readonly number[],
  timeoutMs?: number,
): Promise<ServingCount> {
  const want = [...new Set(keyTags)].sort((a, b) => a - b).join(',');
  const served = await Promise.all(servers.map((s) => queryKeyTags(s, apex, timeoutMs)));
  return { current: served.filter((tags) => tags?.join(',') === want).length, total: servers.length };
}

interface SliceLike {
  metadata?: { namespace?: string; labels?: Record<string, string> };
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } | null }[] | null;
}

/** The ready endpoints of a Service as DNS servers: the UDP port named `dns` (or the first UDP port). */
export function dnsServersOf(slices: readonly SliceLike[], namespace: string, service: string): DnsServer[] {
  const servers: DnsServer[] = [];
  for (const slice of slices) {
    if (slice.metadata?.namespace !== namespace) continue;
    if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== service) continue;
    const udp = (slice.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'UDP' && p.port);
    const port = (udp.find((p) => p.name === 'dns') ?? udp[0])?.port;
    if (!port) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) servers.push({ address, port });
    }
  }
  return servers;
}
