// Folds per-address probe states into the health table the DNS server reads (api/health.ts). Pure.
// A target is up while any of its probed addresses is not Down (Unknown counts as up); its Down addresses are
// listed so that answers leave them out while others are up. `since` moves only when up or downAddresses change.
// Addresses of a family the prober cannot reach (families.ts) take no part: the target's health comes from its
// other addresses, so routing treats them as sharing it (an IPv4-only prober keeps AAAA answers routed). When all of
// a target's addresses are such, it keeps what they last showed. The table's format does not change.
import { HEALTH_FORMAT, type HealthTable, type TargetHealth } from '../../api/health.ts';
import type { AddressState } from './thresholds.ts';

export interface AddressView {
  targetId: string;
  address: string;
  state: AddressState;
  lastError?: string;
  /** Unknown because the prober cannot reach the address's family; `known` is its state before that. */
  unreachable?: boolean;
  known?: AddressState;
}

export function buildHealthTable(
  addresses: readonly AddressView[],
  previous: HealthTable | null,
  now: Date,
): HealthTable {
  const byTarget = new Map<string, AddressView[]>();
  for (const view of addresses) {
    const list = byTarget.get(view.targetId) ?? [];
    list.push(view);
    byTarget.set(view.targetId, list);
  }
  const targets: Record<string, TargetHealth> = {};
  for (const targetId of [...byTarget.keys()].sort()) {
    const all = byTarget.get(targetId) ?? [];
    const reached = all.filter((v) => !v.unreachable);
    const views = reached.length > 0 ? reached : all.map((v) => ({ ...v, state: v.known ?? v.state }));
    const down = views.filter((v) => v.state === 'Down').sort((a, b) => a.address.localeCompare(b.address));
    const up = down.length < views.length;
    const downAddresses = [...new Set(down.map((v) => v.address))];
    const before = previous?.targets[targetId];
    const same =
      before !== undefined && before.up === up && (before.downAddresses ?? []).join(',') === downAddresses.join(',');
    const entry: TargetHealth = { up, since: same ? before.since : now.toISOString() };
    if (downAddresses.length > 0) entry.downAddresses = downAddresses;
    const reason = down.find((v) => v.lastError !== undefined);
    if (reason?.lastError !== undefined) entry.reason = `${reason.address}: ${reason.lastError}`;
    targets[targetId] = entry;
  }
  return { format: HEALTH_FORMAT, targets };
}

/**
 * The prober's table with the targets that are down for another reason (a Service without ready endpoints) marked
 * down. `since` moves only when a target's state changes against `previous`.
 */
export function overlayDown(
  table: HealthTable,
  down: ReadonlyMap<string, string>,
  previous: HealthTable | null,
  now: Date,
): HealthTable {
  if (down.size === 0) return table;
  const targets: Record<string, TargetHealth> = { ...table.targets };
  for (const [targetId, reason] of [...down].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const before = previous?.targets[targetId];
    const since = before && !before.up && before.downAddresses === undefined ? before.since : now.toISOString();
    targets[targetId] = { up: false, since, reason };
  }
  return { format: HEALTH_FORMAT, targets };
}
