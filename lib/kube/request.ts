// Request options for client-node's generated API calls, which take no timeout or signal of their own.
import { Observable, type ConfigurationOptions } from '@kubernetes/client-node';

export type RequestOptions = ConfigurationOptions;

/** Options that end the request when `signal` aborts. */
export function abortable(signal: AbortSignal): RequestOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
