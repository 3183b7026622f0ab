// Writes a large compiled zone document for the memory and reload benchmarks, plus a dnsperf query file for it.
//
// The zone big.example has --static static A rrsets (s000000 ... , one address each) and --routed geo-routed
// names (g00000 ..., three targets like bench's www: us by country, eu and asia by continent, two addresses
// each); by default 95,000 + 5,000 = 100,000 names. It is written as a compiled document (what `geodns compile`
// and the operator produce and what `geodns serve --config DIR` loads) rather than as resources, because a
// GeoZone holds at most 10,000 static records and 90,000 GeoEndpoint YAML documents would benchmark the YAML
// parser more than the server. --variant 1 changes one static address (s000000) so that the content, not only
// the serial, differs between two documents.
//
// Usage: node bench/gen-big-zone.ts [--out FILE] [--queries FILE] [--static N] [--routed N] [--serial N]
//                                   [--variant 0|1]
// Defaults: --out bench/out/big/config/big.example.json, no query file, 95000, 5000, serial 1, variant 0.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_FORMAT, type CompiledRRset, type CompiledRoutedName, type CompiledZone } from '../api/compiled.ts';
import { contentHashOf, serializeCompiledZone } from '../operator/compile/index.ts';

export const BIG_ZONE = 'big.example';

export interface BigZoneOptions {
  staticNames: number;
  routedNames: number;
  serial: number;
  variant: 0 | 1;
}

function staticName(i: number): string {
  return `s${String(i).padStart(6, '0')}.${BIG_ZONE}`;
}
function routedName(i: number): string {
  return `g${String(i).padStart(5, '0')}.${BIG_ZONE}`;
}
/** 10.0.0.1 upwards: a distinct address per static name. */
function staticAddress(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function routed(i: number): CompiledRoutedName {
  const octets = `${(i >> 8) & 255}.${i & 255}`;
  const name = routedName(i);
  const source = `big/${name.split('.')[0]}`;
  const target = (id: string, prefix: string, location: CompiledRoutedName['targets'][number]['location']) => ({
    id: `${source}/${id}`,
    name: id,
    addresses: [`${prefix}.${octets}.1`, `${prefix}.${octets}.2`].sort(),
    location,
    weight: 1,
    priority: 0,
    healthy: true,
  });
  return {
    name,
    source,
    ttl: 60,
    policy: 'geo',
    maxAnswers: 8,
    // Sorted by id: asia, eu, us.
    targets: [
      target('asia', '100', { continent: 'AS' }),
      target('eu', '101', { continent: 'EU' }),
      target('us', '102', { country: 'US' }),
    ],
  };
}

export function bigZone(options: BigZoneOptions): CompiledZone {
  const records: CompiledRRset[] = [{ name: `ns1.${BIG_ZONE}`, type: 'A', ttl: 300, data: ['127.0.0.1'] }];
  for (let i = 0; i < options.staticNames; i++) {
    const address = i === 0 && options.variant === 1 ? '10.255.255.254' : staticAddress(i);
    records.push({ name: staticName(i), type: 'A', ttl: 300, data: [address] });
  }
  records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const content = {
    format: COMPILED_FORMAT,
    zone: BIG_ZONE,
    source: 'big',
    soa: {
      mname: `ns1.${BIG_ZONE}`,
      rname: `hostmaster.${BIG_ZONE}`,
      refresh: 3600,
      retry: 600,
      expire: 604800,
      minimum: 60,
      ttl: 3600,
    },
    ns: { ttl: 300, names: [`ns1.${BIG_ZONE}`] },
    records,
    routed: Array.from({ length: options.routedNames }, (_, i) => routed(i)),
    networks: [],
  } satisfies Omit<CompiledZone, 'serial' | 'contentHash'>;
  return { ...content, serial: options.serial, contentHash: contentHashOf(content) };
}

/** dnsperf text queries: every 10th static name and every routed name, interleaved 3 static : 1 routed. */
export function bigZoneQueries(options: BigZoneOptions): string {
  const lines: string[] = [];
  const routedCount = options.routedNames;
  let r = 0;
  for (let i = 0; i < options.staticNames; i += 10) {
    lines.push(`${staticName(i)} A`);
    if (lines.length % 4 === 3 && routedCount > 0) lines.push(`${routedName(r++ % routedCount)} A`);
  }
  return `${lines.join('\n')}\n`;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.${process.pid}.tmp`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function parseArgs(argv: string[], benchDir: string) {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) {
      throw new Error(`gen-big-zone: expected --option VALUE pairs, got '${argv.slice(i).join(' ')}'`);
    }
    values.set(key.slice(2), value);
  }
  const int = (key: string, fallback: number, min: number): number => {
    const raw = values.get(key);
    values.delete(key);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`gen-big-zone: --${key} must be an integer >= ${min}`);
    return n;
  };
  const out = values.get('out') ?? join(benchDir, 'out', 'big', 'config', `${BIG_ZONE}.json`);
  const queries = values.get('queries');
  values.delete('out');
  values.delete('queries');
  const options: BigZoneOptions = {
    staticNames: int('static', 95000, 0),
    routedNames: int('routed', 5000, 0),
    serial: int('serial', 1, 0),
    variant: int('variant', 0, 0) === 1 ? 1 : 0,
  };
  if (values.size > 0) throw new Error(`gen-big-zone: unknown option --${[...values.keys()].join(', --')}`);
  return { out, queries, options };
}

function main(): void {
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const { out, queries, options } = parseArgs(process.argv.slice(2), benchDir);
  const doc = bigZone(options);
  writeAtomically(out, serializeCompiledZone(doc));
  if (queries) writeAtomically(queries, bigZoneQueries(options));
  process.stdout.write(
    `wrote ${out}: ${BIG_ZONE} serial ${doc.serial}, ${options.staticNames} static + ${options.routedNames} routed names` +
      (queries ? `; queries in ${queries}` : '') +
      '\n',
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
