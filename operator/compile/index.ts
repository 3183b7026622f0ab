// The compiler's public API: pure functions from resources to compiled zone documents and status conditions.
export { compile } from './compile.ts';
export type { CompileOutput } from './compile.ts';
export type { CompileInput } from './input.ts';
export type { ResourceResult, ResultSummary } from './results.ts';
export { serializeCompiledZone, canonicalJson, contentHashOf } from './serialize.ts';
export { describeImport, referringTargets, targetId, targetRef } from './targets.ts';
export type { ImportedServiceInfo, LoadBalancerInfo, PeerTargetInfo, ServiceHostname, ServiceInfo } from './targets.ts';
export { describeRef, permittingGrant, REF_GROUPS } from './grants.ts';
export type { ReferenceGrantInfo, RefKind, TargetRef } from './grants.ts';
export { nextSerial, serialGreater } from './serial.ts';
export { parseRdata } from './rdata.ts';
export { describeCondition, isRefusal, resourceLabel } from './results.ts';
