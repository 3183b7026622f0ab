// The observability HTTP endpoint of every geodns process: GET /metrics (Prometheus text), /healthz (liveness: 200
// while the process runs) and /readyz (readiness: 200 once the process can do its job, 503 before that and once
// draining, so that a Service stops sending traffic before shutdown). The DNS server listens on 9153, like CoreDNS.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { prometheusContentType } from 'prom-client';

export const DEFAULT_METRICS_PORT = 9153;

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: () => Promise<string>;
  ready: () => boolean;
  /** Lines added to the /readyz body ('key: value'), e.g. which I/O path serves. */
  details?: () => Record<string, string>;
  /** Told about failures to produce metrics (they are answered with 500). */
  onError?: (message: string) => void;
}

export interface ObservabilityServer {
  readonly host: string;
  /** The bound port (useful when listening on port 0). */
  readonly port: number;
  /** From now on /readyz answers 503. */
  setDraining(): void;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export async function startHttpServer(options: HttpServerOptions): Promise<ObservabilityServer> {
  let draining = false;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics':
        options.metrics().then(
          (text) => send(res, 200, text, prometheusContentType),
          (error: unknown) => {
            const message = `metrics: ${error instanceof Error ? error.message : String(error)}`;
            options.onError?.(message);
            send(res, 500, `${message}\n`);
          },
        );
        return;
      case '/healthz':
        send(res, 200, 'ok\n');
        return;
      case '/readyz': {
        const ready = !draining && options.ready();
        const details = Object.entries(options.details?.() ?? {}).map(([key, value]) => `${key}: ${value}\n`);
        send(res, ready ? 200 : 503, (draining ? 'draining\n' : ready ? 'ok\n' : 'not ready\n') + details.join(''));
        return;
      }
      default:
        send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: options.host,
    port,
    setDraining: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
