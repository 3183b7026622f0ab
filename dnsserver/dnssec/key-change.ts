// Whether a new set of signing keys, read from the key folder while the server runs, may replace the keys
// signing now. Pure: the folder watch (sources/key-dir.ts) reads, this decides.
import { keyTag } from '../../lib/dnssec/keys.ts';
import type { SigningKey } from '../../lib/dnssec/types.ts';

/** A key as the logs and the decision name it: zone, algorithm and key tag. */
export interface KeyName {
  zone: string;
  algorithm: number;
  keyTag: number;
  flags: number;
}

export type KeyChange =
  | { result: 'unchanged' }
  | { result: 'accepted'; added: KeyName[]; removed: KeyName[] }
  | { result: 'refused'; reason: string };

const nameOf = (key: SigningKey): KeyName => ({
  zone: key.zone,
  algorithm: key.algorithm,
  keyTag: keyTag(key.dnskey),
  flags: key.flags,
});

/** The identity of a key: its zone and its whole DNSKEY rdata (a key tag alone can collide). */
const identity = (key: SigningKey): string => `${key.zone} ${key.dnskey.toString('base64')}`;

/**
 * Compares the keys signing now with the keys just read. A zone signed now must stay signed: a folder that lost
 * every key of a zone (a Secret emptied or deleted, a mount gone) would turn it unsigned, and while the parent holds
 * a DS every answer would then fail validation. Such a set is refused whole, and the keys signing now go on.
 * Turning a zone unsigned on purpose is a restart without its keys, once its DS is gone from the parent.
 */
export function decideKeyChange(current: readonly SigningKey[], next: readonly SigningKey[]): KeyChange {
  const before = new Map(current.map((k) => [identity(k), k]));
  const after = new Map(next.map((k) => [identity(k), k]));
  const lostZones = [...new Set(current.map((k) => k.zone))].filter((zone) => !next.some((k) => k.zone === zone));
  if (lostZones.length > 0) {
    return {
      result: 'refused',
      reason: `no key left for ${lostZones.join(', ')}: the zone would turn unsigned (restart without its keys to do that on purpose)`,
    };
  }
  const added = [...after].filter(([id]) => !before.has(id)).map(([, k]) => nameOf(k));
  const removed = [...before].filter(([id]) => !after.has(id)).map(([, k]) => nameOf(k));
  if (added.length === 0 && removed.length === 0) return { result: 'unchanged' };
  return { result: 'accepted', added, removed };
}
