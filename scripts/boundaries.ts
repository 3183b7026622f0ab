// The module boundaries of DESIGN.md, checked by dependency-cruiser over the import graph (`npm run boundaries`,
// part of `npm test`). Two graphs: what loads at run time (type-only imports erased), for the rules about what
// code reaches; and every import including type-only ones, for the rules about what code may know of.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseOptions, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';

/** The folders of production code; tests, benchmarks and scripts may reach anything. */
export const PRODUCTION_ROOTS = ['api', 'lib', 'operator', 'dnsserver', 'cli'];

const IO_MODULES =
  '^(fs|fs/promises|net|dgram|dns|dns/promises|http|https|http2|tls|child_process|worker_threads|cluster)$|node_modules/@kubernetes/client-node/';
const KUBE_CLIENT = 'node_modules/@kubernetes/client-node/';

/** Rules over the run-time graph: what a module loads, directly or through anything it imports. */
export const RUNTIME_RULES: IForbiddenRuleType[] = [
  {
    name: 'pure-logic-reaches-no-io',
    comment:
      'compile, routing, rate limiting, DNSSEC signing and keys, the wire code, domain names and the hostname re-resolution rules are pure logic: they must not reach file, socket, process, ' +
      'thread or Kubernetes client modules, not even through a module they import. Pass data in; do the I/O in the caller.',
    severity: 'error',
    from: {
      path: '^((operator/compile|dnsserver/routing|dnsserver/wire|dnsserver/rrl|dnsserver/dnssec|lib/dns|lib/dnssec)/|operator/resolve/decide\\.ts$)',
    },
    to: { path: IO_MODULES, reachable: true },
  },
  {
    name: 'contract-reaches-no-io',
    comment:
      'api/ is the contract shared by the operator and the DNS server (schemas, document formats, constants, ' +
      'validation): it reads no files and opens no sockets. Reading belongs to an input (operator/inputs/) or a source.',
    severity: 'error',
    from: { path: '^api/' },
    to: { path: IO_MODULES, reachable: true },
  },
  {
    name: 'workers-load-no-typebox',
    comment:
      'DNS worker threads must not load TypeBox (hundreds of modules in every thread): worker code takes API ' +
      'values from api/constants.ts or api/location.ts and only type imports from the schema modules.',
    severity: 'error',
    from: { path: '^dnsserver/workers/thread-entry\\.ts$' },
    to: { path: 'node_modules/@sinclair/typebox/', reachable: true },
  },
  {
    name: 'kube-plumbing-through-one-door',
    comment:
      'each side reaches the Kubernetes API through one room: the operator through operator/kube/, the DNS server ' +
      'through its in-cluster source (dnsserver/sources/cluster.ts). Other modules get what those hand them.',
    severity: 'error',
    from: { path: '^(operator|dnsserver)/', pathNot: '^(operator/kube/|dnsserver/sources/cluster\\.ts$)' },
    to: { path: '^lib/kube/' },
  },
  {
    name: 'no-import-cycles',
    comment: 'modules must not import each other in a circle: split out the shared part into a module of its own.',
    severity: 'error',
    from: { path: `^(${PRODUCTION_ROOTS.join('|')})/` },
    to: { circular: true },
  },
];

