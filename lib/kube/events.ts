// events.k8s.io/v1 Events about an object, named and timed as client-go's recorders do.
import { EventsV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { KubeConfig } from './kubeconfig.ts';

export interface EventReporter {
  /** reportingController, e.g. geodns.io/operator. */
  controller: string;
  /** reportingInstance. */
  instance: string;
}

export interface NewEvent {
  regarding: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string | undefined;
    uid?: string | undefined;
  };
  type: 'Normal' | 'Warning';
  action: string;
  reason: string;
  note: string;
}

/**
 * An Event's name as client-go's recorders make it: the regarded object's name, a dot, the time in hex. A
 * generateName of `name.` is refused (a generated name's prefix may end in '-' but not in '.'); the nanoseconds of
 * the high-resolution clock keep two Events of one object in the same millisecond apart.
 */
function eventName(regarding: string): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  return `${regarding}.${nanos.toString(16)}`;
}

export class Events {
  readonly #events: EventsV1Api;
  readonly #reporter: EventReporter;

  constructor(kubeConfig: KubeConfig, reporter: EventReporter) {
    this.#events = kubeConfig.makeApiClient(EventsV1Api);
    this.#reporter = reporter;
  }

  /** Records `event` in `namespace`; errors are client-node's (statusOf() reads their status). */
  async create(namespace: string, event: NewEvent): Promise<void> {
    // A plain Date reaches the wire with milliseconds, which the API server's MicroTime refuses (400): see
    // operator/kube/lease-record.ts.
    const { regarding } = event;
    await this.#events.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: eventName(regarding.name), namespace },
        eventTime: new V1MicroTime(),
        reportingController: this.#reporter.controller,
        reportingInstance: this.#reporter.instance,
        action: event.action,
        reason: event.reason,
        note: event.note,
        type: event.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.name,
          ...(regarding.namespace ? { namespace: regarding.namespace } : {}),
          ...(regarding.uid ? { uid: regarding.uid } : {}),
        },
      },
    });
  }
}
