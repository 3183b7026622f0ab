// One DNS question over UDP, as the operator asks the DNS pods (serial, keys) and the parent zone (DS): the decoded
// reply whose id matches, or undefined when none comes in time. Anything that is not a DNS message is ignored.
import { createSocket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';

export interface DnsServer {
  address: string;
  port: number;
}

export type Reply = ReturnType<typeof dnsPacket.decode>;

/** Sends `query` (whose id is `id`) to `server` over UDP; its decoded reply, or undefined when none comes in time. */
export async function ask(server: DnsServer, query: Buffer, id: number, timeoutMs: number): Promise<Reply | undefined> {
  const socket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
  try {
    return await new Promise<Reply | undefined>((resolve) => {
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
        resolve(reply);
      });
      socket.send(query, server.port, server.address);
    });
  } finally {
    socket.close();
  }
}

/** The low four bits of the header flags: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED. */
export const rcodeOf = (reply: Reply): number => (reply.flags ?? 0) & 0x0f;

export const isAuthoritative = (reply: Reply): boolean => ((reply.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0;

/** "IPv4[:PORT]", "IPv6" or "[IPv6]:PORT" (port 53 unless told) as a server; undefined when it is not one. */
export function parseServer(text: string): DnsServer | undefined {
  let host = text;
  let port: string | undefined;
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(text);
  const colon = text.lastIndexOf(':');
  if (bracketed) [, host = '', port] = bracketed;
  else if (isIP(text) === 0 && colon > 0) [host, port] = [text.slice(0, colon), text.slice(colon + 1)];
  const family = isIP(host);
  const portNumber = port === undefined ? 53 : /^\d{1,5}$/.test(port) ? Number(port) : 0;
  if (family === 0 || portNumber < 1 || portNumber > 65535) return undefined;
  if (bracketed ? family !== 6 : port !== undefined && family !== 4) return undefined;
  return { address: host, port: portNumber };
}
