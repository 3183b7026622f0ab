// The list of subcommands. Each lives in its own file in this folder.
import type { Command } from '../command.ts';
import { compileCommand } from './compile.ts';
import { routeCommand } from './route.ts';
import { schemaCommand } from './schema.ts';

export const commands: readonly Command[] = [compileCommand, routeCommand, schemaCommand];
