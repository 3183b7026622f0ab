// npm run apiserver -- [--port P] [--kubeconfig FILE] [--history N] [--bookmark-interval MS]
// Starts the API test server on 127.0.0.1 and writes a kubeconfig for it, for kubectl or for the operator and the
// DNS server started as separate processes (KUBECONFIG=FILE geodns operator). Stops on SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { ApiServer } from './server.ts';

const USAGE = `usage: npm run apiserver -- [--port P] [--kubeconfig FILE] [--history N] [--bookmark-interval MS]

  --port P               listen on 127.0.0.1:P (default 0: a free port)
  --kubeconfig FILE      write a kubeconfig for the server there (default: print it)
  --history N            watch history kept, in events (default 10000); older resourceVersions get 410 Gone
  --bookmark-interval MS how often watches that allow bookmarks get one (default 60000)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      kubeconfig: { type: 'string' },
      history: { type: 'string' },
      'bookmark-interval': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const number = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer (got ${text})`);
    return n;
  };
  const server = await ApiServer.start({
    port: number(values.port, '--port'),
    historySize: number(values.history, '--history'),
    bookmarkIntervalMs: number(values['bookmark-interval'], '--bookmark-interval'),
  });
  if (values.kubeconfig) {
    await server.writeKubeconfig(values.kubeconfig);
    console.error(`apiserver: listening on ${server.url}; kubeconfig written to ${values.kubeconfig}`);
  } else {
    console.error(`apiserver: listening on ${server.url}`);
    process.stdout.write(server.kubeconfig());
  }
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`apiserver: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
