// Compiling HealthProbes: a probe is valid once its schema is (the validator saw to that); its status says which
// GeoEndpoint targets it checks, and it is Ready (Probing) while some target uses it. The operator's status refines
// Ready with what the prober saw (operator/status/desired.ts).
import { condition, joinMessages } from './conditions.ts';
import type { CompileInput } from './input.ts';
import { compareStrings } from './names.ts';
import { sortByNamespacedName } from './order.ts';
import type { ResourceResult } from './results.ts';

/** Every HealthProbe's status, with the targets that reference it. */
export function probeResults(input: CompileInput, now: Date): ResourceResult[] {
  const users = new Map<string, string[]>();
  for (const endpoint of input.endpoints ?? []) {
    const namespace = endpoint.metadata.namespace ?? 'default';
    for (const target of endpoint.spec?.targets ?? []) {
      if (!target.healthProbeRef) continue;
      const key = `${namespace}/${target.healthProbeRef.name}`;
      users.set(key, [...(users.get(key) ?? []), `${namespace}/${endpoint.metadata.name}/${target.name}`]);
    }
  }
  return sortByNamespacedName(input.probes ?? []).map((probe) => {
    const namespace = probe.metadata.namespace ?? 'default';
    const using = (users.get(`${namespace}/${probe.metadata.name}`) ?? []).sort(compareStrings);
    const message =
      using.length === 0
        ? 'valid; no GeoEndpoint target references this probe'
        : `valid; checks ${using.length} target(s): ${joinMessages(using, ', ')}`;
    return {
      kind: 'HealthProbe' as const,
      namespace,
      name: probe.metadata.name,
      conditions: [
        condition('Accepted', true, using.length === 0 ? 'Unused' : 'Accepted', message, probe.metadata, now),
        using.length === 0
          ? condition('Ready', false, 'NoTargets', 'no GeoEndpoint target references this probe', probe.metadata, now)
          : condition('Ready', true, 'Probing', `probing ${using.length} target(s)`, probe.metadata, now),
      ],
    };
  });
}
