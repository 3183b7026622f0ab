// Prints a dnsperf query file (one "name TYPE" per line) covering a compiled zone: the apex SOA and NS, every
// static rrset with its type, and every routed name as A and AAAA.
// Usage: node bench/zone-queries.ts FILE   (a compiled document, or the JSON array `geodns compile` prints)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CompiledZone } from '../api/compiled.ts';

export function zoneQueries(zones: readonly CompiledZone[]): string[] {
  const lines: string[] = [];
  for (const zone of zones) {
    lines.push(`${zone.zone} SOA`, `${zone.zone} NS`);
    for (const rrset of zone.records) lines.push(`${rrset.name} ${rrset.type}`);
    for (const routed of zone.routed) lines.push(`${routed.name} A`, `${routed.name} AAAA`);
  }
  return lines;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/zone-queries.ts FILE');
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const zones = (Array.isArray(parsed) ? parsed : [parsed]) as CompiledZone[];
  if (zones.some((z) => typeof z?.zone !== 'string' || !Array.isArray(z.records) || !Array.isArray(z.routed))) {
    throw new Error(`${file}: expected a compiled zone document or an array of them`);
  }
  process.stdout.write(`${zoneQueries(zones).join('\n')}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`zone-queries: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
