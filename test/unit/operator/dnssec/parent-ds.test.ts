// What the parent's DS says of a zone's keys (operator/dnssec/parent-ds.ts): each record is matched by recomputing
// the key's DS with the parent's digest type, and the digests are cross-checked against BIND's dnssec-dsfromkey,
// so a DS with a right key tag and algorithm but another key's digest is no match.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyPair, keyFileBase } from '../../../../lib/dnssec/bind.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { ALGORITHM, type SigningKey } from '../../../../lib/dnssec/types.ts';
import { parentDsStatus, type ParentDsAnswer, type ParentDsRecord } from '../../../../operator/dnssec/parent-ds.ts';
import type { KeyStatus } from '../../../../operator/dnssec/plan.ts';
import { tempDir, type TempDir } from '../../../support/temp-dir.ts';

const ZONE = 'geo.example.com';
const NOW = new Date('2026-12-06T12:00:00Z');
const FROM = '127.0.0.1:5300';

const statusOf = (key: SigningKey): KeyStatus => ({
  keyTag: key.keyTag,
  algorithm: key.algorithm,
  flags: key.flags,
  publicKey: key.publicKey.toString('base64'),
  state: 'Active',
});

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir('parent-ds');
});
afterAll(async () => {
  await temp?.remove();
});

/** The DS BIND computes for `key` with `digest` (-1, -2 or -a SHA-384), as a parent would hold it. */
async function bindDs(key: SigningKey, digest: string[]): Promise<ParentDsRecord> {
  const file = path.join(temp.dir, `${keyFileBase(key.zone, key.algorithm, key.keyTag)}.key`);
  await writeFile(file, formatKeyPair(key).key);
  const words = execFileSync('dnssec-dsfromkey', [...digest, file], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  // "<owner> IN DS <tag> <alg> <type> <digest...>"
  const [tag, algorithm, type, ...hex] = words.slice(words.indexOf('DS') + 1);
  return {
    keyTag: Number(tag),
    algorithm: Number(algorithm),
    digestType: Number(type),
    digest: hex.join('').toLowerCase(),
  };
}

const records = (list: ParentDsRecord[]): ParentDsAnswer => ({
  kind: 'records',
  records: list,
  ttl: 3600,
  from: FROM,
  authoritative: true,
});

describe("the parent's DS against the zone's keys", () => {
  it('matches SHA-256, SHA-384 and SHA-1 DS records as BIND computes them, for both algorithms', async () => {
    for (const algorithm of [ALGORITHM.ECDSAP256SHA256, ALGORITHM.ED25519]) {
      const key = generateSigningKey(ZONE, algorithm);
      for (const digest of [['-2'], ['-a', 'SHA-384'], ['-1']]) {
        const status = parentDsStatus(ZONE, [statusOf(key)], records([await bindDs(key, digest)]), NOW);
        expect(status, `algorithm ${algorithm} ${digest.join(' ')}`).toMatchObject({
          state: 'Matches',
          keyTags: [key.keyTag],
          source: FROM,
          checked: NOW.toISOString(),
        });
      }
    }
  });

  it('tells Partial, Mismatch and Missing apart, and says why it could not ask', async () => {
    const key = generateSigningKey(ZONE);
    const gone = generateSigningKey(ZONE);
    const ours = await bindDs(key, ['-2']);
    const theirs = await bindDs(gone, ['-2']);

    const partial = parentDsStatus(ZONE, [statusOf(key)], records([ours, theirs]), NOW);
    expect(partial.state).toBe('Partial');
    expect(partial.keyTags).toEqual([key.keyTag]);
    expect(partial.records).toHaveLength(2);
    expect(partial.message).toContain(`${gone.keyTag} 13 2 ${theirs.digest}`);

    // The right key tag and algorithm with another digest (a typo at the registrar) is no match.
    const typo = { ...ours, digest: ours.digest.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    const mismatch = parentDsStatus(ZONE, [statusOf(key)], records([typo]), NOW);
    expect(mismatch.state).toBe('Mismatch');
    expect(mismatch.keyTags).toEqual([]);
    expect(mismatch.message).toContain('validating resolvers fail');

    const unknownDigest = parentDsStatus(ZONE, [statusOf(key)], records([{ ...ours, digestType: 3 }]), NOW);
    expect(unknownDigest.state).toBe('Mismatch');
    expect(unknownDigest.message).toContain('digest type 3 is not checked here');

    const missing = parentDsStatus(ZONE, [statusOf(key)], { kind: 'none', from: FROM, authoritative: true }, NOW);
    expect(missing).toMatchObject({ state: 'Missing', keyTags: [], records: [] });
    expect(missing.message).toContain(`${FROM} has no DS for ${ZONE}`);

    const failed = parentDsStatus(ZONE, [statusOf(key)], { kind: 'error', error: 'no answer', from: FROM }, NOW);
    expect(failed).toMatchObject({ state: 'Unknown', message: `asking for ${ZONE} DS: no answer` });
  });
});
