// Which serial each DNS pod serves: the operator asks every ready endpoint of the DNS Service for the zone's SOA
// over UDP, as a secondary would. The answer feeds the GeoZone's status (how many pods serve the current serial).
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';

export interface DnsServer {
  address: string;
  port: number;
}

/** The SOA serial `server` answers for `apex`, or undefined when it does not answer in time or is not authoritative. */
export async function querySerial(server: DnsServer, apex: string, timeoutMs = 1000): Promise<number | undefined> {
  const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
  const id = Math.floor(Math.random() * 65536);
  const query = dnsPacket.encode({ id, type: 'query', flags: 0, questions: [{ type: 'SOA', name: apex }] });
  try {
    return await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.on('message', (message) => {
        let reply;
        try {
          reply = dnsPacket.decode(message);
        } catch {
          return; // not a DNS message: keep waiting
        }
        if (reply.id !== id) return;
        clearTimeout(timer);
        const soa = reply.answers?.find((a) => a.type === 'SOA' && a.name.toLowerCase() === apex.toLowerCase());
        const aa = ((reply.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0;
        resolve(soa && aa && soa.type === 'SOA' ? soa.data.serial : undefined);
      });
      socket.send(query, server.port, server.address);
    });
  } finally {
    socket.close();
  }
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
