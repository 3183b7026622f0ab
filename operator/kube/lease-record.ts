// Between client-node's V1Lease and the election record.
//
// client-node types spec.acquireTime/renewTime as V1MicroTime (a Date) but its ObjectSerializer has no entry for
// that type: a value read back is the server's string, and a value written goes through JSON.stringify as is. A
// plain Date would reach the wire with milliseconds ("…05.678Z"), which a real API server's MicroTime refuses;
// V1MicroTime's toISOString pads it to microseconds ("…05.678000Z"). So times are written as V1MicroTime and read
// as whatever comes back, turned into a string.
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '../../lib/kube/leases.ts';
import type { LeaseRecord } from './lease-decision.ts';

const timeText = (value: unknown): string => {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : '';
};

export function recordFromLease(lease: V1Lease): LeaseRecord {
  const spec: V1LeaseSpec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    leaseTransitions: spec.leaseTransitions ?? 0,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
  };
}

const microTime = (text: string): V1MicroTime | undefined => {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new V1MicroTime(ms);
};

/** `lease` (its metadata, resourceVersion included, so the write is guarded) with `record` as its spec. */
export function leaseWithRecord(lease: V1Lease, record: LeaseRecord): V1Lease {
  const spec: V1LeaseSpec = {
    ...lease.spec,
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  };
  const acquireTime = microTime(record.acquireTime);
  const renewTime = microTime(record.renewTime);
  if (acquireTime) spec.acquireTime = acquireTime;
  else delete spec.acquireTime;
  if (renewTime) spec.renewTime = renewTime;
  else delete spec.renewTime;
  return { ...lease, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec };
}

export function newLease(namespace: string, name: string, record: LeaseRecord): V1Lease {
  return leaseWithRecord({ metadata: { name, namespace } }, record);
}
