// Which Services have no EndpointSlice in the cache yet, but may soon: a Service and its slice reach the operator on
// two watches, and the EndpointSlice controller writes a Service's first slice only after seeing the Service. Not
// seen yet is not "no ready endpoints": for a grace after its creation, a Service without any slice is pending (its
// targets are not served as up, and status says Unknown, not a warning). After the grace, no slice at all means no
// endpoints (a selectorless Service whose owner wrote none, or an EndpointSlice controller that is not running).
// Pure: the time and the objects are given.
import type { EndpointSliceObject, ServiceObject } from './cluster-snapshot.ts';

/** How long after its creation a Service without any EndpointSlice counts as pending. */
export const SLICE_GRACE_MS = 10_000;

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface PendingServices {
  /** "namespace/name" of the Services still waiting for their first EndpointSlice. */
  keys: Set<string>;
  /** Milliseconds until the first of them stops waiting; undefined when none waits. */
  nextChangeInMs: number | undefined;
}

/** "namespace/name" → creationTimestamp (epoch ms) of the Services that have one. */
export function serviceCreationTimes(services: readonly ServiceObject[]): Map<string, number> {
  const created = new Map<string, number>();
  for (const service of services) {
    const { name, namespace, creationTimestamp } = service.metadata ?? {};
    const at = typeof creationTimestamp === 'string' ? Date.parse(creationTimestamp) : NaN;
    if (name && !Number.isNaN(at)) created.set(`${namespace ?? 'default'}/${name}`, at);
  }
  return created;
}

/**
 * The Services created less than `graceMs` before `now` (by the operator's clock against the API server's
 * creationTimestamp) that no EndpointSlice names yet.
 */
export function pendingServices(
  created: ReadonlyMap<string, number>,
  slices: readonly EndpointSliceObject[],
  now: number,
  graceMs: number = SLICE_GRACE_MS,
): PendingServices {
  const sliced = new Set<string>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (service) sliced.add(`${slice.metadata?.namespace ?? 'default'}/${service}`);
  }
  const keys = new Set<string>();
  let next: number | undefined;
  for (const [key, at] of created) {
    const left = at + graceMs - now;
    if (left <= 0 || sliced.has(key)) continue;
    keys.add(key);
    next = Math.min(next ?? Infinity, Math.ceil(left));
  }
  return { keys, nextChangeInMs: next };
}
