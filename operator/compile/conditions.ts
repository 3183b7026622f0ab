// Gateway-API-style conditions. lastTransitionTime is the compile time; keeping the previous time when a
// condition's status did not change is the status writer's job, since compile does not see the old status.
import type { Condition, ObjectMeta } from '../../api/meta.ts';

export function condition(
  type: string,
  status: boolean,
  reason: string,
  message: string,
  metadata: ObjectMeta,
  now: Date,
): Condition {
  const result: Condition = {
    type,
    status: status ? 'True' : 'False',
    reason,
    message,
    lastTransitionTime: now.toISOString(),
  };
  if (typeof metadata.generation === 'number') result.observedGeneration = metadata.generation;
  return result;
}

/** Joins problem messages into one condition message, kept below the API's 32 KiB limit. */
export function joinMessages(messages: readonly string[], separator = '; ', limit = 30000): string {
  const joined = messages.join(separator);
  return joined.length <= limit ? joined : `${joined.slice(0, limit)}… (${messages.length} in all)`;
}
