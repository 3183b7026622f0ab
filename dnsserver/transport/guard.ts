// What both transports put around the handler and the error reporter: neither may take a socket down.
import type { ClientInfo, QueryHandler, ReuseHint } from '../wire/types.ts';

export type ErrorReporter = (error: unknown, where: string) => void;

/** `onError`, with a throw from the reporter itself swallowed. */
export function safeReporter(onError: ErrorReporter | undefined): ErrorReporter {
  return (error, where) => {
    try {
      onError?.(error, where);
    } catch {
      // A failing error reporter must not take the server down.
    }
  };
}

/** The handler's response; null, reported with who asked, when the handler throws. */
export function handleQuery<Counted>(
  handler: QueryHandler<Counted>,
  message: Buffer,
  client: ClientInfo,
  report: ErrorReporter,
  reuse?: ReuseHint<Counted>,
): Buffer | null {
  try {
    return handler(message, client, reuse);
  } catch (error) {
    report(error, `${client.transport} handler (query from ${client.address}:${client.port})`);
    return null;
  }
}
