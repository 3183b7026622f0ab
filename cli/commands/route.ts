// geodns route: explains which answer a routed name gives a client, without sending a query. It runs the same
// code the server runs (zone lookup, locator, routing policy, answer sections) on compiled zones: compiled from
// resource files, read from a folder, or (--kube) read from the ConfigMaps the operator published, through the
// DNS server's in-cluster source.
import { parseArgs } from 'node:util';
import type { CompiledRoutedName, CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import { formatLoadError, loadResources } from '../../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../../operator/inputs/snapshot.ts';
import { compile } from '../../operator/compile/index.ts';
import { loadConfigDir } from '../../dnsserver/config/load.ts';
import { parseAddress, parseCidr } from '../../dnsserver/geoip/address.ts';
import { embeddedDatabasePath, openGeoDatabase, type GeoDatabase } from '../../dnsserver/geoip/database.ts';
import { createLocator } from '../../dnsserver/geoip/locator.ts';
import type { ClientLocation } from '../../dnsserver/geoip/types.ts';
import {
  decide,
  describeLocation as describeMatch,
  type Candidate,
  type Decision,
} from '../../dnsserver/routing/index.ts';
import { buildAnswer } from '../../dnsserver/answer/sections.ts';
import { createSnapshot, lookup, TYPE } from '../../dnsserver/zone/index.ts';
import { EXIT_INVALID, EXIT_OK, UsageError, type CliIO, type Command } from '../command.ts';
import { resourceLabel } from '../../operator/compile/index.ts';
import { readClusterOnce, type ClusterRead } from '../../dnsserver/sources/cluster.ts';
import { DOCUMENT_LABEL, HEALTH_CONFIGMAP, ZONE_DOCUMENT } from '../../api/configmaps.ts';
import { describeApiError } from '../../lib/kube/errors.ts';
import { createLogger } from '../../lib/log.ts';

const HELP = `Usage: geodns route (--resources PATH... | --config DIR | --kube) --name NAME (--client IP | --subnet CIDR)
                    [--type A|AAAA] [--geoip FILE] [--namespace NS] [--kubeconfig FILE]

Explains the answer a name gives a client, without sending a query: where the client is (custom network, GeoIP
database or unknown), the candidate targets with their health, weight, priority and distance (for the regional
policy: the regions and each target's region), each step of the routing policy (regional: the client's region,
the walk through its backups, each region's health, the weighted order), and the final answer with the ECS scope
the server would return.

Options:
  --resources PATH  resource files or folders (as for geodns compile); repeatable, extra PATHs may follow
  --config DIR      a folder of compiled zone documents and health tables (as for geodns serve --config)
  --kube            the zone ConfigMaps and the health ConfigMap the operator published, read from the API
                    server as geodns serve --kube reads them (in a DNS pod: kubectl exec deploy/geodns-dns --
                    geodns route --kube ...); needs get/list on ConfigMaps, as the DNS pods have
  --namespace NS    with --kube: where the ConfigMaps are (default: the pod's namespace, else the kubeconfig
                    context's, else default)
  --kubeconfig FILE with --kube: default $KUBECONFIG, ~/.kube/config, or the pod's service account
  --name NAME       the name to explain, e.g. www.geo.example.com
  --type TYPE       A (default) or AAAA
  --client IP       the client's (or resolver's) address; the query carries no ECS
  --subnet CIDR     an ECS client subnet, e.g. 198.51.100.0/24; the scope is capped at its prefix length
  --geoip FILE      a MaxMind-format database (GeoIP2/GeoLite2/DB-IP City or Country, ip-location-db);
                    default: the embedded country database (licence: docs/geoip.md)
  -h, --help        show this help

Health comes from the health tables in --config DIR or the health ConfigMap (--kube); with --resources every
target has its compiled health. Give --geoip the database the server uses (in the chart's DNS pods: the file
under /etc/geodns/geoip/ when dns.geoip.source is not embedded).
Weighted, multivalue and regional answers are random per query: running twice may show different picks.

Exit status: 0 explained, 1 invalid input or the name is not in any zone, 2 usage error.
`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        resources: { type: 'string', multiple: true },
        config: { type: 'string' },
        name: { type: 'string' },
        type: { type: 'string', default: 'A' },
        client: { type: 'string' },
        subnet: { type: 'string' },
        geoip: { type: 'string' },
        kube: { type: 'boolean', default: false },
        namespace: { type: 'string' },
        kubeconfig: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

interface Sources {
  zones: CompiledZone[];
  health: HealthTable['targets'];
  errors: string[];
  notes?: string[];
  /** Where the zones were read, when that is worth saying. */
  from?: string;
}

async function fromResources(paths: string[]): Promise<Sources> {
  const loaded = await loadResources(paths);
  const errors = loaded.errors.map(formatLoadError);
  if (errors.length > 0) return { zones: [], health: {}, errors };
  const output = compile(compileInputOf(snapshotFromFiles(loaded), {}, new Date()));
  // Refused resources are left out of the zones, as in the server: say so, the name may be missing because of it.
  const notes: string[] = [];
  for (const result of output.results) {
    for (const c of result.conditions) {
      if (c.type === 'Accepted' && c.status !== 'True') {
        notes.push(`${resourceLabel(result)} is left out: ${c.reason}: ${c.message}`);
      }
    }
  }
  return { zones: output.zones, health: {}, errors: [], notes };
}

async function fromConfig(dir: string): Promise<Sources> {
  const loaded = await loadConfigDir(dir);
  return { zones: loaded.zones, health: loaded.health?.targets ?? {}, errors: loaded.errors };
}

/** A logger whose warnings and errors (what the server would log about the ConfigMaps) become notes and errors. */
function reportingLogger(report: { errors: string[]; notes: string[] }) {
  return createLogger({
    level: 'warn',
    env: {},
    destination: {
      write(line: string) {
        const { level, msg } = JSON.parse(line) as { level?: string; msg?: string };
        (level === 'warn' ? report.notes : report.errors).push(msg ?? line);
      },
    },
  });
}

async function fromCluster(namespace: string | undefined, kubeconfig: string | undefined): Promise<Sources> {
  const report = { errors: [] as string[], notes: [] as string[] };
  let read: ClusterRead;
  try {
    read = await readClusterOnce({ log: reportingLogger(report), namespace, kubeconfig });
  } catch (error) {
    return { zones: [], health: {}, errors: [`cannot read the ConfigMaps: ${describeApiError(error)}`] };
  }
  const where = `namespace ${read.namespace} on ${read.server ?? 'the API server'}`;
  if (read.zoneConfigMaps === 0) {
    report.errors.push(`no zone ConfigMaps (label ${DOCUMENT_LABEL}=${ZONE_DOCUMENT}) in ${where}`);
  }
  const health = read.healthConfigMap
    ? `health ConfigMap ${HEALTH_CONFIGMAP} (${Object.keys(read.health.targets).length} targets)`
    : `no health ConfigMap ${HEALTH_CONFIGMAP}: the health recorded in the zones`;
  return {
    zones: read.zones,
    health: read.health.targets,
    errors: report.errors,
    notes: report.notes,
    from: `${read.zoneConfigMaps} zone ConfigMap${read.zoneConfigMaps === 1 ? '' : 's'} in ${where}; ${health}`,
  };
}

function describeLocation(location: ClientLocation, database: GeoDatabase): string {
  const place = [location.continent, location.country, location.subdivision].filter(Boolean).join(' / ');
  const parts = [place || 'no country'];
  if (location.region) parts.push(`region ${location.region}`);
  if (location.latitude !== undefined && location.longitude !== undefined) {
    parts.push(`${location.latitude},${location.longitude}${location.centroid ? ' (country centroid)' : ''}`);
  }
  const from =
    location.source === 'network'
      ? `custom network ${location.network}`
      : location.source === 'geoip'
        ? `GeoIP database ${database.path} (${database.type}), network ${location.network}`
        : `nowhere: neither a custom network nor ${database.path} knows the address`;
  return `${location.source === 'none' ? 'unknown' : parts.join(', ')}\n  from:       ${from}\n  prefix:     /${location.prefixLength}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows
    .map((row) => `  ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ')}`.trimEnd())
    .join('\n');
}

/** The regional policy's regions: where their clients are, their backups, and the default. */
function describeRegions(routed: CompiledRoutedName): string {
  if (!routed.regions?.length) return '  (none: the compiled document names no regions)';
  const rows = [['region', 'locations', 'backups']];
  for (const region of routed.regions ?? []) {
    rows.push([
      region.name + (region.name === routed.defaultRegion ? ' (default)' : ''),
      region.locations.map(describeMatch).join('; ') || '-',
      region.backups.join(', ') || '-',
    ]);
  }
  return table(rows);
}

function describeRegionalCandidates(candidates: Candidate[]): string {
  const rows = [['target', 'id', 'region', 'health', 'weight', 'addresses']];
  for (const c of candidates) {
    rows.push([
      c.target.name,
      c.target.id,
      c.target.region ?? '-',
      `${c.healthy ? 'up' : 'down'} (${c.healthSource})`,
      String(c.target.weight),
      c.addresses.join(' '),
    ]);
  }
  return table(rows);
}

function describeCandidates(candidates: Candidate[]): string {
  const rows = [['target', 'id', 'health', 'weight', 'priority', 'location', 'distance', 'addresses']];
  for (const c of candidates) {
    const l = c.target.location;
    const coordinates = l.latitude !== undefined && l.longitude !== undefined ? `${l.latitude},${l.longitude}` : '';
    const where = [l.region, l.continent, l.country, l.subdivision, coordinates].filter(Boolean).join('/') || '(any)';
    rows.push([
      c.target.name,
      c.target.id,
      `${c.healthy ? 'up' : 'down'} (${c.healthSource})`,
      String(c.target.weight),
      String(c.target.priority),
      where,
      c.distanceKm === undefined ? '-' : `${Math.round(c.distanceKm)} km`,
      c.addresses.join(' '),
    ]);
  }
  return table(rows);
}

export const routeCommand: Command = {
  name: 'route',
  summary: 'explain the answer a name gives a client (location, candidates, policy steps, ECS scope)',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args);
    const resourcePaths = [...(values.resources ?? []), ...positionals];
    const given = [resourcePaths.length > 0, values.config !== undefined, values.kube].filter(Boolean).length;
    if (given !== 1) throw new UsageError('give one of --resources PATH..., --config DIR or --kube');
    if (!values.kube && (values.namespace !== undefined || values.kubeconfig !== undefined)) {
      throw new UsageError('--namespace and --kubeconfig go with --kube');
    }
    if (!values.name) throw new UsageError('--name NAME is required');
    if ((values.client === undefined) === (values.subnet === undefined)) {
      throw new UsageError('give either --client IP or --subnet CIDR');
    }
    const family = values.type.toUpperCase();
    if (family !== 'A' && family !== 'AAAA') throw new UsageError(`--type must be A or AAAA, not '${values.type}'`);
    const name = values.name.toLowerCase().replace(/\.$/, '');

    let address: string;
    let sourcePrefix: number | undefined;
    if (values.subnet !== undefined) {
      const cidr = parseCidr(values.subnet);
      if ('error' in cidr) throw new UsageError(`--subnet: ${cidr.error}`);
      address = cidr.text;
      sourcePrefix = cidr.prefixLength;
    } else {
      const parsed = parseAddress(values.client ?? '');
      if (!parsed) throw new UsageError(`--client: '${values.client}' is not an IP address`);
      address = parsed.text;
    }

    let database: GeoDatabase;
    try {
      database = await openGeoDatabase(values.geoip ?? embeddedDatabasePath());
    } catch (error) {
      io.stderr(`error: ${(error as Error).message}\n`);
      return EXIT_INVALID;
    }
    const sources = values.kube
      ? await fromCluster(values.namespace, values.kubeconfig)
      : values.config !== undefined
        ? await fromConfig(values.config)
        : await fromResources(resourcePaths);
    for (const error of sources.errors) io.stderr(`error: ${error}\n`);
    for (const note of sources.notes ?? []) io.stderr(`note: ${note}\n`);
    if (sources.errors.length > 0 && sources.zones.length === 0) return EXIT_INVALID;

    const zone = createSnapshot(sources.zones).findZone(name);
    if (!zone) {
      const apexes = sources.zones.map((z) => z.zone).join(', ') || 'none';
      io.stderr(`error: ${name} is in none of the zones (${apexes})\n`);
      return EXIT_INVALID;
    }

    const out: string[] = [];
    if (sources.from !== undefined) out.push(`from:         ${sources.from}`);
    out.push(`zone:         ${zone.apex} (serial ${zone.serial})`);
    out.push(
      `client:       ${sourcePrefix === undefined ? `${address} (source address, no ECS)` : `${address}/${sourcePrefix} (ECS subnet)`}`,
    );
    const location = createLocator(zone.compiled.networks, database).locate(address);
    out.push(`location:     ${describeLocation(location, database).replace(/\n {2}/g, '\n  ')}`);

    const result = lookup(zone, name, family === 'A' ? TYPE.A : TYPE.AAAA);
    const decisions: Decision[] = [];
    if (result.kind !== 'referral') {
      for (const part of result.parts) {
        if (part.kind === 'static') {
          out.push(`static:       ${part.rrset.name} ${part.rrset.type} ${part.rrset.data.map(String).join(' ')}`);
          continue;
        }
        const r = part.routed;
        const decision = decide({
          routed: r,
          family: part.family,
          location,
          health: sources.health,
          random: Math.random,
        });
        decisions.push(decision);
        out.push(
          `routed name:  ${part.name} from ${r.source}, policy ${r.policy}, TTL ${r.ttl}, maxAnswers ${r.maxAnswers}`,
        );
        if (r.policy === 'regional') {
          out.push('regions:');
          out.push(describeRegions(r));
        }
        out.push(`candidates (${part.family}):`);
        const describe = r.policy === 'regional' ? describeRegionalCandidates : describeCandidates;
        out.push(decision.candidates.length > 0 ? describe(decision.candidates) : '  (none)');
        out.push('steps:');
        for (const step of decision.steps) out.push(`  - ${step}`);
      }
    }

    const built = buildAnswer(zone, result, decisions);
    const rcode =
      ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][built.rcode] ?? String(built.rcode);
    out.push(`answer:       ${rcode}${built.authoritative ? ', authoritative' : ', referral'}`);
    for (const [section, records] of [
      ['answer', built.sections.answers],
      ['authority', built.sections.authorities],
      ['additional', built.sections.additionals],
    ] as const) {
      for (const record of records) {
        const data = 'data' in record ? record.data : '';
        const text = typeof data === 'object' && data !== null ? JSON.stringify(data) : String(data);
        out.push(
          `  ${section.padEnd(10)}  ${record.name}. ${'ttl' in record ? record.ttl : ''} IN ${record.type} ${text}`,
        );
      }
    }
    const scope = Math.max(0, ...decisions.map((d) => d.scopePrefix));
    out.push(
      sourcePrefix === undefined
        ? `ECS scope:    /${scope} (would be returned to a query carrying ECS; this query has none)`
        : `ECS scope:    /${Math.min(scope, sourcePrefix)}${scope > sourcePrefix ? ` (decision /${scope}, capped at the source prefix /${sourcePrefix})` : ''}`,
    );
    io.stdout(`${out.join('\n')}\n`);
    return EXIT_OK;
  },
};
