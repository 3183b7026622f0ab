// geodns serve: the DNS server's flags, parsed into the options of dnsserver/server.ts, which starts it. Standalone
// (--resources: compile YAML, probe in-process), from compiled documents (--config DIR: what the operator writes or
// a ConfigMap mounts), or in a cluster (--kube: the operator's ConfigMaps through the API, with --config DIR as the
// cold-start fallback).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseLogLevel, parseSampleRate } from '../../dnsserver/observability/log.ts';
import { DEFAULT_METRICS_PORT } from '../../lib/http-endpoint.ts';
import { parseListenAddress } from '../../lib/listen-address.ts';
import { parseCidr } from '../../dnsserver/geoip/address.ts';
import { RRL_DEFAULTS, type RrlSettings } from '../../dnsserver/rrl/limiter.ts';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS } from '../../dnsserver/transport/tcp.ts';
import { UDP_IO_CHOICES, type UdpIoChoice } from '../../dnsserver/transport/udp-native.ts';
import { DEFAULT_SIGNATURES_PER_SECOND } from '../../dnsserver/dnssec/budget.ts';
import {
  DEFAULT_ANSWER_CACHE,
  DEFAULT_DNSSEC_CACHE,
  DEFAULT_REPLY_CACHE,
  MAX_REPLY_CACHE,
  MAX_CACHE_ENTRIES,
  type CacheBounds,
} from '../../dnsserver/answer/bounds.ts';
import {
  clusterSource,
  configDirSource,
  startDnsServer,
  type DnsServerOptions,
  type SourceSpec,
} from '../../dnsserver/server.ts';
import { EXIT_INVALID, EXIT_OK, UsageError, type CliIO, type Command } from '../command.ts';

const DEFAULT_LISTEN = '0.0.0.0:5353';
/** With --kube: how long to wait for the API at start-up before the fallback (a pod restart should not wait long). */
const DEFAULT_KUBE_WAIT_MS = 5000;
const DEFAULT_CLIENT_ERROR_LOG_RATE = 5;