/** Rules over every import, type-only ones included: what a module may know of. */
export const KNOWLEDGE_RULES: IForbiddenRuleType[] = [
  {
    name: 'wire-knows-no-zones',
    comment:
      'the wire code (dnsserver/wire) knows DNS messages only: nothing of zones, routing, answers, GeoIP or the ' +
      'API schemas. Give it plain values; the handler joins wire and zones.',
    severity: 'error',
    from: { path: '^dnsserver/wire/' },
    to: { path: '^(dnsserver/(zone|routing|answer|geoip|sources|config|server|transport|observability)/|api/)' },
  },
  {
    name: 'server-never-imports-operator',
    comment:
      'the DNS server depends only on the contract in api/: it must not import operator/. Share through api/, or ' +
      'wire the two together in cli/.',
    severity: 'error',
    from: { path: '^dnsserver/' },
    to: { path: '^operator/' },
  },
  {
    name: 'operator-never-imports-server',
    comment:
      'the operator depends only on the contract in api/: it must not import dnsserver/. Share through api/, or ' +
      'wire the two together in cli/.',
    severity: 'error',
    from: { path: '^operator/' },
    to: { path: '^dnsserver/' },
  },
  {
    name: 'contract-imports-only-contract',
    comment: 'api/ is the contract both sides import: it must not import the operator, the DNS server, lib/ or cli/.',
    severity: 'error',
    from: { path: '^api/' },
    to: { path: '^(operator|dnsserver|lib|cli)/' },
  },
  {
    name: 'lib-knows-neither-side',
    comment: 'lib/ holds small utilities shared by both sides: it must not import api/, operator/, dnsserver/ or cli/.',
    severity: 'error',
    from: { path: '^lib/' },
    to: { path: '^(api|operator|dnsserver|cli)/' },
  },
  {
    name: 'kube-client-in-its-room',
    comment:
      '@kubernetes/client-node is imported only under lib/kube/, the one room for Kubernetes plumbing (client ' +
      'configuration, the list-watch loop and informers, typed clients for the writes); everything else talks to it.',
    severity: 'error',
    from: { path: `^(${PRODUCTION_ROOTS.join('|')})/`, pathNot: '^lib/kube/' },
    to: { path: KUBE_CLIENT },
  },
];

export interface BoundaryViolation {
  rule: string;
  from: string;
  to: string;
  /** The import chain from `from` to `to`, for rules about reachability. */
  via: string[];
  message: string;
}

function describe(violation: IViolation, rules: IForbiddenRuleType[]): BoundaryViolation {
  const rule = rules.find((r) => r.name === violation.rule.name);
  const via = (violation.via ?? []).map((step) => (typeof step === 'string' ? step : step.name));
  return {
    rule: violation.rule.name,
    from: violation.from,
    to: violation.to,
    via,
    message: rule?.comment ?? violation.rule.name,
  };
}

async function cruiseWith(
  baseDir: string,
  roots: string[],
  rules: IForbiddenRuleType[],
  typeImports: boolean,
): Promise<BoundaryViolation[]> {
  const options: ICruiseOptions = {
    baseDir,
    validate: true,
    ruleSet: { forbidden: rules },
    tsPreCompilationDeps: typeImports,
    doNotFollow: { path: 'node_modules' },
  };
  const present = roots.filter((root) => existsSync(join(baseDir, root)));
  if (present.length === 0) return [];
  const result = await cruise(present, options);
  if (typeof result.output === 'string') throw new Error('dependency-cruiser gave text where a result was expected');
  return result.output.summary.violations.map((v) => describe(v, rules));
}

/** Every broken boundary under `roots` (relative to `baseDir`), runtime rules first. */
export async function checkBoundaries(baseDir: string, roots = PRODUCTION_ROOTS): Promise<BoundaryViolation[]> {
  return [
    ...(await cruiseWith(baseDir, roots, RUNTIME_RULES, false)),
    ...(await cruiseWith(baseDir, roots, KNOWLEDGE_RULES, true)),
  ];
}

export function formatViolation(v: BoundaryViolation): string {
  const chain = v.via.length > 1 ? `\n    via ${[v.from, ...v.via].join(' \u2192 ')}` : '';
  return `${v.rule}: ${v.from} \u2192 ${v.to}${chain}\n    ${v.message}`;
}

if (import.meta.main) {
  const roots = PRODUCTION_ROOTS;
  const violations = await checkBoundaries(process.cwd(), roots);
  for (const v of violations) console.error(formatViolation(v));
  if (violations.length > 0) {
    console.error(`boundaries: ${violations.length} broken (see DESIGN.md, "Boundaries worth keeping")`);
    process.exit(1);
  }
  console.log(`boundaries: held (${roots.join(', ')})`);
}
