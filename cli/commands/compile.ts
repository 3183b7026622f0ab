// geodns compile PATH...: resource files in, compiled zone documents out. The same compiler the operator runs;
// nothing is written when any input is invalid or any resource is refused.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPILED_FORMAT, type CompiledZone } from '../../api/compiled.ts';
import { formatLoadError, loadResources } from '../../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../../operator/inputs/snapshot.ts';
import type { Condition } from '../../api/meta.ts';
import {
  canonicalJson,
  compile,
  describeCondition,
  isRefusal,
  serializeCompiledZone,
  type CompileInput,
  type ResourceResult,
} from '../../operator/compile/index.ts';
import { EXIT_INVALID, EXIT_OK, UsageError, type CliIO, type Command } from '../command.ts';

const HELP = `Usage: geodns compile [options] PATH...

Reads GeoZone, GeoEndpoint and HealthProbe resources (plus core v1 Services and Namespaces, which stand in for
the cluster) from the given files and folders (*.yaml, *.yml, *.json, recursively), validates them like the API
server would (schema, defaults, CEL rules) and compiles one document per zone.

Output: a JSON array of compiled zone documents on stdout, or with --out-dir one file <apex>.json per zone.
Problems go to stderr, one line each, with file, document, line and field: error (invalid or refused: nothing is
written), warning (served, but part of it does nothing, e.g. a field the policy ignores), note (worth knowing).

Options:
  --out-dir DIR    write <apex>.json per zone into DIR (atomically) instead of printing
  --previous DIR   read previously compiled <apex>.json documents from DIR, so that serials only increase and
                   unchanged content keeps its serial (DIR may be the same as --out-dir)
  -h, --help       show this help

Exit status: 0 compiled, 1 invalid input or a resource was refused (nothing is written), 2 usage error.
`;

/** Worth a line: a condition not True, or True for a reason of its own; a Ready one that is True is the norm
 * (a HealthProbe is Ready because it is Probing). */
function isNotable(c: Condition): boolean {
  return c.status !== 'True' || (c.type !== 'Ready' && c.reason !== c.type);
}

/**
 * Served as written, but worth a look, not a failure: part of it does nothing (a field the policy ignores), or it
 * can take longer to fail over than its zone's failoverBudget.
 */
const WARNINGS = new Set(['IgnoredFields', 'FailoverOverBudget']);

function describeResult(r: ResourceResult, c: Condition): string {
  const level = isRefusal(c) ? 'error' : WARNINGS.has(c.reason) ? 'warning' : 'note';
  return `${level}: ${describeCondition(r, c)}\n`;
}

/** Previous serials per zone apex, from compiled documents in `dir`. */
async function readPrevious(dir: string): Promise<{ previous: CompileInput['previous']; errors: string[] }> {
  const previous: CompileInput['previous'] = {};
  const errors: string[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { previous, errors }; // nothing compiled yet
    return { previous, errors: [`${dir}: cannot read: ${(error as Error).message}`] };
  }
  for (const name of names) {
    const file = join(dir, name);
    try {
      const doc = JSON.parse(await readFile(file, 'utf8')) as Partial<CompiledZone>;
      if (
        doc.format !== COMPILED_FORMAT ||
        typeof doc.zone !== 'string' ||
        typeof doc.serial !== 'number' ||
        typeof doc.contentHash !== 'string'
      ) {
        errors.push(`${file}: not a compiled zone document (${COMPILED_FORMAT})`);
        continue;
      }
      previous[doc.zone] = { serial: doc.serial, contentHash: doc.contentHash };
    } catch (error) {
      errors.push(`${file}: cannot read previous document: ${(error as Error).message}`);
    }
  }
  return { previous, errors };
}

/** The compiler's input from loaded files: standalone mode has no cluster, so files stand in for it. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { 'out-dir': { type: 'string' }, previous: { type: 'string' } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export const compileCommand: Command = {
  name: 'compile',
  summary: 'validate resource files and compile them into zone documents',
  help: HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args);
    if (positionals.length === 0) throw new UsageError('no PATH given: name the resource files or folders');
    const outDir = values['out-dir'];
    if (outDir === '') throw new UsageError('--out-dir needs a folder');

    const loaded = await loadResources(positionals);
    for (const error of loaded.errors) io.stderr(`error: ${formatLoadError(error)}\n`);
    const { previous, errors: previousErrors } = values.previous
      ? await readPrevious(values.previous)
      : { previous: {}, errors: [] };
    for (const error of previousErrors) io.stderr(`error: ${error}\n`);
    if (loaded.errors.length > 0 || previousErrors.length > 0) return EXIT_INVALID;
    if (!loaded.resources.some((r) => r.kind === 'GeoZone')) {
      io.stderr(`error: no GeoZone found in ${positionals.join(', ')}\n`);
      return EXIT_INVALID;
    }

    const output = compile(compileInputOf(snapshotFromFiles(loaded), previous, new Date()));
    let failed = false;
    for (const result of output.results) {
      for (const c of result.conditions.filter(isNotable)) {
        failed ||= isRefusal(c);
        io.stderr(describeResult(result, c));
      }
    }
    if (failed) return EXIT_INVALID;

    if (outDir === undefined) {
      const docs = output.zones.map((z) => JSON.parse(canonicalJson(z)) as unknown);
      io.stdout(`${JSON.stringify(docs, null, 2)}\n`);
      return EXIT_OK;
    }
    await mkdir(outDir, { recursive: true });
    for (const zone of output.zones) {
      const file = join(outDir, `${zone.zone}.json`);
      await writeAtomically(file, serializeCompiledZone(zone));
      io.stderr(`wrote ${file} (serial ${zone.serial})\n`);
    }
    return EXIT_OK;
  },
};
