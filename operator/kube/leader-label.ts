// The leader's mark on its own Pod, so that a Service can route to the leader alone (the chart's peer Service:
// only the leader answers the peers' polls, a standby says 503). As Patroni and CloudNativePG do it: each replica
// writes only its own Pod's label (the leader sets it, a replica that is not the leader removes it, a stale one
// left by a crash included), so no two replicas ever write the same object. A replica that cannot reach the API
// keeps its label until it can; meanwhile it answers 503 and the peers ask again.
import type { Logger } from 'pino';
import { describeApiError } from '../../lib/kube/errors.ts';
import type { KubeConfig } from '../../lib/kube/kubeconfig.ts';
import { PodLabels } from '../../lib/kube/pods.ts';
import { MANAGER } from '../../api/configmaps.ts';

/** On the leader's Pod only ("true"); the chart's peer Service selects it. */
export const PEER_LEADER_LABEL = 'geodns.io/peer-leader';

export interface PodRef {
  namespace: string;
  name: string;
}

export class LeaderPodLabel {
  readonly #pods: PodLabels;
  readonly #pod: PodRef;
  readonly #log: Logger;
  /** What the API last confirmed (undefined: not known yet, so the first sync writes whichever is wanted). */
  #labelled: boolean | undefined;

  constructor(options: { kubeConfig: KubeConfig; pod: PodRef; log: Logger }) {
    this.#pods = new PodLabels(options.kubeConfig, MANAGER);
    this.#pod = options.pod;
    this.#log = options.log;
  }

  /** Puts the label on the Pod (leads) or takes it off; throws when the API refuses or cannot be reached. */
  async sync(leads: boolean): Promise<void> {
    if (this.#labelled === leads) return;
    const { namespace, name } = this.#pod;
    try {
      await this.#pods.patch(namespace, name, { [PEER_LEADER_LABEL]: leads ? 'true' : null });
    } catch (error) {
      this.#labelled = undefined;
      this.#log.warn(
        { pod: `${namespace}/${name}`, label: PEER_LEADER_LABEL, error: describeApiError(error) },
        `cannot ${leads ? 'label' : 'unlabel'} the operator's pod (it needs patch on pods in its namespace); retrying`,
      );
      throw error;
    }
    this.#labelled = leads;
    this.#log.info({ pod: `${namespace}/${name}`, label: PEER_LEADER_LABEL, leads }, 'peer leader label written');
  }
}
