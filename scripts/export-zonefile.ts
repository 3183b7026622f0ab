// Writes a compiled zone document as an RFC 1035 master file, so another server (Knot, for
// scripts/compare-knot.sh) can serve the same data: SOA, apex NS, static records (glue included) and routed names
// as plain A/AAAA records holding every target address.
// Usage: node scripts/export-zonefile.ts COMPILED.json [APEX] > zone.db
//   COMPILED.json: the output of `geodns compile` (an array of documents) or one document; '-' reads stdin.
import { readFileSync } from 'node:fs';
import type { CompiledZone } from '../api/compiled.ts';

const fqdn = (name: string): string => (name.endsWith('.') ? name : `${name}.`);
const quote = (text: string): string => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

function rdata(type: string, data: unknown): string {
  switch (type) {
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return fqdn(String(data));
    case 'MX': {
      const mx = data as { preference: number; exchange: string };
      return `${mx.preference} ${fqdn(mx.exchange)}`;
    }
    case 'SRV': {
      const srv = data as { priority: number; weight: number; port: number; target: string };
      return `${srv.priority} ${srv.weight} ${srv.port} ${fqdn(srv.target)}`;
    }
    case 'CAA': {
      const caa = data as { flags: number; tag: string; value: string };
      return `${caa.flags} ${caa.tag} ${quote(caa.value)}`;
    }
    case 'TXT':
      return (data as string[]).map(quote).join(' ');
    default:
      return String(data);
  }
}

export function zoneFile(zone: CompiledZone): string {
  const apex = fqdn(zone.zone);
  const soa = zone.soa;
  const lines = [
    `$ORIGIN ${apex}`,
    `${apex} ${soa.ttl} IN SOA ${fqdn(soa.mname)} ${fqdn(soa.rname)} ${zone.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`,
    ...zone.ns.names.map((ns) => `${apex} ${zone.ns.ttl} IN NS ${fqdn(ns)}`),
  ];
  for (const rrset of zone.records) {
    for (const data of rrset.data)
      lines.push(`${fqdn(rrset.name)} ${rrset.ttl} IN ${rrset.type} ${rdata(rrset.type, data)}`);
  }
  for (const routed of zone.routed) {
    const addresses = [...new Set(routed.targets.flatMap((t) => t.addresses))].sort();
    for (const address of addresses) {
      lines.push(`${fqdn(routed.name)} ${routed.ttl} IN ${address.includes(':') ? 'AAAA' : 'A'} ${address}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function main(argv: string[]): void {
  const [path, apex] = argv;
  if (!path) {
    process.stderr.write('usage: node scripts/export-zonefile.ts COMPILED.json [APEX]\n');
    process.exit(2);
  }
  const text = readFileSync(path === '-' ? 0 : path, 'utf8');
  const parsed = JSON.parse(text) as CompiledZone | CompiledZone[];
  const zones = Array.isArray(parsed) ? parsed : [parsed];
  const zone = apex ? zones.find((z) => z.zone === apex.replace(/\.$/, '').toLowerCase()) : zones[0];
  if (!zone) {
    process.stderr.write(`${path}: no compiled zone${apex ? ` for ${apex}` : ''}\n`);
    process.exit(1);
  }
  process.stdout.write(zoneFile(zone));
}

main(process.argv.slice(2));
