// The list of subcommands. Each lives in its own file in this folder.
import type { Command } from '../command.ts';
import { compileCommand } from './compile.ts';
import { schemaCommand } from './schema.ts';

export const commands: readonly Command[] = [compileCommand, schemaCommand];
