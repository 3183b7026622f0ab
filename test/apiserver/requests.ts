// Counts the requests the API test server receives: every HTTP request (`total`), and each request to a resource
// by user, verb (get, list, watch, create, update, patch, delete, deletecollection), API group, resource and
// subresource, counted once authenticated and before authorization or admission decide its fate (so refused and
// failed requests count too; injected faults and 401s are counted in `total` only). For benchmarks and tests that
// want to know how many requests, and which writes, a client made.
export interface RequestKey {
  /** The authenticated user's name (admin when the server has no tokens). */
  user: string;
  verb: string;
  /** '' for the core group. */
  group: string;
  /** The plural, e.g. configmaps, leases, geoendpoints. */
  resource: string;
  /** '' or e.g. status. */
  subresource: string;
}

export interface RequestCount extends RequestKey {
  count: number;
}

const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/** Whether a verb changes anything (everything but get, list and watch). */
export function isWrite(verb: string): boolean {
  return !READ_VERBS.has(verb);
}

export class RequestCounter {
  /** Every HTTP request, resources or not (discovery, /version, /openapi, health endpoints), faults included. */
  total = 0;
  readonly #counts = new Map<string, RequestCount>();

  record(key: RequestKey): void {
    const id = `${key.user}\u0000${key.verb}\u0000${key.group}\u0000${key.resource}\u0000${key.subresource}`;
    const entry = this.#counts.get(id);
    if (entry) entry.count += 1;
    else this.#counts.set(id, { ...key, count: 1 });
  }

  /** Every (user, verb, group, resource, subresource) seen, with its count. */
  entries(): RequestCount[] {
    return [...this.#counts.values()].map((e) => ({ ...e }));
  }

  /** The number of resource requests that match every field given. */
  count(filter: Partial<RequestKey> = {}): number {
    let sum = 0;
    for (const entry of this.#counts.values()) {
      const matches = (Object.keys(filter) as (keyof RequestKey)[]).every((k) => entry[k] === filter[k]);
      if (matches) sum += entry.count;
    }
    return sum;
  }

  reset(): void {
    this.total = 0;
    this.#counts.clear();
  }
}
