// Routing policies: pure functions from (routed name, health, client location) to a decision.
export { decide, type Decision, type DecideInput } from './decide.ts';
export {
  candidatesFor,
  isFamily,
  type Candidate,
  type HealthOverrides,
  type RecordFamily,
  type TargetHealthState,
} from './candidates.ts';
export { matchLevel, MATCH_LEVELS } from './policies.ts';
export { haversineKm, coordinatesOf } from './distance.ts';
export { regional, regionOf, walkOf, weightedOrder, describeLocation, regionalProblems } from './regional.ts';
