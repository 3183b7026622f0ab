// Fault injection for tests: answer the next requests with an error (500, 429 with Retry-After, ...), or delay
// every answer. Dropping watches, expiring history and going away are the server's own (server.ts).
export interface Failure {
  status: number;
  /** How many requests to fail; Infinity until cleared. */
  count: number;
  retryAfterSeconds?: number;
  /** Only requests this accepts (method and path with query). */
  match?: (method: string, url: string) => boolean;
}

const REASONS: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class Faults {
  delayMs = 0;
  private failures: Failure[] = [];

  fail(failure: Failure): void {
    this.failures.push({ ...failure });
  }

  clear(): void {
    this.failures = [];
    this.delayMs = 0;
  }

  /** The failure this request gets, if any (and counts it). */
  take(method: string, url: string): (Failure & { reason: string }) | undefined {
    const failure = this.failures.find((f) => f.count > 0 && (!f.match || f.match(method, url)));
    if (!failure) return undefined;
    failure.count -= 1;
    if (failure.count <= 0) this.failures = this.failures.filter((f) => f !== failure);
    return { ...failure, reason: REASONS[failure.status] ?? 'InternalError' };
  }
}
