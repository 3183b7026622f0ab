// A zone's custom networks (CIDR → location) compiled once into two binary prefix tries (IPv4, IPv6).
// A lookup returns the most specific network holding the address, and how many leading bits decided the answer:
// that depth is safe as an ECS scope even when more specific networks sit inside the one that matched.
import type { CompiledLocation, CompiledNetwork } from '../../api/compiled.ts';
import { bitAt, parseCidr, type ParsedAddress } from './address.ts';

interface TrieNode {
  children: [TrieNode | undefined, TrieNode | undefined];
  network?: { cidr: string; location: CompiledLocation };
}

export interface NetworkMatch {
  /** The most specific custom network holding the address, if any. */
  network?: { cidr: string; location: CompiledLocation };
  /** Leading bits that decided the outcome (match or no match). */
  decidingBits: number;
}

export interface NetworkMatcher {
  readonly size: number;
  match(address: ParsedAddress): NetworkMatch;
  /** Problems found while compiling (bad CIDRs are skipped, not fatal). */
  readonly errors: readonly string[];
}

const newNode = (): TrieNode => ({ children: [undefined, undefined] });

export function compileNetworks(networks: readonly CompiledNetwork[]): NetworkMatcher {
  const roots: Record<4 | 6, TrieNode> = { 4: newNode(), 6: newNode() };
  const errors: string[] = [];
  let size = 0;
  for (const [index, entry] of networks.entries()) {
    const cidr = parseCidr(entry.cidr);
    if ('error' in cidr) {
      errors.push(`networks[${index}]: ${cidr.error}`);
      continue;
    }
    let node = roots[cidr.family];
    for (let bit = 0; bit < cidr.prefixLength; bit++) {
      const side = bitAt(cidr.bytes, bit);
      node = node.children[side] ??= newNode();
    }
    node.network = { cidr: `${cidr.text}/${cidr.prefixLength}`, location: entry.location };
    size++;
  }

  return {
    size,
    errors,
    match(address) {
      const bits = address.family === 4 ? 32 : 128;
      let node: TrieNode = roots[address.family];
      let best = node.network;
      let depth = 0;
      for (; depth < bits; depth++) {
        const next = node.children[bitAt(address.bytes, depth)];
        if (!next) {
          // The walk stops here. If the node has another child, the bit we just read decided the outcome too.
          const other = node.children[bitAt(address.bytes, depth) ^ 1];
          return { network: best, decidingBits: other ? depth + 1 : depth };
        }
        node = next;
        if (node.network) best = node.network;
      }
      return { network: best, decidingBits: bits };
    },
  };
}
