// The sink of `geodns serve`: what its source (a config folder, or the standalone pipeline) publishes into.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ZoneSink } from '../../api/sink.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import type { DnsPool } from './dns-pool.ts';

/**
 * Holds the zones and health until the DNS pool is up, then forwards to it. It keeps no zones once the pool has
 * them: with worker threads the main thread would otherwise hold its own copy of every zone for nothing.
 */
export class PoolSink implements ZoneSink {
  /** Zones received before the pool started. */
  pending: CompiledZone[] | undefined;
  /** Whether any zones were received (readiness). */
  loaded = false;
  health: HealthTable = EMPTY_HEALTH;
  pool: DnsPool | undefined;

  setZones(zones: CompiledZone[]): void {
    this.loaded = true;
    if (this.pool) this.pool.setZones(zones);
    else this.pending = zones;
  }

  setHealth(table: HealthTable): void {
    this.health = table;
    this.pool?.setHealth(table);
  }

  /**
   * `started` is what the pool was started with: only what changed since (while the pool was starting) is sent
   * again, so a large zone is not indexed twice at startup.
   */
  attach(pool: DnsPool, started: { zones: CompiledZone[] | undefined; health: HealthTable }): void {
    this.pool = pool;
    if (this.pending && this.pending !== started.zones) pool.setZones(this.pending);
    this.pending = undefined;
    if (this.health !== started.health) pool.setHealth(this.health);
  }
}
