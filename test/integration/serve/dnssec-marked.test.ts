// A zone whose compiled document says it is signed (`dnssec.keyTags`, as the operator writes it) never turns
// unsigned across a restart: a `geodns serve --config` started with an empty key folder (a Secret the kubelet has
// not filled yet) is not ready, says which zone in /readyz, the log and the metrics, and answers that zone SERVFAIL
// with EDE 14 (Not Ready), with and without DO, while a zone not marked is answered as ever. Once the keys arrive
// laid out as the kubelet mounts a Secret, it is ready and unbound, trusting only the key's DS, validates.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dsOf, keygen, pairsOf, publishAsSecret, type KeyPair } from '../../support/dnssec-keys.ts';
import { CITY_MMDB, EXAMPLES, runCli, startServe, type ServeProcess } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';

const ZONE = 'geo.example.com';
const PLAIN = 'plain.example.org';

const PLAIN_ZONE = `apiVersion: geodns.io/v1alpha1
kind: GeoZone
metadata:
  name: plain
spec:
  apex: ${PLAIN}
  soa:
    hostmaster: hostmaster.example.org
  nameServers:
    - name: ns1.example.net
  records:
    - name: www
      type: A
      values: [192.0.2.80]
`;

describe('a zone marked signed, served before its keys arrive', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let keysDir: string;
  let key: KeyPair;
  let server: ServeProcess;
  let unbound: Unbound | undefined;

  beforeAll(async () => {
    temp = await tempDir('dnssec-marked');
    const made = path.join(temp.dir, 'made');
    const plain = path.join(temp.dir, 'plain');
    const config = path.join(temp.dir, 'config');
    keysDir = path.join(temp.dir, 'keys');
    for (const dir of [made, plain, config, keysDir]) await mkdir(dir);
    key = await keygen(made, 'ECDSAP256SHA256');
    await writeFile(path.join(plain, 'zone.yaml'), PLAIN_ZONE);
    const compiled = await runCli(['compile', '--out-dir', config, EXAMPLES, plain]);
    expect(compiled.code, compiled.stderr).toBe(0);
    // The operator marks the zone from its key plan; here the document is marked as it would be.
    let marked = 0;
    for (const name of await readdir(config)) {
      const file = path.join(config, name);
      const document = JSON.parse(await readFile(file, 'utf8')) as { zone?: string; dnssec?: unknown };
      if (document.zone !== ZONE) continue;
      document.dnssec = { keyTags: [key.tag] };
      await writeFile(file, JSON.stringify(document));
      marked++;
    }
    expect(marked).toBe(1);
    server = await startServe(['--config', config], { geoip: CITY_MMDB, workers: 2, args: ['--dnssec-keys', keysDir] });
  }, 60_000);

  afterAll(async () => {
    await unbound?.stop();
    await server?.stop();
    await temp?.remove();
  });

  test('without its keys: not ready naming the zone, SERVFAIL with EDE 14 for it, the other zone answered', async () => {
    const ready = await server.fetch('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain(`dnssec: ${ZONE} is signed (key tags ${key.tag}) but no key for it is here`);
    const logged = await server.waitForLog((l) => String(l.msg).startsWith('DNSSEC: a zone marked signed'), 'log');
    expect(logged.zones).toEqual([{ zone: ZONE, keyTags: [key.tag] }]);
    expect((await server.fetch('/metrics')).body).toMatch(
      new RegExp(`^geodns_dnssec_keys_missing\\{zone="${ZONE.replaceAll('.', '\\.')}"\\} 1$`, 'm'),
    );

    for (const extra of [['+dnssec'], []]) {
      const answer = await server.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24', ...extra]);
      expect(answer.status, extra.join(' ')).toBe('SERVFAIL');
      expect(answer.answer).toEqual([]);
      expect(answer.raw).toMatch(/EDE: 14 \(Not Ready\)/);
    }
    const kdig = await server.kdig([ZONE, 'SOA', '+dnssec']);
    expect(kdig.status).toBe('SERVFAIL');

    const plain = await server.dig([`www.${PLAIN}`, 'A', '+dnssec']);
    expect(plain.status).toBe('NOERROR');
    expect(plain.answer.map((r) => r.data)).toEqual(['192.0.2.80']);
  }, 30_000);

  test('once the keys arrive as the kubelet mounts them: ready, and unbound validates with their DS', async () => {
    await publishAsSecret(keysDir, 'v1', pairsOf(key));
    await until('ready', () => server.fetch('/readyz'), { accept: (r) => r.status === 200, intervalMs: 100 });
    await server.waitForLog((l) => l.msg === 'DNSSEC: every zone marked signed has its keys', 'keys arrived');
    expect((await server.fetch('/metrics')).body).not.toMatch(/^geodns_dnssec_keys_missing\{/m);

    unbound = await startUnbound(temp.dir, 'marked', dsOf(key), server.port);
    const answer = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.answer.some((r) => r.type === 'A')).toBe(true);
  }, 60_000);
});

describe('a GeoZone with spec.dnssec.enabled served standalone (serve --resources) without its keys', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let keysDir: string;
  let key: KeyPair;
  let server: ServeProcess;

  beforeAll(async () => {
    temp = await tempDir('dnssec-marked-standalone');
    const made = path.join(temp.dir, 'made');
    const resources = path.join(temp.dir, 'resources');
    keysDir = path.join(temp.dir, 'keys');
    for (const dir of [made, resources, keysDir]) await mkdir(dir);
    key = await keygen(made, 'ECDSAP256SHA256', PLAIN);
    await writeFile(
      path.join(resources, 'zone.yaml'),
      PLAIN_ZONE.replace('  apex:', '  dnssec:\n    enabled: true\n  apex:'),
    );
    server = await startServe(['--resources', resources], { args: ['--dnssec-keys', keysDir] });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await temp?.remove();
  });

  test('is not answered unsigned: not ready and SERVFAIL with EDE 14 until its key arrives, then signed', async () => {
    const ready = await until('the zone loaded', () => server.fetch('/readyz'), {
      accept: (r) => r.body.includes(`dnssec: ${PLAIN} is signed (spec.dnssec.enabled) but no key for it is here`),
      intervalMs: 100,
    });
    expect(ready.status).toBe(503);
    for (const extra of [['+dnssec'], []]) {
      const answer = await server.dig([`www.${PLAIN}`, 'A', ...extra]);
      expect(answer.status, extra.join(' ')).toBe('SERVFAIL');
      expect(answer.raw).toMatch(/EDE: 14 \(Not Ready\)/);
    }

    await publishAsSecret(keysDir, 'v1', pairsOf(key));
    await until('ready', () => server.fetch('/readyz'), { accept: (r) => r.status === 200, intervalMs: 100 });
    const signed = await server.dig([`www.${PLAIN}`, 'A', '+dnssec']);
    expect(signed.status).toBe('NOERROR');
    expect(signed.answer.map((r) => r.type)).toEqual(['A', 'RRSIG']);
  }, 60_000);
});
