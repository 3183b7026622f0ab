// Listen addresses as the command line gives them: 'HOST:PORT', '[V6]:PORT' or ':PORT' (the DNS sockets and every
// metrics endpoint).
export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(text: string): ListenAddress {
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]*):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) throw new Error(`listen address '${text}' is not HOST:PORT or [IPV6]:PORT`);
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`listen address '${text}': port out of range`);
  return { host: match[1] === '' ? '0.0.0.0' : (match[1] as string), port };
}

export function formatListenAddress({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
