export { probeOnce, formatHostPort, probeUrl, BODY_MATCH_LIMIT, type ProbeResult } from './probe.ts';
export {
  ProbeScheduler,
  type ProbeCheck,
  type ProbeChangeEvent,
  type ProbeResultEvent,
  type ProbedAddress,
  type ProbeSchedulerOptions,
} from './scheduler.ts';
export { applyResult, initialHealth, type AddressState, type AddressHealth, type Thresholds } from './thresholds.ts';
export { buildHealthTable, overlayDown, type AddressView } from './health-table.ts';
export { checksForZones, type PlannedChecks } from './checks.ts';
export {
  FAMILIES,
  familyOf,
  summarizeFamilies,
  type AddressFamily,
  type FamilyReach,
  type FamilySummary,
} from './families.ts';
