// What every geodns subcommand provides. Exit codes: 0 ok, 1 invalid input or failure, 2 usage.
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  name: string;
  /** One line for `geodns --help`. */
  summary: string;
  /** Full text for `geodns NAME --help`. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** Thrown by argument parsing; the dispatcher prints it with the command's help hint and exits 2. */
export class UsageError extends Error {}
