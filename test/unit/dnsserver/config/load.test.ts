import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../../../dnsserver/config/load.ts';
import { validateDocument } from '../../../../dnsserver/config/validate.ts';
import { healthDoc, json, zoneDoc } from '../../../support/documents.ts';
import { tempDir } from '../../../support/temp-dir.ts';

const removals: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const remove of removals.splice(0)) await remove();
});
async function dir(): Promise<string> {
  const made = await tempDir('config');
  removals.push(made.remove);
  return made.dir;
}

describe('loadConfigDir', () => {
  it('loads zones and merges health tables, skipping hidden, ..-prefixed and non-JSON entries', async () => {
    const path = await dir();
    await writeFile(join(path, 'b.example.com.json'), json(zoneDoc('b.example.com', 7)));
    await writeFile(join(path, 'a.example.com.json'), json(zoneDoc('a.example.com', 3)));
    const since = '2026-01-01T00:00:00Z';
    await writeFile(join(path, 'health-1.json'), json(healthDoc({ 'apps/www/eu': { up: false, since } })));
    await writeFile(join(path, 'health-2.json'), json(healthDoc({ 'apps/www/us': { up: true, since } })));
    await writeFile(join(path, '.hidden.json'), '{ not json');
    await mkdir(join(path, '..2026_01_01'));
    await writeFile(join(path, 'README.txt'), 'not a document');
    await writeFile(join(path, 'c.example.com.json.tmp-123'), '{ partial');

    const loaded = await loadConfigDir(path);
    expect(loaded.errors).toEqual([]);
    expect(loaded.zones.map((z) => [z.zone, z.serial])).toEqual([
      ['a.example.com', 3],
      ['b.example.com', 7],
    ]);
    expect(loaded.health).toEqual(
      healthDoc({ 'apps/www/eu': { up: false, since }, 'apps/www/us': { up: true, since } }),
    );
  });

  it('reads through symlinks and returns null health when there is no health file', async () => {
    const path = await dir();
    await mkdir(join(path, 'real'));
    await writeFile(join(path, 'real', 'z.json'), json(zoneDoc('z.example.com', 1)));
    await symlink('real/z.json', join(path, 'z.json'));
    const loaded = await loadConfigDir(path);
    expect(loaded.zones.map((z) => z.zone)).toEqual(['z.example.com']);
    expect(loaded.health).toBeNull();
  });

  it('names the file and the field of every error, and serves the good files', async () => {
    const path = await dir();
    await writeFile(join(path, 'good.json'), json(zoneDoc('good.example.com', 1)));
    const badTtl = zoneDoc('bad.example.com', 1);
    (badTtl.routed[0] as unknown as Record<string, unknown>).ttl = 'thirty';
    await writeFile(join(path, 'bad-ttl.json'), json(badTtl));
    await writeFile(
      join(path, 'outside.json'),
      json(
        zoneDoc('out.example.com', 1, { records: [{ name: 'www.other.org', type: 'A', ttl: 1, data: ['192.0.2.1'] }] }),
      ),
    );
    await writeFile(join(path, 'broken.json'), '{ "format": ');
    await writeFile(join(path, 'other.json'), json({ format: 'something/else' }));
    await writeFile(join(path, 'dup.json'), json(zoneDoc('good.example.com', 2)));

    const loaded = await loadConfigDir(path);
    expect(loaded.zones.map((z) => `${z.zone}@${z.serial}`)).toEqual(['good.example.com@2']);
    expect(loaded.errors).toContain('bad-ttl.json: routed[0].ttl: must be integer');
    expect(loaded.errors).toContain(
      'outside.json: records[0].name: "www.other.org" is not inside zone "out.example.com"',
    );
    expect(loaded.errors.some((e) => e.startsWith('broken.json: invalid JSON: '))).toBe(true);
    expect(loaded.errors).toContain(
      'other.json: format: expected "geodns.io/compiled-zone/v1" or "geodns.io/health/v1", got "something/else"',
    );
    expect(loaded.errors).toContain('good.json: zone "good.example.com" is already served from dup.json');
  });

  it('reads gzip-compressed *.json.gz documents, as a mounted ConfigMap with binaryData holds them', async () => {
    const path = await dir();
    // The kubelet's layout: visible names are symlinks through ..data into a timestamped folder.
    await mkdir(join(path, '..2026_01_01_00_00_00.1'));
    await writeFile(
      join(path, '..2026_01_01_00_00_00.1', 'big.example.com.json.gz'),
      gzipSync(json(zoneDoc('big.example.com', 9))),
    );
    await writeFile(
      join(path, '..2026_01_01_00_00_00.1', 'small.example.com.json'),
      json(zoneDoc('small.example.com', 4)),
    );
    await symlink('..2026_01_01_00_00_00.1', join(path, '..data'));
    await symlink('..data/big.example.com.json.gz', join(path, 'big.example.com.json.gz'));
    await symlink('..data/small.example.com.json', join(path, 'small.example.com.json'));
    await writeFile(join(path, 'notes.gz'), gzipSync('not a document'));

    const loaded = await loadConfigDir(path);
    expect(loaded.errors).toEqual([]);
    expect(loaded.zones.map((z) => `${z.zone}@${z.serial}`)).toEqual(['big.example.com@9', 'small.example.com@4']);
  });

  it('reports a *.json.gz file that is not gzip, or gzip of something that is not JSON', async () => {
    const path = await dir();
    await writeFile(join(path, 'plain.example.com.json.gz'), json(zoneDoc('plain.example.com', 1)));
    await writeFile(join(path, 'text.example.com.json.gz'), gzipSync('{ not json'));
    const loaded = await loadConfigDir(path);
    expect(loaded.zones).toEqual([]);
    expect(loaded.errors).toEqual([
      expect.stringMatching(/^plain\.example\.com\.json\.gz: not gzip-compressed JSON: /),
      expect.stringMatching(/^text\.example\.com\.json\.gz: invalid JSON: /),
    ]);
  });

  it('reports a missing folder instead of throwing', async () => {
    const loaded = await loadConfigDir('/nonexistent/geodns-config');
    expect(loaded.zones).toEqual([]);
    expect(loaded.errors[0]).toMatch(/^config dir \/nonexistent\/geodns-config: ENOENT/);
  });
});

