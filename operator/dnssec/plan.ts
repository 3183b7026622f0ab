// What the operator's DNSSEC key Secret should hold, and what each signed zone's status says about it: pure, over
// the Secrets' contents as text. The Secret holds every signed zone's BIND pairs (K<zone>._<alg>_<tag>.key and
// .private: BIND's names with '_' for the '+' a Secret's keys may not hold); the DNS pods get it as a read-only folder (dnsserver/sources/key-dir.ts) and sign with what is in it.
// Rules that keep a signed zone signed: a zone's keys never leave the Secret silently (not when its GeoZone turns
// DNSSEC off or goes away), a broken pair is reported, never replaced, and a broken or missing bring-your-own
// Secret leaves the last good keys where they are.
import { parseKeyFileBase, parseKeyPair, secretKeyFileBase } from '../../lib/dnssec/bind.ts';
import type { CompiledPublishedKey } from '../../api/compiled.ts';
import { dsText, keyTag } from '../../lib/dnssec/keys.ts';
import { publishedDnskey, sameKey, type PublishedKey } from '../../lib/dnssec/published.ts';
import { ALGORITHM, DNSKEY_FLAG, type Algorithm, type SigningKey } from '../../lib/dnssec/types.ts';
import type { ParentDsStatus } from './parent-ds.ts';

/** The Secret, in the operator's namespace, that the DNS pods mount. */
export const KEY_SECRET = 'geodns-dnssec-keys';

export type AlgorithmName = keyof typeof ALGORITHM;

/** A served zone and what its GeoZone asks (spec.dnssec). */
export interface ZoneKeyRequest {
  /** The GeoZone's name. */
  source: string;
  /** The apex: lower case, no trailing dot. */
  apex: string;
  enabled: boolean;
  algorithm: AlgorithmName;
  /** Bring your own: the Secret's name and its data as text (undefined: not found). */
  own?: { name: string; files: Record<string, string> | undefined };
}

export interface KeyStatus {
  keyTag: number;
  algorithm: number;
  flags: number;
  /** The DNSKEY public key, base64: what another signer of the zone publishes (RFC 8901), and what the parent's
   *  DS is checked against. */
  publicKey: string;
  /** Published and Retiring: the new and the old key of a roll (roll.ts). */
  state: 'Active' | 'Retained' | 'Published' | 'Retiring';
}

export type RollPhase = 'Published' | 'DSPending' | 'Retiring';

/** A key roll in progress (roll.ts), as status shows it. */
export interface RollStatus {
  phase: RollPhase;
  oldKeyTags: number[];
  newKeyTag: number;
  since: string;
  /** What happens next, and when or on what. */
  next: string;
}

export interface DsStatus {
  keyTag: number;
  rdata: string;
  record: string;
  /** The peer cluster whose key it is (multi-signer: its keys are published here too); none: this cluster's. */
  cluster?: string;
}

export interface ZoneKeyState {
  keyTags: string;
  keys: KeyStatus[];
  ds: DsStatus[];
  roll?: RollStatus;
  /** The zone's DS at the parent, when it was asked for (parent-ds.ts). */
  parent?: ParentDsStatus;
  /** The DNSSEC condition: whether the zone is signed, and why not or with what. */
  condition: { ok: boolean; reason: string; message: string };
}

