// Locations remembered per ECS subnet, found by a hash of the subnet's bytes: the common ECS query then makes no
// address text and no string key at all. A direct-mapped cache: two subnets with the same hash take turns in
// one slot (each lookup checks the bytes), and the whole map is dropped when it is full.
import { FNV_OFFSET, fnvFinish, fnvStep } from '../wire/hash.ts';
import type { ClientLocation } from './types.ts';

/** An ECS subnet as the wire layer reads it (wire/subnet.ts), without making its text. */
export interface Subnet {
  readonly family: 1 | 2;
  readonly sourcePrefix: number;
  readonly address: string;
  addressByte(index: number): number;
}

interface Entry {
  family: 1 | 2;
  prefix: number;
  bytes: Uint8Array;
  location: ClientLocation;
}

/** FNV-1a over family, source prefix and the address bytes the prefix covers. */
export function subnetHash(subnet: Subnet): number {
  const prefix = subnet.sourcePrefix;
  let hash = fnvStep(fnvStep(FNV_OFFSET, subnet.family), prefix);
  for (let i = 0, n = (prefix + 7) >> 3; i < n; i++) hash = fnvStep(hash, subnet.addressByte(i));
  return fnvFinish(hash);
}

export class SubnetMemo {
  readonly #limit: number;
  #entries = new Map<number, Entry>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get(hash: number, subnet: Subnet): ClientLocation | undefined {
    const entry = this.#entries.get(hash);
    if (!entry || entry.family !== subnet.family || entry.prefix !== subnet.sourcePrefix) return undefined;
    const bytes = entry.bytes;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== subnet.addressByte(i)) return undefined;
    return entry.location;
  }

  set(hash: number, subnet: Subnet, location: ClientLocation): void {
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    const bytes = new Uint8Array((subnet.sourcePrefix + 7) >> 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = subnet.addressByte(i);
    this.#entries.set(hash, { family: subnet.family, prefix: subnet.sourcePrefix, bytes, location });
  }
}
