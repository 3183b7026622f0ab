// The peers' keys of a zone signed by several clusters (operator/dnssec/plan.ts): which of them are foreign (a key
// every cluster shares is its own), their DS as status lists them (checked against BIND's dnssec-dsfromkey), and a
// parent holding every cluster's DS matches, not strays (parent-ds.ts).
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledPublishedKey } from '../../../../api/compiled.ts';
import { formatKeyPair, keyFileBase } from '../../../../lib/dnssec/bind.ts';
import { dsRdata, generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import type { SigningKey } from '../../../../lib/dnssec/types.ts';
import { parentDsStatus, type ParentDsAnswer } from '../../../../operator/dnssec/parent-ds.ts';
import { foreignKeys, peerDs } from '../../../../operator/dnssec/plan.ts';
import { tempDir, type TempDir } from '../../../support/temp-dir.ts';

const ZONE = 'geo.example.com';
const published = (cluster: string, key: SigningKey): CompiledPublishedKey => ({
  cluster,
  flags: key.flags as 257,
  algorithm: key.algorithm,
  publicKey: key.publicKey.toString('base64'),
});

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir('peer-keys');
});
afterAll(async () => {
  await temp?.remove();
});

describe("a zone's peer keys", () => {
  const own = generateSigningKey(ZONE);
  const theirs = generateSigningKey(ZONE);
  const ownStatus = { ...published('', own), keyTag: own.keyTag };

  it('are foreign unless this cluster signs with the same key', () => {
    expect(foreignKeys([ownStatus], [published('us', own), published('us', theirs)])).toEqual([
      published('us', theirs),
    ]);
  });

  it("give their DS as BIND computes it, marked with the cluster; a peer's ZSK gives none", async () => {
    const file = path.join(temp.dir, `${keyFileBase(ZONE, theirs.algorithm, theirs.keyTag)}.key`);
    await writeFile(file, formatKeyPair(theirs).key);
    const bind = execFileSync('dnssec-dsfromkey', ['-2', file], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
    const zsk = generateSigningKey(ZONE, 13, 256);
    const [ds, ...rest] = peerDs(ZONE, [published('us', theirs), { ...published('us', zsk), flags: 256 }]);
    expect(rest).toEqual([]);
    expect(ds?.cluster).toBe('us');
    expect(ds?.keyTag).toBe(theirs.keyTag);
    expect(ds?.record.toLowerCase()).toBe(bind.toLowerCase());
  });

  it("count as matching at the parent: every cluster's DS there is Matches, not Partial", () => {
    const record = (key: SigningKey) => {
      const rdata = dsRdata(ZONE, key.dnskey);
      return {
        keyTag: key.keyTag,
        algorithm: key.algorithm,
        digestType: 2,
        digest: rdata.subarray(4).toString('hex'),
      };
    };
    const answer: ParentDsAnswer = {
      kind: 'records',
      records: [record(own), record(theirs)],
      ttl: 60,
      from: '127.0.0.1:53',
      authoritative: true,
    };
    const peer = { ...published('us', theirs), keyTag: theirs.keyTag };
    const now = new Date('2026-12-06T12:00:00Z');
    expect(parentDsStatus(ZONE, [ownStatus], answer, now).state).toBe('Partial');
    const both = parentDsStatus(ZONE, [ownStatus, peer], answer, now);
    expect(both.state).toBe('Matches');
    expect(both.keyTags).toEqual([own.keyTag, theirs.keyTag].sort((a, b) => a - b));
  });
});