describe('validateDocument', () => {
  it('accepts a good zone and refuses upper-case names, unknown fields, bad addresses and CIDRs', () => {
    expect(validateDocument('z.json', zoneDoc('geo.example.com', 1)).kind).toBe('zone');
    const upper = validateDocument('u.json', { ...zoneDoc('geo.example.com', 1), zone: 'Geo.Example.com' });
    expect(upper).toMatchObject({ kind: 'invalid', zoneName: 'Geo.Example.com' });
    expect(upper.kind === 'invalid' && upper.errors[0]).toBe(
      'u.json: zone: "Geo.Example.com" must be lower case, without a trailing dot',
    );
    const extra = validateDocument('x.json', { ...zoneDoc('geo.example.com', 1), colour: 'blue' });
    expect(extra.kind === 'invalid' && extra.errors).toEqual(['x.json: colour: unknown field']);
    const doc = zoneDoc('geo.example.com', 1);
    doc.routed[0]?.targets[0]?.addresses.push('300.1.1.1');
    doc.networks[0] = { cidr: '10.0.0.0/33', location: {} };
    const bad = validateDocument('a.json', doc);
    expect(bad.kind === 'invalid' && bad.errors).toEqual([
      'a.json: routed[0].targets[0].addresses[1]: "300.1.1.1" is not an IP address',
      'a.json: networks[0].cidr: "10.0.0.0/33" is not a CIDR',
    ]);
  });

  it('refuses a health table with a bad entry, naming the target', () => {
    const bad = validateDocument('h.json', { format: 'geodns.io/health/v1', targets: { 'a/b/c': { up: 'yes' } } });
    expect(bad.kind === 'invalid' && bad.errors).toEqual([
      'h.json: targets["a/b/c"].since: required field missing',
      'h.json: targets["a/b/c"].up: must be boolean',
    ]);
  });
});
