// geodns operator, once its arguments are parsed: the operator, its metrics endpoint and a clean stop on SIGTERM.
import { createLogger } from '../lib/log.ts';
import { startHttpServer, type ObservabilityServer } from '../lib/http-endpoint.ts';
import { formatListenAddress, type ListenAddress } from '../lib/listen-address.ts';
import { loadKubeConfig } from '../lib/kube/kubeconfig.ts';
import { OperatorMetrics } from '../operator/observability/metrics.ts';
import { Operator } from '../operator/operator.ts';
import { EXIT_INVALID, EXIT_OK, type CliIO } from './command.ts';
import { setOperatorV8Flags } from './operator-v8-flags.ts';

/** What `geodns operator` was asked for (cli/commands/operator.ts parses it; nothing here imports that module). */
export interface OperatorArgs {
  kubeconfig: string | undefined;
  namespace: string;
  metrics: ListenAddress | undefined;
  logLevel: string | undefined;
  dnsService: string | undefined;
  /** Where load-balancer hostnames are resolved (none: the system's resolver). */
  resolvers: string[];
  leaderElection: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | undefined;
  /** --cluster-name and --peer-listen (none: no sharing with other clusters). */
  peers?: { cluster: string; listen?: ListenAddress } | undefined;
}

/** The operator's own Pod, from the downward API (the chart sets POD_NAME and POD_NAMESPACE; its namespace defaults
 *  to --namespace). Without POD_NAME (a process outside a Pod) there is none, and nothing is labelled. */
function ownPod(namespace: string, env: NodeJS.ProcessEnv): { name: string; namespace: string } | undefined {
  const name = env.POD_NAME?.trim();
  return name ? { name, namespace: env.POD_NAMESPACE?.trim() || namespace } : undefined;
}

export async function runOperator(args: OperatorArgs, io: CliIO): Promise<number> {
  setOperatorV8Flags();
  const log = createLogger({
    name: 'geodns-operator',
    ...(args.logLevel !== undefined ? { level: args.logLevel } : {}),
  });
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig(args.kubeconfig);
  } catch (error) {
    io.stderr(`geodns operator: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  const metrics = new OperatorMetrics({ defaultMetrics: true });
  let operator: Operator;
  const pod = ownPod(args.namespace, process.env);
  try {
    operator = new Operator({
      kubeConfig,
      namespace: args.namespace,
      log,
      metrics,
      ...(args.dnsService !== undefined ? { dnsService: args.dnsService } : {}),
      ...(args.leaderElection ? { leaderElection: args.leaderElection } : {}),
      resolvers: args.resolvers,
      checkParentDs: true,
      ...(args.peers ? { peers: args.peers } : {}),
      ...(pod ? { pod } : {}),
    });
  } catch (error) {
    io.stderr(`geodns operator: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  let http: ObservabilityServer | undefined;
  let stopping = false;
  if (args.metrics) {
    try {
      http = await startHttpServer({
        ...args.metrics,
        ready: () => !stopping && operator.synced,
        metrics: () => metrics.text(),
        onError: (message) => log.error({ message }, 'metrics failed'),
      });
    } catch (error) {
      io.stderr(
        `geodns operator: cannot serve metrics on ${formatListenAddress(args.metrics)}: ${(error as Error).message}\n`,
      );
      return EXIT_INVALID;
    }
  }
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    http?.setDraining();
    void operator
      .stop()
      .then(() => http?.close())
      .then(() => {
        log.info('stopped');
        resolveDone();
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log.info({ namespace: args.namespace, metrics: http ? formatListenAddress(http) : 'off' }, 'starting');
  operator.start().catch((error: unknown) => {
    log.error({ err: error }, 'the operator could not start');
    stop('start failed');
  });
  await done;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  return EXIT_OK;
}