const HELP = `Usage: geodns serve (--resources PATH... | --config DIR | --kube [--config DIR]) [options]

Runs the authoritative GeoDNS server over UDP and TCP.

Sources (exactly one):
  --resources PATH   standalone mode: GeoZone/GeoEndpoint/HealthProbe YAML files or folders (repeatable);
                     compiled in-process, HealthProbes run in-process, reloaded when the files change
                     (an invalid change is refused and the last good zones keep serving)
  --config DIR       serve compiled zone documents (geodns compile --out-dir, the operator, or a mounted
                     ConfigMap) and health tables from DIR; reloaded atomically on change
  --kube             in a cluster: list and watch the operator's zone ConfigMaps and health ConfigMap
                     through the API server; keeps serving what it has while the API is down. With
                     --config DIR, DIR (the same ConfigMaps mounted) is served when the API cannot be
                     reached at start-up, until it can

Cluster options (with --kube):
  --namespace NS           where the ConfigMaps are (default: the pod's namespace, else the kubeconfig
                           context's, else default)
  --kubeconfig FILE        default: $KUBECONFIG, ~/.kube/config, or the pod's service account
  --kube-wait SEC          how long to wait for the API at start-up before serving the --config fallback
                           (or, without one, starting unready) (default ${DEFAULT_KUBE_WAIT_MS / 1000})

Options:
  --listen ADDR:PORT       DNS listen address, repeatable; [::]:PORT for IPv6 (default ${DEFAULT_LISTEN})
  --geoip FILE             MaxMind-format database (GeoIP2/GeoLite2/DB-IP City or Country, or ip-location-db);
                           default: the embedded country database (licence: docs/geoip.md). Watched: a new
                           version (renamed over it, as geoipupdate does) is checked and swapped in without a
                           restart; one that does not open is refused and the last good one keeps answering
  --workers N              DNS worker threads sharing the port with SO_REUSEPORT (default: cores available);
                           0 answers in the main thread: least memory, but reloading a large zone there
                           pauses answering (see docs/serve.md)
  --udp-io PATH            how UDP is read and written: native (batches of datagrams per recvmmsg/sendmmsg
                           system call, through the addon npm ci builds; Linux), dgram (Node's sockets, one
                           call per datagram), or auto: native where the addon loads, else dgram, said once in
                           the log (default auto); the path in use is in /readyz and geodns_udp_io
  --metrics ADDR:PORT      /metrics, /healthz and /readyz (default 0.0.0.0:${DEFAULT_METRICS_PORT}); 'off' disables
  --log-level LEVEL        fatal, error, warn, info, debug, trace, silent (default info or $GEODNS_LOG_LEVEL)
  --query-log-sample RATE  log this fraction (0..1) of queries (default 0)
  --nsid TEXT              answer NSID requests (RFC 5001, dig +nsid) with TEXT, e.g. the pod name (default: off)
  --tcp-idle-timeout SEC   close idle TCP connections after SEC seconds (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000})
  --tcp-max-connections N  open TCP connections per worker (default ${DEFAULT_MAX_CONNECTIONS})
  --client-error-log-rate N  log at most N lines a second per worker about client-caused errors (garbled
                           messages, broken TCP framing, resets, slow connections; all are counted in
                           geodns_client_errors_total), and as many about rate-limited networks
                           (default ${DEFAULT_CLIENT_ERROR_LOG_RATE}; 0 logs none)
  --drain-timeout SEC      on SIGTERM/SIGINT: stop accepting, let answers in flight finish for up to SEC
                           seconds, then exit (default 5)
  --answer-cache N         plans (one per name and type asked) and encoded answers kept per worker, each
                           (default ${DEFAULT_ANSWER_CACHE}, at most ${MAX_CACHE_ENTRIES}); raise it above the questions your zones are
                           asked, or uniform queries over more names miss the cache (see docs/serve.md)
  --reply-cache N          with --udp-io native: replies kept per UDP socket for queries asked again, sent
                           by the addon without running the handler (default ${DEFAULT_REPLY_CACHE}, at most
                           ${MAX_REPLY_CACHE}, about 520 bytes each; 0: off). Only replies that the same
                           query bytes would get again are kept, and all are forgotten when zones, health,
                           the GeoIP database or keys change; off with --rrl-rate or --query-log-sample

DNSSEC (off by default, see docs/dnssec.md):
  --dnssec-keys DIR        sign the zones that have keys in DIR (BIND pairs K<zone>.+<alg>+<tag>.key/.private,
                           as dnssec-keygen writes them; ECDSA P-256 or Ed25519) for queries with the DO bit;
                           a bad key or a missing DIR stops the server at start-up, an empty DIR
                           signs nothing until keys arrive; DIR is watched, and a changed set of keys
                           is swapped in, or refused (the last good keys keep signing). Queries without DO are
                           answered as without keys
  --dnssec-sign-rate N     new signatures a second per worker for UDP queries (default ${DEFAULT_SIGNATURES_PER_SECOND}; 0: no
                           limit): cached signatures cost nothing, beyond it a DO query that needs a new one gets
                           TC=1 and its client retries over TCP, which is not limited
  --dnssec-cache N         signatures kept per signed zone and signed answers kept per worker, each
                           (default ${DEFAULT_DNSSEC_CACHE}, at most ${MAX_CACHE_ENTRIES}; about 2.2 KB of memory an entry); signing in
                           advance after a change looks at up to N answers and makes up to N/5 signatures

Response rate limiting (UDP; off by default, see docs/serve.md):
  --rrl-rate N             at most N responses a second per client network and response class, per worker
                           thread (0: off, the default)
  --rrl-slip N             send every Nth limited response truncated (TC=1) so that real clients retry over
                           TCP; 0 drops them all, 1 truncates them all (default ${RRL_DEFAULTS.slip})
  --rrl-window SEC         a flooding network stays limited this long after its flood stops (default ${RRL_DEFAULTS.windowSeconds})
  --rrl-ipv4-prefix N      client networks are IPv4 /N (default ${RRL_DEFAULTS.ipv4Prefix})
  --rrl-ipv6-prefix N      and IPv6 /N (default ${RRL_DEFAULTS.ipv6Prefix})
  --rrl-exempt CIDR        never limit this network, repeatable (clients with a valid DNS cookie are exempt too)
  --rrl-table-size N       buckets per worker, fixed memory of 22 bytes each (default ${RRL_DEFAULTS.tableSize})

Example:
  geodns serve --resources examples/standalone --listen 127.0.0.1:5353
  dig @127.0.0.1 -p 5353 www.geo.example.com +subnet=203.0.113.0/24
`;

