// Per-decision cost of the routing policies alone (no handler, no sockets): decide() over every routed name of
// examples/standalone and examples/regional, for an EU client, with and without the explanation (`explain`), so a
// change in dnsserver/routing/ can be measured in isolation. Weighted, multivalue and regional decide on every
// query on the answer path; the others are cached per client location there.
// Usage: node bench/decide-cost.ts [decisions per policy and mode, default 200000]
import { join } from 'node:path';
import type { CompiledRoutedName } from '../api/compiled.ts';
import type { ClientLocation } from '../dnsserver/geoip/types.ts';
import { decide } from '../dnsserver/routing/decide.ts';
import { compile } from '../operator/compile/index.ts';
import { loadResources } from '../operator/inputs/resource-files.ts';
import { compileInputOf, snapshotFromFiles } from '../operator/inputs/snapshot.ts';

const count = Number(process.argv[2] ?? 200_000);
const root = join(import.meta.dirname, '..');
const loaded = await loadResources([join(root, 'examples/standalone'), join(root, 'examples/regional')]);
const output = compile(compileInputOf(snapshotFromFiles(loaded), {}, new Date()));
const byPolicy = new Map<string, CompiledRoutedName>();
for (const zone of output.zones) for (const routed of zone.routed) byPolicy.set(routed.policy, routed);

const client: ClientLocation = { source: 'geoip', continent: 'EU', country: 'DE', prefixLength: 24 };
console.log(`decide() × ${count} per policy, EU client, node ${process.version}`);
console.log('policy      explained ns  explain:false ns');
for (const [policy, routed] of byPolicy) {
  const cost = (explain: boolean): number => {
    let answered = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      answered += decide({ routed, family: 'A', location: client, random: Math.random, explain }).addresses.length;
    }
    const ns = Number(process.hrtime.bigint() - start) / count;
    if (answered === 0) throw new Error(`${policy}: no decision answered`);
    return ns;
  };
  cost(false); // warm up
  console.log(`${policy.padEnd(12)}${cost(true).toFixed(0).padStart(12)}${cost(false).toFixed(0).padStart(18)}`);
}
