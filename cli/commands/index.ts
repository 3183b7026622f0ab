// The list of subcommands. Each lives in its own file in this folder.
import type { Command } from '../command.ts';
import { serveCommand } from './serve.ts';
import { compileCommand } from './compile.ts';
import { routeCommand } from './route.ts';
import { schemaCommand } from './schema.ts';
import { operatorCommand } from './operator.ts';

export const commands: readonly Command[] = [
  serveCommand,
  operatorCommand,
  compileCommand,
  routeCommand,
  schemaCommand,
];