/** The server's options, with the source as the flags give it. */
type ServeOptions = Omit<DnsServerOptions, 'source' | 'signal'> & {
  resources: string[];
  config: string | undefined;
  kube: { namespace: string | undefined; kubeconfig: string | undefined; startTimeoutMs: number } | undefined;
};

function positiveNumber(text: string | undefined, option: string, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${option}: expected a positive ${integer ? 'whole ' : ''}number, got '${text}'`);
  }
  return value;
}

function wholeNumber(text: string | undefined, option: string, fallback: number, max = 1_000_000_000): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new UsageError(`${option}: expected a whole number from 0 to ${max}, got '${text}'`);
  }
  return value;
}

function workerCount(text: string | undefined): number {
  return text === undefined ? availableParallelism() : wholeNumber(text, '--workers', 0, 256);
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

export function parseServeArgs(args: string[]): ServeOptions {
  const { values, positionals } = usage(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        resources: { type: 'string', multiple: true },
        config: { type: 'string' },
        kube: { type: 'boolean' },
        namespace: { type: 'string' },
        kubeconfig: { type: 'string' },
        'kube-wait': { type: 'string' },
        listen: { type: 'string', multiple: true },
        geoip: { type: 'string' },
        workers: { type: 'string' },
        metrics: { type: 'string' },
        'log-level': { type: 'string' },
        'query-log-sample': { type: 'string' },
        nsid: { type: 'string' },
        'tcp-idle-timeout': { type: 'string' },
        'tcp-max-connections': { type: 'string' },
        'client-error-log-rate': { type: 'string' },
        'rrl-rate': { type: 'string' },
        'rrl-slip': { type: 'string' },
        'rrl-window': { type: 'string' },
        'rrl-ipv4-prefix': { type: 'string' },
        'rrl-ipv6-prefix': { type: 'string' },
        'rrl-exempt': { type: 'string', multiple: true },
        'rrl-table-size': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'dnssec-keys': { type: 'string' },
        'dnssec-sign-rate': { type: 'string' },
        'dnssec-cache': { type: 'string' },
        'answer-cache': { type: 'string' },
        'reply-cache': { type: 'string' },
        'udp-io': { type: 'string' },
      },
    }),
  );
  // `--resources a b c` reads naturally; extra positionals belong to --resources.
  const resources = [...(values.resources ?? []), ...(values.resources ? positionals : [])];
  if (!values.resources && positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const sources = [resources.length > 0, values.config !== undefined && !values.kube, values.kube === true];
  if (sources.filter(Boolean).length !== 1) {
    throw new UsageError('give exactly one source: --resources PATH..., --config DIR or --kube [--config DIR]');
  }
  const clusterOnly = (['namespace', 'kubeconfig', 'kube-wait'] as const).filter((o) => values[o] !== undefined);
  if (!values.kube && clusterOnly.length > 0) throw new UsageError(`--${clusterOnly[0]} goes with --kube`);
  if (values['log-level'] !== undefined) usage(() => parseLogLevel(values['log-level'] as string, '--log-level'));
  return {
    resources,
    config: values.config,
    kube: values.kube
      ? {
          namespace: values.namespace,
          kubeconfig: values.kubeconfig,
          startTimeoutMs: positiveNumber(values['kube-wait'], '--kube-wait', DEFAULT_KUBE_WAIT_MS / 1000) * 1000,
        }
      : undefined,
    listen: usage(() => (values.listen ?? [DEFAULT_LISTEN]).map(parseListenAddress)),
    geoip: values.geoip,
    workers: workerCount(values.workers),
    metrics:
      values.metrics === 'off'
        ? undefined
        : usage(() => parseListenAddress(values.metrics ?? `0.0.0.0:${DEFAULT_METRICS_PORT}`)),
    logLevel: values['log-level'],
    nsid: usage(() => parseNsid(values.nsid)),
    querySampleRate: usage(() => parseSampleRate(values['query-log-sample'] ?? '0')),
    tcpIdleTimeoutMs:
      positiveNumber(values['tcp-idle-timeout'], '--tcp-idle-timeout', DEFAULT_IDLE_TIMEOUT_MS / 1000) * 1000,
    tcpMaxConnections: positiveNumber(
      values['tcp-max-connections'],
      '--tcp-max-connections',
      DEFAULT_MAX_CONNECTIONS,
      true,
    ),
    clientErrorLogRate: wholeNumber(
      values['client-error-log-rate'],
      '--client-error-log-rate',
      DEFAULT_CLIENT_ERROR_LOG_RATE,
    ),
    rrl: parseRrl(values),
    drainTimeoutMs: positiveNumber(values['drain-timeout'], '--drain-timeout', 5) * 1000,
    dnssecKeys: values['dnssec-keys'],
    dnssecSignRate: parseSignRate(values['dnssec-sign-rate'], values['dnssec-keys']),
    cacheBounds: parseCacheBounds(values, values['dnssec-keys']),
    udpIo: parseUdpIo(values['udp-io']),
  };
}

type RrlOption = 'rrl-rate' | 'rrl-slip' | 'rrl-window' | 'rrl-ipv4-prefix' | 'rrl-ipv6-prefix' | 'rrl-table-size';

/** The RRL settings, or undefined when --rrl-rate is 0 or not given (its other options then make no sense). */
function parseRrl(values: Partial<Record<RrlOption, string>> & { 'rrl-exempt'?: string[] }): RrlSettings | undefined {
  const rate = wholeNumber(values['rrl-rate'], '--rrl-rate', 0);
  if (rate === 0) {
    const stray = (Object.keys(values) as string[]).find((k) => k.startsWith('rrl-') && k !== 'rrl-rate');
    if (stray) throw new UsageError(`--${stray} needs --rrl-rate N (response rate limiting is off)`);
    return undefined;
  }
  const exempt = values['rrl-exempt'] ?? [];
  for (const text of exempt) {
    const cidr = parseCidr(text);
    if ('error' in cidr) throw new UsageError(`--rrl-exempt: ${cidr.error}`);
  }
  const window = wholeNumber(values['rrl-window'], '--rrl-window', RRL_DEFAULTS.windowSeconds, 3600);
  if (window === 0) throw new UsageError('--rrl-window: expected a whole number from 1 to 3600, got 0');
  const tableSize = wholeNumber(values['rrl-table-size'], '--rrl-table-size', RRL_DEFAULTS.tableSize, 1 << 24);
  if (tableSize < 16) throw new UsageError(`--rrl-table-size: expected at least 16, got ${tableSize}`);
  return {
    rate,
    slip: wholeNumber(values['rrl-slip'], '--rrl-slip', RRL_DEFAULTS.slip, 100),
    windowSeconds: window,
    ipv4Prefix: wholeNumber(values['rrl-ipv4-prefix'], '--rrl-ipv4-prefix', RRL_DEFAULTS.ipv4Prefix, 32),
    ipv6Prefix: wholeNumber(values['rrl-ipv6-prefix'], '--rrl-ipv6-prefix', RRL_DEFAULTS.ipv6Prefix, 128),
    exempt,
    tableSize,
  };
}

function parseUdpIo(text: string | undefined): UdpIoChoice {
  if (text === undefined) return 'auto';
  if (!(UDP_IO_CHOICES as readonly string[]).includes(text)) {
    throw new UsageError(`--udp-io: expected ${UDP_IO_CHOICES.join(', ')}, got '${text}'`);
  }
  return text as UdpIoChoice;
}

function parseSignRate(text: string | undefined, keys: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (keys === undefined) throw new UsageError('--dnssec-sign-rate needs --dnssec-keys DIR (nothing is signed)');
  return wholeNumber(text, '--dnssec-sign-rate', DEFAULT_SIGNATURES_PER_SECOND);
}

/** The cache bounds: positive whole numbers up to MAX_CACHE_ENTRIES; --dnssec-cache only with keys to sign with. */
function parseCacheBounds(
  values: Partial<Record<'answer-cache' | 'dnssec-cache' | 'reply-cache', string>>,
  keys: string | undefined,
): CacheBounds {
  const dnssec = values['dnssec-cache'];
  if (dnssec !== undefined && keys === undefined) {
    throw new UsageError('--dnssec-cache needs --dnssec-keys DIR (nothing is signed)');
  }
  const bound = (text: string | undefined, option: string, fallback: number, least = 1, most = MAX_CACHE_ENTRIES) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < least || value > most) {
      throw new UsageError(`${option}: expected a whole number from ${least} to ${most}, got '${text}'`);
    }
    return value;
  };
  return {
    answers: bound(values['answer-cache'], '--answer-cache', DEFAULT_ANSWER_CACHE),
    dnssec: bound(dnssec, '--dnssec-cache', DEFAULT_DNSSEC_CACHE),
    replies: bound(values['reply-cache'], '--reply-cache', DEFAULT_REPLY_CACHE, 0, MAX_REPLY_CACHE),
  };
}

/** NSID text: printable ASCII, at most 128 bytes (an identifier, not a message), or undefined when not given. */
function parseNsid(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length === 0 || text.length > 128 || !/^[\x21-\x7e]+$/.test(text)) {
    throw new Error(`--nsid: expected 1 to 128 printable ASCII characters without spaces, got '${text}'`);
  }
  return text;
}

/** Where serve's zones come from: the source flag given. */
function sourceOf(options: ServeOptions): SourceSpec {
  if (options.kube) return clusterSource({ ...options.kube, fallbackDir: options.config });
  if (options.config !== undefined) return configDirSource(options.config);
  const paths = options.resources;
  return {
    describe: { resources: paths },
    // Imported on demand: the compiler and its validators (the larger part of memory) load only in standalone mode.
    open: async (sink, log, metrics) =>
      (await import('../standalone.ts')).standalonePipeline(paths, sink, log, metrics),
  };
}

export async function serve(options: ServeOptions, io: CliIO): Promise<number> {
  // Signals are caught from the very start: one that arrives while starting up stops the server cleanly as soon
  // as there is something to stop, instead of killing the process mid-way.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const { resources: _resources, config: _config, kube: _kube, ...rest } = options;
    const server = await startDnsServer({ ...rest, source: sourceOf(options), signal: stop.signal });
    if (!server) return EXIT_OK;
    const { failed } = await server.stopped;
    return failed ? EXIT_INVALID : EXIT_OK;
  } catch (error) {
    io.stderr(`geodns serve: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the authoritative GeoDNS server (standalone on resource files, on compiled documents, or in a cluster)',
  help: HELP,
  run: (args, io) => serve(parseServeArgs(args), io),
};
