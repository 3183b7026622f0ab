// When an object's status may be written: pure, the status writer's queue handler asks it and either writes or
// puts the key back for the time it says.
import type { ObjectRef } from '../cluster-writer.ts';
import { followsHealthOnly, type StatusBody } from './desired.ts';

export interface ThrottleIntervals {
  /** Least time between two status writes of one object. */
  intervalMs: number;
  /** Least time before a status that follows the live health alone. */
  healthIntervalMs: number;
  /** Least time between two status writes of one HealthProbe. */
  probeIntervalMs: number;
}

/** Whether writing `desired` over `current` only follows the live health (HealthProbes always do): such writes
 *  wait longer and share the health bucket. */
export function healthOnly(ref: ObjectRef, desired: StatusBody, current: StatusBody | undefined): boolean {
  return ref.kind === 'HealthProbe' || followsHealthOnly(ref.kind, desired, current);
}

export interface ThrottleState {
  now: number;
  /** When the object's last write (or failed try) ended; undefined: never written by this process. */
  lastWriteAt: number | undefined;
  healthOnly: boolean;
  kind: ObjectRef['kind'];
  /** The time of the health bucket's token this object holds, if it holds one. */
  reservedAt: number | undefined;
}

/** The earliest time the status may go out: the first after a quiet spell at once, else the object's interval
 *  after its last write; a health-only write not before the token it holds (a spec change does not wait for it). */
export function dueAt(state: ThrottleState, intervals: ThrottleIntervals): number {
  const interval =
    state.kind === 'HealthProbe'
      ? intervals.probeIntervalMs
      : state.healthOnly
        ? intervals.healthIntervalMs
        : intervals.intervalMs;
  let due = state.lastWriteAt === undefined ? state.now : state.lastWriteAt + interval;
  if (state.healthOnly && state.reservedAt !== undefined) due = Math.max(due, state.reservedAt);
  return due;
}
