// Asking a resolver for a hostname's A and AAAA records with their TTLs: Node's c-ares resolver, pointed at the
// servers the operator was given or at the system's (/etc/resolv.conf; in a pod, the cluster's DNS). Not
// getaddrinfo (dns.lookup): it gives no TTL and would read /etc/hosts.
import { Resolver } from 'node:dns/promises';
import type { Answers, Family, FamilyAnswer } from './decide.ts';

export interface HostnameLookup {
  /** Where it asks, for status messages: "127.0.0.1:5353", "the system's resolver (10.96.0.10)". */
  readonly resolver: string;
  lookup(hostname: string): Promise<Answers>;
}

/** Per try; two tries: a dead resolver costs a resolution a few seconds, not c-ares' default of half a minute. */
const TIMEOUT_MS = 2000;
const TRIES = 2;

/** Codes that are answers: NXDOMAIN, and a name without records of the type asked. */
const ANSWERS = new Set(['ENOTFOUND', 'ENODATA']);

export class DnsLookup implements HostnameLookup {
  readonly resolver: string;
  readonly #resolver: Resolver;

  /** `servers`: "HOST", "HOST:PORT", "[V6]:PORT" (setServers' forms); none: the system's resolver. Throws on one
   *  it cannot use. */
  constructor(servers: readonly string[] = []) {
    this.#resolver = new Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
    if (servers.length > 0) {
      this.#resolver.setServers([...servers]);
      this.resolver = servers.join(', ');
    } else {
      this.resolver = `the system's resolver (${this.#resolver.getServers().join(', ') || 'none configured'})`;
    }
  }

  async lookup(hostname: string): Promise<Answers> {
    const [A, AAAA] = await Promise.all([this.#family(hostname, 'A'), this.#family(hostname, 'AAAA')]);
    return { A, AAAA };
  }

  async #family(hostname: string, family: Family): Promise<FamilyAnswer> {
    try {
      const records =
        family === 'A'
          ? await this.#resolver.resolve4(hostname, { ttl: true })
          : await this.#resolver.resolve6(hostname, { ttl: true });
      return { kind: 'records', records };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined && ANSWERS.has(code)) return { kind: 'none' };
      return { kind: 'error', error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Abandons the queries in flight (they fail with ECANCELLED). */
  cancel(): void {
    this.#resolver.cancel();
  }
}
