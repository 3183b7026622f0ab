// The sink of `geodns serve`: what its source (a config folder, or the standalone pipeline) publishes into.
import type { CompiledZone } from '../../api/compiled.ts';
import type { HealthTable } from '../../api/health.ts';
import type { ZoneSink } from '../../api/sink.ts';
import { EMPTY_HEALTH } from '../config/empty-health.ts';
import type { DnsNodes } from './nodes.ts';

/**
 * Holds the zones and health until the DNS nodes are up, then forwards to them. It keeps no zones once the nodes have
 * them: with worker threads the main thread would otherwise hold its own copy of every zone for nothing.
 */
export class NodesSink implements ZoneSink {
  /** Zones received before the nodes started. */
  pending: CompiledZone[] | undefined;
  /** Whether any zones were received (readiness). */
  loaded = false;
  health: HealthTable = EMPTY_HEALTH;
  nodes: DnsNodes | undefined;
  /** The zones received last and their DNSSEC marks: what readiness checks the keys against. */
  marks: readonly Pick<CompiledZone, 'zone' | 'dnssec'>[] = [];
  /** Told after each set of zones (after `marks` changed). */
  onZones: (() => void) | undefined;

  setZones(zones: CompiledZone[]): void {
    this.loaded = true;
    this.marks = zones.map(({ zone, dnssec }) => ({ zone, dnssec }));
    if (this.nodes) this.nodes.setZones(zones);
    else this.pending = zones;
    this.onZones?.();
  }

  setHealth(table: HealthTable): void {
    this.health = table;
    this.nodes?.setHealth(table);
  }

  /**
   * `started` is what the nodes were started with: only what changed since (while they were starting) is sent
   * again, so a large zone is not indexed twice at startup.
   */
  attach(nodes: DnsNodes, started: { zones: CompiledZone[] | undefined; health: HealthTable }): void {
    this.nodes = nodes;
    if (this.pending && this.pending !== started.zones) nodes.setZones(this.pending);
    this.pending = undefined;
    if (this.health !== started.health) nodes.setHealth(this.health);
  }
}
