// One probe of one address: HTTP, HTTPS or TCP connect. Never throws: every failure becomes a ProbeResult with a
// precise error. No connection reuse (agent: false) and every socket is destroyed once the verdict is known.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { HealthProbeSpec } from '../../api/healthprobe.ts';
import { parseDuration } from '../../api/duration.ts';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** Why the probe failed, e.g. 'HTTP 503 not in 200-399', 'timeout after 2000ms'. */
  error?: string;
  /**
   * The connect failed before any packet left: the prober itself has no route to the address's family (its own
   * network, not the target's health). See families.ts for what that makes of the address.
   */
  noRoute?: true;
}

/** connect() errors the kernel returns from the prober's own routing table or sockets, not from the target. */
const NO_ROUTE_CODES = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function isNoRoute(error: unknown): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return syscall === 'connect' && code !== undefined && NO_ROUTE_CODES.has(code);
}

/** Only the first 64 KiB of a body are searched for bodyMatch. */
export const BODY_MATCH_LIMIT = 64 * 1024;
const DEFAULT_STATUS = [{ min: 200, max: 399 }];

/** host:port for a Host header or URL; IPv6 literals are bracketed. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The URL a probe requests, for messages: http://[::1]:8080/healthz. */
export function probeUrl(spec: HealthProbeSpec, address: string): string {
  const scheme = spec.type === 'HTTPS' ? 'https' : 'http';
  return `${scheme}://${formatHostPort(address, spec.port)}${spec.path || '/'}`;
}

export function describeStatusRanges(ranges: readonly { min: number; max: number }[]): string {
  return ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ');
}

export function statusAccepted(status: number, ranges: readonly { min: number; max: number }[]): boolean {
  return ranges.some((r) => status >= r.min && status <= r.max);
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  // TLS verification errors carry the reason in the code (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT...).
  if (code && !error.message.includes(code)) return `${error.message} (${code})`;
  return error.message;
}

/** Probes `address` once as `spec` says. `signal` aborts it (the result then says 'aborted'). */
export async function probeOnce(spec: HealthProbeSpec, address: string, signal?: AbortSignal): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(spec.timeout);
  } catch (error) {
    return { ok: false, latencyMs: 0, error: `timeout: ${errorMessage(error)}` };
  }
  if (!net.isIP(address)) {
    return { ok: false, latencyMs: 0, error: `not an IP address: "${address}"` };
  }
  if (signal?.aborted) return { ok: false, latencyMs: 0, error: 'aborted' };

  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let cleanup: () => void = () => undefined;
    const finish = (error?: string, noRoute = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      if (error === undefined) resolve({ ok: true, latencyMs: elapsed() });
      else resolve({ ok: false, latencyMs: elapsed(), error, ...(noRoute ? { noRoute: true as const } : {}) });
    };
    const fail = (error: unknown): void => finish(errorMessage(error), isNoRoute(error));
    const onAbort = (): void => finish('aborted');
    const timer = setTimeout(() => finish(`timeout after ${timeoutMs}ms`), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    if (spec.type === 'TCP') {
      const socket = net.connect({ host: address, port: spec.port });
      cleanup = () => socket.destroy();
      socket.once('connect', () => finish());
      socket.on('error', fail);
      return;
    }

    cleanup = startHttpProbe(spec, address, finish, fail);
  });
}

/** Starts the HTTP(S) request; calls `finish` with the verdict; returns how to tear everything down. */
function startHttpProbe(
  spec: HealthProbeSpec,
  address: string,
  finish: (error?: string) => void,
  fail: (error: unknown) => void,
): () => void {
  const ranges = spec.expectedStatus.length > 0 ? spec.expectedStatus : DEFAULT_STATUS;
  const hostHeader = spec.host ?? formatHostPort(address, spec.port);
  const options: https.RequestOptions = {
    host: address,
    port: spec.port,
    path: spec.path || '/',
    method: 'GET',
    agent: false,
    headers: { Host: hostHeader, 'User-Agent': 'kube-geodns-prober', Connection: 'close', Accept: '*/*' },
  };
  let request: http.ClientRequest;
  if (spec.type === 'HTTPS') {
    options.rejectUnauthorized = !spec.insecureSkipVerify;
    // SNI must be a name (RFC 6066); without a host the certificate is checked against the IP address.
    if (spec.host && !net.isIP(spec.host)) options.servername = spec.host;
    request = https.request(options);
  } else {
    request = http.request(options);
  }
  let response: http.IncomingMessage | undefined;
  const cleanup = (): void => {
    response?.destroy();
    request.destroy();
  };

  // `on`, not `once`: destroying a request can emit a second error, which must not go unhandled.
  request.on('error', fail);
  request.once('response', (res) => {
    response = res;
    res.on('error', (error) => finish(errorMessage(error)));
    const status = res.statusCode ?? 0;
    if (!statusAccepted(status, ranges)) {
      finish(`HTTP ${status} not in ${describeStatusRanges(ranges)}`);
      return;
    }
    const wanted = spec.bodyMatch;
    if (wanted === undefined || wanted === '') {
      finish();
      return;
    }
    // Decide as soon as the text is found (a streaming body may never end), or at 64 KiB, or at the end.
    const decoder = new StringDecoder('utf8');
    const missing = `body does not contain ${JSON.stringify(wanted)}`;
    let text = '';
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      const room = BODY_MATCH_LIMIT - size;
      size += Math.min(chunk.length, room);
      text += decoder.write(chunk.length > room ? chunk.subarray(0, room) : chunk);
      if (text.includes(wanted)) finish();
      else if (size >= BODY_MATCH_LIMIT) finish(missing);
    });
    res.once('end', () => finish((text + decoder.end()).includes(wanted) ? undefined : missing));
  });
  request.end();
  return cleanup;
}
