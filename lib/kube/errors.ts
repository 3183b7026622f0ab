// What an error from the Kubernetes API says, for both sides: its HTTP status, and a short account for logs.
import { ApiException } from '@kubernetes/client-node';

/** The HTTP status an error carries: client-node's ApiException has `code`, its Watch errors `statusCode`. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

/** The API server's message in an ApiException's body (a Status object), if it has one. */
export function apiMessage(error: unknown): string | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body: unknown = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
    ? (body as { message: string }).message
    : undefined;
}

/** A short account of an API error: the status and the API server's message, or the network error. */
export function describeApiError(error: unknown): string {
  const status = statusOf(error);
  if (error instanceof ApiException) {
    const message = apiMessage(error);
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  if (!(error instanceof Error)) return String(error);
  const cause =
    error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${status !== undefined ? `HTTP ${status}: ` : ''}${error.message}${cause}`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
