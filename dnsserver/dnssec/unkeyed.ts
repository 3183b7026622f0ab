// Zones marked signed (the compiled document's `dnssec`) for which no key is here. Such a zone is never answered
// unsigned: while the parent holds its DS every unsigned answer fails validation, so the handler answers it SERVFAIL
// (EDE 14, Not Ready) and the server is not ready until its keys arrive (a key Secret the kubelet has not mounted
// yet, or gone). Pure: the state (answer/state.ts) and the main thread (server.ts) both ask it.
import type { CompiledDnssec } from '../../api/compiled.ts';

/** A zone marked signed without a key, and the key tags its document names. */
export interface UnkeyedZone {
  zone: string;
  keyTags: readonly number[];
}

/** The zones among `zones` marked signed for which `hasKey` says no, sorted by apex. */
export function unkeyedZones(
  zones: Iterable<{ readonly zone: string; readonly dnssec?: CompiledDnssec | undefined }>,
  hasKey: (zone: string) => boolean,
): UnkeyedZone[] {
  const unkeyed: UnkeyedZone[] = [];
  for (const { zone, dnssec } of zones) if (dnssec && !hasKey(zone)) unkeyed.push({ zone, keyTags: dnssec.keyTags });
  return unkeyed.sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0));
}

/** What /readyz and the log say of them. */
export function describeUnkeyed(unkeyed: readonly UnkeyedZone[]): string {
  return unkeyed
    .map(
      ({ zone, keyTags }) =>
        `${zone} is signed (${keyTags.length > 0 ? `key tags ${keyTags.join(', ')}` : 'spec.dnssec.enabled'}) but no key for it is here`,
    )
    .join('; ');
}
