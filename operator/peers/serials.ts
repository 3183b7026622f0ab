// The same content, the same SOA serial in every cluster. Each cluster publishes the serial and content hash of its
// zone in its peer documents; a cluster whose published zone has the same content hash as a peer's, and a smaller
// serial (RFC 1982), takes the peer's serial as the one it continues from. The serial only ever moves up, so the
// clusters meet at the greatest; different content (a Git commit not applied everywhere yet, different DNSSEC keys)
// leaves each with its own. Pure.
import { serialGreater } from '../compile/index.ts';
import { canonicalZone } from './protocol.ts';

export interface PublishedSerial {
  serial: number;
  contentHash: string;
}

/** `own` (apex → what this cluster publishes), with the serials of peers that publish the same content raised to. */
export function adoptSerials(
  own: Readonly<Record<string, PublishedSerial>>,
  peers: readonly ({ zone: string } & PublishedSerial)[],
): Record<string, PublishedSerial> {
  const out: Record<string, PublishedSerial> = { ...own };
  for (const [apex, mine] of Object.entries(own)) {
    for (const peer of peers) {
      if (canonicalZone(peer.zone) !== canonicalZone(apex) || peer.contentHash !== mine.contentHash) continue;
      const best = out[apex] ?? mine;
      if (serialGreater(peer.serial, best.serial)) out[apex] = { serial: peer.serial, contentHash: mine.contentHash };
    }
  }
  return out;
}
