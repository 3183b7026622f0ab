// Writes the benchmark's dnsperf query files:
//   <out>/queries-plain.txt  text format, no EDNS: www (3 of 4) and static (1 of 4) A queries
//   <out>/queries-ecs.bin    dnsperf -B format (2-byte length + wire message), same qname mix, every query with
//                            EDNS(0) and a Client Subnet option whose subnet (/24 IPv4, /56 IPv6) is drawn from
//                            the networks of fixtures/networks.tsv (loopback excluded), so answers vary by client
// Usage: node bench/make-queries.ts [outDir] [ecsQueryCount]
// The generator is seeded: the same inputs give the same files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import ipaddr from 'ipaddr.js';
import { mulberry32 } from '../tools/random.ts';

const ZONE = 'bench.example';
const QNAMES = [`www.${ZONE}`, `www.${ZONE}`, `www.${ZONE}`, `static.${ZONE}`];
const ECS_OPTION_CODE = 8;
/** Lines in the plain file; run.sh sizes `dnsperf -n` runs from this and the ECS count. */
const PLAIN_QUERY_COUNT = 4096;

export interface BenchNetwork {
  cidr: string;
  continent: string;
  country: string;
}

export function readNetworks(file: string): BenchNetwork[] {
  const networks: BenchNetwork[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const [cidr, continent, country] = line.split('\t');
      if (!cidr || !continent || !country || !ipaddr.isValidCIDR(cidr)) {
        throw new Error(`${file}:${index + 1}: expected CIDR<TAB>continent<TAB>country, got '${line}'`);
      }
      networks.push({ cidr, continent, country });
    });
  return networks;
}

/** A random client subnet inside the network: /24 for IPv4, /56 for IPv6 (or the network itself if longer). */
export function randomSubnet(cidr: string, random: () => number): { ip: string; prefix: number; family: 1 | 2 } {
  const [network, networkPrefix] = ipaddr.parseCIDR(cidr);
  const bytes = network.toByteArray();
  const prefix = Math.max(networkPrefix, network.kind() === 'ipv4' ? 24 : 56);
  for (let bit = networkPrefix; bit < prefix; bit++) {
    if (random() < 0.5) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  }
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return { ip: ipaddr.fromByteArray(bytes).toString(), prefix, family: network.kind() === 'ipv4' ? 1 : 2 };
}

export function ecsQuery(qname: string, subnet: { ip: string; prefix: number; family: 1 | 2 }): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: 0,
    questions: [{ type: 'A', name: qname }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [
          {
            code: ECS_OPTION_CODE,
            family: subnet.family,
            sourcePrefixLength: subnet.prefix,
            scopePrefixLength: 0,
            ip: subnet.ip,
          },
        ],
      },
    ],
  });
}

function main(): void {
  const benchDir = dirname(fileURLToPath(import.meta.url));
  const outDir = process.argv[2] ?? join(benchDir, 'out');
  const count = Number(process.argv[3] ?? 8192);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`ecsQueryCount must be a positive integer, got '${process.argv[3]}'`);
  const networks = readNetworks(join(benchDir, 'fixtures', 'networks.tsv')).filter((n) => !n.cidr.startsWith('127.'));
  const random = mulberry32(20261123);
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const network = networks[i % networks.length];
    const qname = QNAMES[i % QNAMES.length];
    if (!network || !qname) throw new Error('unreachable: empty network or qname list');
    const message = ecsQuery(qname, randomSubnet(network.cidr, random));
    const length = Buffer.alloc(2);
    length.writeUInt16BE(message.length);
    frames.push(length, message);
  }
  mkdirSync(outDir, { recursive: true });
  const plainLines = Array.from({ length: PLAIN_QUERY_COUNT }, (_, i) => `${QNAMES[i % QNAMES.length]} A\n`);
  writeFileSync(join(outDir, 'queries-plain.txt'), plainLines.join(''));
  writeFileSync(join(outDir, 'queries-ecs.bin'), Buffer.concat(frames));
  process.stdout.write(
    `wrote ${outDir}/queries-plain.txt and ${outDir}/queries-ecs.bin (${PLAIN_QUERY_COUNT} plain, ${count} ECS queries)\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
