// geodns operator: GeoZones, GeoEndpoints and HealthProbes in a cluster become zone ConfigMaps, a health ConfigMap
// the DNS pods watch, and status on every resource.
import { parseArgs } from 'node:util';
import { parseLogLevel } from '../../lib/log.ts';
import { parseListenAddress } from '../../lib/listen-address.ts';
import { podNamespace } from '../../lib/kube/namespace.ts';
import { parseServer } from '../../operator/dns/ask.ts';
import { UsageError, type Command } from '../command.ts';
import type { OperatorArgs } from '../run-operator.ts';

export const DEFAULT_OPERATOR_METRICS = '0.0.0.0:9154';

const HELP = `Usage: geodns operator [options]

Watches GeoZones, GeoEndpoints, HealthProbes, Services, EndpointSlices and Namespaces and publishes, in its own
namespace, one ConfigMap per zone and the health ConfigMap the DNS pods watch; writes status on every resource.

Options:
  --kubeconfig FILE   kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)
  --namespace NS      where the ConfigMaps go (default: the pod's namespace, else geodns-system)
  --metrics ADDR:PORT /metrics, /healthz and /readyz (ready once the caches synced) (default ${DEFAULT_OPERATOR_METRICS});
                      'off' disables
  --log-level LEVEL   fatal, error, warn, info, debug, trace, silent (default info or $GEODNS_LOG_LEVEL)
  --dns-service NAME  the DNS pods' Service in --namespace, whose ready endpoints are asked which serial they
                      serve (the GeoZones' Serving column) (default geodns-dns)
  --leader-elect      elect one leader among replicas on the Lease geodns-operator in --namespace: only the
                      leader writes and probes, standbys keep their caches warm (see docs/operator.md)
  --lease-duration S  seconds a standby waits after the last renew it saw before taking over (default 15)
  --renew-deadline S  seconds the leader keeps leading without a successful renew (default 10)
  --retry-period S    seconds between attempts to acquire or renew (default 2)
  --resolver HOST[:PORT]
                      where Service targets' load-balancer hostnames (EKS and others publish one instead of an
                      IP) are resolved to A and AAAA, again as their TTL says, and where a signed zone's DS at
                      the parent is asked for (unless spec.dnssec.parent.servers names the parent's servers);
                      repeat for more servers (default: the system's resolver, /etc/resolv.conf; in a pod, the
                      cluster's DNS)
  --cluster-name NAME this cluster's name in the GeoZones' spec.peers: share Service targets with the other
                      clusters listed there (polled every 5 s; docs/multi-cluster.md) (default: no sharing)
  --peer-listen HOST:PORT
                      serve this cluster's signed peer documents there (GET /peers/v1/zones/<apex>);
                      requires --cluster-name (default: off)

Example:
  KUBECONFIG=~/.kube/config geodns operator --namespace geodns-system --metrics 127.0.0.1:9154
`;

function seconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${option}: expected a positive number of seconds, got '${text}'`);
  }
  return value * 1000;
}

/** "IPv4[:PORT]", "IPv6" or "[IPv6]:PORT", as the resolver takes it. */
function resolverAddress(text: string): string {
  if (parseServer(text) === undefined) {
    throw new Error(
      `--resolver: expected an IP address and an optional port (10.96.0.10, 127.0.0.1:5353, [::1]:5353), got '${text}'`,
    );
  }
  return text;
}

export function parseOperatorArgs(args: string[]): OperatorArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        metrics: { type: 'string' },
        'log-level': { type: 'string' },
        'dns-service': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
        resolver: { type: 'string', multiple: true },
        'cluster-name': { type: 'string' },
        'peer-listen': { type: 'string' },
      },
    }));
    if (values['log-level'] !== undefined) parseLogLevel(values['log-level'], '--log-level');
    const cluster = values['cluster-name'];
    if (cluster !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(cluster)) {
      throw new Error(`--cluster-name: expected a lower-case DNS label (eu, us-east-1), got '${cluster}'`);
    }
    if (values['peer-listen'] !== undefined && cluster === undefined) {
      throw new Error('--peer-listen requires --cluster-name');
    }
    return {
      kubeconfig: values.kubeconfig,
      namespace: values.namespace ?? podNamespace() ?? 'geodns-system',
      metrics: values.metrics === 'off' ? undefined : parseListenAddress(values.metrics ?? DEFAULT_OPERATOR_METRICS),
      logLevel: values['log-level'],
      dnsService: values['dns-service'],
      resolvers: (values.resolver ?? []).map(resolverAddress),
      peers:
        cluster === undefined
          ? undefined
          : {
              cluster,
              ...(values['peer-listen'] !== undefined ? { listen: parseListenAddress(values['peer-listen']) } : {}),
            },
      leaderElection: values['leader-elect']
        ? Object.fromEntries(
            Object.entries({
              leaseDurationMs: seconds(values['lease-duration'], '--lease-duration'),
              renewDeadlineMs: seconds(values['renew-deadline'], '--renew-deadline'),
              retryPeriodMs: seconds(values['retry-period'], '--retry-period'),
            }).filter(([, v]) => v !== undefined),
          )
        : undefined,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const operatorCommand: Command = {
  name: 'operator',
  summary: 'run the Kubernetes operator (resources in a cluster → zone and health ConfigMaps, status)',
  help: HELP,
  // The operator and the Kubernetes client load only when this command runs, not with every geodns command.
  run: async (args, io) => (await import('../run-operator.ts')).runOperator(parseOperatorArgs(args), io),
};
