// geodns schema NAME: prints a JSON schema — a resource's openAPIV3Schema (as in crds/) or the compiled document's.
import { parseArgs } from 'node:util';
import { CompiledZoneSchema } from '../../api/compiled.ts';
import { resourceSchema } from '../../api/crd.ts';
import { KINDS } from '../../api/kinds.ts';
import { EXIT_OK, UsageError, type CliIO, type Command } from '../command.ts';

const NAMES = [...KINDS.map((k) => k.singular), 'compiled'];

const HELP = `Usage: geodns schema NAME

Prints a JSON schema on stdout:
  ${KINDS.map((k) => `${k.singular.padEnd(12)} the openAPIV3Schema of ${k.kind} (the same as in crds/${k.plural}.geodns.io.yaml)`).join('\n  ')}
  ${'compiled'.padEnd(12)} the compiled zone document that \`geodns compile\` writes and the DNS server loads
`;

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print the JSON schema of a resource kind or of the compiled zone document',
  help: HELP,
  run(args: string[], io: CliIO): Promise<number> {
    let positionals: string[];
    try {
      ({ positionals } = parseArgs({ args, allowPositionals: true, options: {} }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [name, ...rest] = positionals;
    if (name === undefined || rest.length > 0) throw new UsageError(`give exactly one NAME: ${NAMES.join(', ')}`);
    const wanted = name.toLowerCase();
    const info = KINDS.find((k) => k.singular === wanted || k.plural === wanted || k.shortName === wanted);
    let schema: unknown;
    if (info) schema = resourceSchema(info);
    else if (wanted === 'compiled') schema = JSON.parse(JSON.stringify(CompiledZoneSchema)) as unknown;
    else throw new UsageError(`unknown schema '${name}': expected one of ${NAMES.join(', ')}`);
    io.stdout(`${JSON.stringify(schema, null, 2)}\n`);
    return Promise.resolve(EXIT_OK);
  },
};
