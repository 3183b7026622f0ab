#!/usr/bin/env -S node --max-semi-space-size=4
// The geodns CLI: one binary, subcommands, --help for each.
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIO, type Command } from './command.ts';
import { commands } from './commands/index.ts';

function overview(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'geodns: authoritative GeoDNS server and compiler for kube-geodns resources',
    '',
    'Usage: geodns COMMAND [options]',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `geodns COMMAND --help` for the options of a command.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO, list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? list.find((c) => c.name === rest[0]) : undefined;
    io.stdout(topic ? topic.help : overview(list));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    io.stderr(`geodns: unknown command '${name}'\n\n${overview(list)}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`geodns ${name}: ${error.message}\nRun 'geodns ${name} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  const io: CliIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`geodns: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