export interface KeyEvent {
  source: string;
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

export interface KeyPlan {
  /** What the key Secret should hold (file name → text). */
  files: Record<string, string>;
  zones: Map<string, ZoneKeyState>;
  events: KeyEvent[];
}

/** A zone's pairs in a set of files: the keys that parse, and the first problem (the file and why). */
interface ZonePairs {
  keys: { key: SigningKey; base: string; keyText: string; private: string }[];
  problem?: string;
}

/** Where a problem of a pair whose zone cannot be told goes (only in a bring-your-own Secret, which has one zone). */
const UNKNOWN_ZONE = '?';

/**
 * Every pair in `files` by zone (the DNSKEY's owner). In the key Secret only names the DNS pods read count
 * (K<zone>._<alg>_<tag>, or BIND's with '+'); in a bring-your-own Secret any `X.key` beside its `X.private` does, as
 * a Secret's keys cannot hold BIND's '+'.
 */
function pairsByZone(files: Record<string, string>, where: string, anyName: boolean): Map<string, ZonePairs> {
  const zones = new Map<string, ZonePairs>();
  const entry = (zone: string): ZonePairs => {
    let found = zones.get(zone);
    if (!found) zones.set(zone, (found = { keys: [] }));
    return found;
  };
  const counts = (name: string): boolean => anyName || parseKeyFileBase(name) !== undefined;
  for (const name of Object.keys(files).sort()) {
    if (!name.endsWith('.key') || !counts(name)) continue;
    const named = parseKeyFileBase(name)?.zone ?? UNKNOWN_ZONE;
    const privateName = `${name.slice(0, -'.key'.length)}.private`;
    const privateText = files[privateName];
    if (privateText === undefined) {
      entry(named).problem ??= `${where}: ${privateName} is missing (each .key needs its .private)`;
      continue;
    }
    try {
      const key = parseKeyPair({
        keyFile: `${where}: ${name}`,
        key: files[name] as string,
        privateFile: `${where}: ${privateName}`,
        private: privateText,
      });
      entry(key.zone).keys.push({
        key,
        base: secretKeyFileBase(key.zone, key.algorithm, key.keyTag),
        keyText: files[name] as string,
        private: privateText,
      });
    } catch (error) {
      entry(named).problem ??= (error as Error).message;
    }
  }
  for (const name of Object.keys(files)) {
    if (!name.endsWith('.private') || !counts(name)) continue;
    if (files[`${name.slice(0, -'.private'.length)}.key`] === undefined) {
      entry(parseKeyFileBase(name)?.zone ?? UNKNOWN_ZONE).problem ??= `${where}: ${name} has no .key beside it`;
    }
  }
  return zones;
}

const readyNote = (tags: string): string =>
  `key(s) ${tags} in Secret ${KEY_SECRET}, which the DNS pods mount and sign with; give the parent the DS in ` +
  'status.dnssec.ds once the DNSKEY rrset is served (docs/dnssec.md)';

const tagsOf = (keys: readonly { key: SigningKey }[]): string => keys.map((k) => k.key.keyTag).join(',');

function stateOf(
  apex: string,
  keys: readonly { key: SigningKey }[],
  state: KeyStatus['state'],
): Omit<ZoneKeyState, 'condition'> {
  return {
    keyTags: keys.length > 0 ? tagsOf(keys) : 'off',
    keys: keys.map(({ key }) => ({
      keyTag: key.keyTag,
      algorithm: key.algorithm,
      flags: key.flags,
      publicKey: key.publicKey.toString('base64'),
      state,
    })),
    ds: keys
      .filter(({ key }) => (key.flags & DNSKEY_FLAG.SEP) !== 0)
      .map(({ key }) => {
        const rdata = dsText(apex, key.dnskey);
        return { keyTag: key.keyTag, rdata, record: `${apex}. IN DS ${rdata}` };
      }),
  };
}

/** The peers' keys of a zone that are not among `own` (a key every cluster shares is this cluster's own). */
export function foreignKeys(
  own: readonly PublishedKey[],
  peers: readonly CompiledPublishedKey[],
): CompiledPublishedKey[] {
  return peers.filter((key) => !own.some((mine) => sameKey(mine, key)));
}

/** Each peer key's key tag and DS, in the form of a zone's own (status.dnssec.ds), marked with its cluster. */
export function peerDs(apex: string, keys: readonly CompiledPublishedKey[]): DsStatus[] {
  return keys
    .filter((key) => (key.flags & DNSKEY_FLAG.SEP) !== 0)
    .map((key) => {
      const dnskey = publishedDnskey(key);
      const rdata = dsText(apex, dnskey);
      return { keyTag: keyTag(dnskey), rdata, record: `${apex}. IN DS ${rdata}`, cluster: key.cluster };
    });
}

/**
 * The key Secret's files and every requesting zone's state, from the Secret as it is (`current`, file → text) and
 * what the GeoZones ask. `generate` makes a new combined signing key (flags 257) of a zone.
 */
export function planKeys(
  requests: readonly ZoneKeyRequest[],
  current: Record<string, string>,
  generate: (apex: string, algorithm: Algorithm) => SigningKey,
  format: (key: SigningKey) => { key: string; private: string },
): KeyPlan {
  const files: Record<string, string> = { ...current };
  const zones = new Map<string, ZoneKeyState>();
  const events: KeyEvent[] = [];
  const held = pairsByZone(current, `Secret ${KEY_SECRET}`, false);
  const removeZone = (apex: string): void => {
    for (const name of Object.keys(files)) if (parseKeyFileBase(name)?.zone === apex) delete files[name];
  };
  for (const request of requests) {
    const { apex, source } = request;
    const mine = held.get(apex) ?? { keys: [] };
    const signedNow =
      mine.keys.length > 0 ? `the keys in ${KEY_SECRET} (${tagsOf(mine.keys)}) keep signing` : 'nothing is signed';
    if (mine.problem !== undefined) {
      // A hand-edited or damaged pair: the DNS pods refuse the folder and keep their last good keys; so does this.
      zones.set(source, {
        ...stateOf(apex, mine.keys, request.enabled ? 'Active' : 'Retained'),
        condition: {
          ok: false,
          reason: 'KeySecretInvalid',
          message: `${mine.problem}; fix or remove the pair: ${signedNow}`,
        },
      });
      continue;
    }
    if (!request.enabled) {
      if (mine.keys.length === 0) {
        zones.set(source, {
          ...stateOf(apex, [], 'Active'),
          condition: { ok: false, reason: 'Disabled', message: 'spec.dnssec.enabled is false' },
        });
      } else {
        zones.set(source, {
          ...stateOf(apex, mine.keys, 'Retained'),
          condition: {
            ok: true,
            reason: 'DisabledKeysKept',
            message:
              `spec.dnssec.enabled is false (or spec.dnssec is gone), but the keys (${tagsOf(mine.keys)}) stay in ${KEY_SECRET} and the DNS pods sign with them: ` +
              'set spec.dnssec.unsign for a parent that scans CDS, or remove the DS at the parent, wait out its TTL, then delete the files from the Secret and restart the DNS pods (docs/dnssec.md, "Turning it off")',
          },
        });
      }
      continue;
    }
    if (request.own) {
      const { name, files: ownFiles } = request.own;
      const problem =
        ownFiles === undefined
          ? `Secret ${name} (spec.dnssec.keySecretRef) is not found in the operator's namespace`
          : (() => {
              const theirs = pairsByZone(ownFiles, `Secret ${name}`, true);
              const broken = [...theirs.values()].find((pairs) => pairs.problem !== undefined);
              if (broken) return broken.problem;
              const other = [...theirs.keys()].find((zone) => zone !== apex);
              if (other !== undefined) return `Secret ${name}: holds keys of '${other}.', not only of '${apex}.'`;
              const found = theirs.get(apex);
              if (!found || found.keys.length === 0)
                return `Secret ${name}: no key pair for '${apex}.' (K${apex}.+<alg>+<tag>.key and .private)`;
              return undefined;
            })();
      if (problem !== undefined) {
        zones.set(source, {
          ...stateOf(apex, mine.keys, 'Active'),
          condition: { ok: false, reason: 'KeySecretInvalid', message: `${problem}: ${signedNow}` },
        });
        continue;
      }
      const theirs = pairsByZone(ownFiles as Record<string, string>, `Secret ${name}`, true).get(apex) as ZonePairs;
      const before = new Set(mine.keys.map((k) => k.base));
      const after = new Set(theirs.keys.map((k) => k.base));
      removeZone(apex);
      for (const pair of theirs.keys) {
        files[`${pair.base}.key`] = pair.keyText;
        files[`${pair.base}.private`] = pair.private;
      }
      const added = theirs.keys.filter((k) => !before.has(k.base));
      const removed = mine.keys.filter((k) => !after.has(k.base));
      if (added.length > 0 || removed.length > 0) {
        events.push({
          source,
          type: 'Normal',
          reason: 'DNSSECKeysAdopted',
          note: `keys from Secret ${name}: ${added.length > 0 ? `added ${tagsOf(added)}` : ''}${added.length > 0 && removed.length > 0 ? ', ' : ''}${removed.length > 0 ? `removed ${tagsOf(removed)}` : ''}`,
        });
      }
      zones.set(source, {
        ...stateOf(apex, theirs.keys, 'Active'),
        condition: {
          ok: true,
          reason: 'KeysReady',
          message: `${readyNote(tagsOf(theirs.keys))} (adopted from Secret ${name})`,
        },
      });
      continue;
    }
    let keys = mine.keys;
    if (keys.length === 0) {
      const key = generate(apex, ALGORITHM[request.algorithm]);
      const text = format(key);
      const base = secretKeyFileBase(key.zone, key.algorithm, key.keyTag);
      files[`${base}.key`] = text.key;
      files[`${base}.private`] = text.private;
      keys = [{ key, base, keyText: text.key, private: text.private }];
      events.push({
        source,
        type: 'Normal',
        reason: 'DNSSECKeyCreated',
        note: `made a ${request.algorithm} combined signing key, key tag ${key.keyTag}, in Secret ${KEY_SECRET}; DS ${dsText(apex, key.dnskey)}`,
      });
    }
    zones.set(source, {
      ...stateOf(apex, keys, 'Active'),
      condition: { ok: true, reason: 'KeysReady', message: readyNote(tagsOf(keys)) },
    });
  }
  return { files, zones, events };
}
