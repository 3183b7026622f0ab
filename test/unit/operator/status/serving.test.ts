// Which serial and which DNSSEC keys a DNS server serves, asked over UDP as the operator asks each DNS pod: against
// a real geodns serve (one signing with dnssec-keygen keys, one without keys for a zone marked signed).
import { createSocket, type Socket } from 'node:dgram';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countKeyServing,
  countServing,
  dnsServersOf,
  queryKeyTags,
  querySerial,
} from '../../../../operator/status/serving.ts';
import { keygen, pairsOf, publishAsSecret, type KeyPair } from '../../../support/dnssec-keys.ts';
import { EXAMPLES, runCli, startServe, type ServeProcess } from '../../../support/serve.ts';
import { tempDir } from '../../../support/temp-dir.ts';

let server: ServeProcess;
let silent: Socket;
let silentPort: number;

beforeAll(async () => {
  server = await startServe(['--resources', EXAMPLES]);
  silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  silentPort = silent.address().port;
});

afterAll(async () => {
  await server.stop();
  silent.close();
});

describe('querySerial', () => {
  it('reads the SOA serial an authoritative server answers, as dig does', async () => {
    const dig = await server.dig(['geo.example.com', 'SOA', '+norec']);
    const serial = Number(dig.answer[0]?.data.split(' ')[2]);
    expect(serial).toBeGreaterThan(0);
    expect(await querySerial({ address: '127.0.0.1', port: server.port }, 'geo.example.com')).toBe(serial);
  });

  it('says nothing for a zone the server refuses, or a server that does not answer in time', async () => {
    expect(await querySerial({ address: '127.0.0.1', port: server.port }, 'example.org')).toBeUndefined();
    expect(await querySerial({ address: '127.0.0.1', port: silentPort }, 'geo.example.com', 200)).toBeUndefined();
  });

  it('counts the servers on a serial', async () => {
    const serial = await querySerial({ address: '127.0.0.1', port: server.port }, 'geo.example.com');
    const servers = [
      { address: '127.0.0.1', port: server.port },
      { address: '127.0.0.1', port: silentPort },
    ];
    expect(await countServing(servers, 'geo.example.com', serial!, 200)).toEqual({ current: 1, total: 2 });
    expect(await countServing(servers, 'geo.example.com', serial! + 1, 200)).toEqual({ current: 0, total: 2 });
  });
});

describe('queryKeyTags', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let signing: ServeProcess;
  let unkeyed: ServeProcess;
  let keys: KeyPair[];

  beforeAll(async () => {
    temp = await tempDir('serving-keys');
    const made = path.join(temp.dir, 'made');
    const keyDir = path.join(temp.dir, 'keys');
    const empty = path.join(temp.dir, 'empty');
    const config = path.join(temp.dir, 'config');
    for (const dir of [made, keyDir, empty, config]) await mkdir(dir);
    keys = [await keygen(made, 'ECDSAP256SHA256'), await keygen(made, 'ED25519')];
    await publishAsSecret(keyDir, 'v1', pairsOf(...keys));
    signing = await startServe(['--resources', EXAMPLES], { args: ['--dnssec-keys', keyDir] });
    const compiled = await runCli(['compile', '--out-dir', config, EXAMPLES]);
    expect(compiled.code, compiled.stderr).toBe(0);
    for (const name of await readdir(config)) {
      const file = path.join(config, name);
      const document = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      if (document.zone === 'geo.example.com') {
        await writeFile(file, JSON.stringify({ ...document, dnssec: { keyTags: [keys[0]!.tag] } }));
      }
    }
    unkeyed = await startServe(['--config', config], { args: ['--dnssec-keys', empty] });
  }, 60_000);

  afterAll(async () => {
    await signing?.stop();
    await unkeyed?.stop();
    await temp?.remove();
  });

  it('reads the key tags of the signed DNSKEY rrset, as dig +dnssec shows them', async () => {
    const tags = keys.map((k) => k.tag).sort((a, b) => a - b);
    const dig = await signing.dig(['geo.example.com', 'DNSKEY', '+dnssec', '+norec']);
    const shown = dig.answer.filter((r) => r.type === 'RRSIG').map((r) => Number(r.data.split(/\s+/)[6]));
    expect([...new Set(shown)].sort((a, b) => a - b)).toEqual(tags);
    expect(await queryKeyTags({ address: '127.0.0.1', port: signing.port }, 'geo.example.com')).toEqual(tags);
  });

  it('says nothing for a server without the keys (SERVFAIL), one that does not sign, or one that does not answer', async () => {
    expect(await queryKeyTags({ address: '127.0.0.1', port: unkeyed.port }, 'geo.example.com')).toBeUndefined();
    expect(await queryKeyTags({ address: '127.0.0.1', port: server.port }, 'geo.example.com')).toBeUndefined();
    expect(await queryKeyTags({ address: '127.0.0.1', port: silentPort }, 'geo.example.com', 200)).toBeUndefined();
  });

  it('counts the servers publishing exactly the key set', async () => {
    const servers = [signing, unkeyed, server].map((s) => ({ address: '127.0.0.1', port: s.port }));
    const tags = keys.map((k) => k.tag);
    expect(await countKeyServing(servers, 'geo.example.com', [...tags].reverse(), 500)).toEqual({
      current: 1,
      total: 3,
    });
    expect(await countKeyServing(servers, 'geo.example.com', [tags[0]!], 500)).toEqual({ current: 0, total: 3 });
  });
});

describe('dnsServersOf', () => {
  it('takes the ready endpoints of the DNS Service and its UDP port named dns', () => {
    const slice = (namespace: string, service: string, ready: boolean | undefined, address: string) => ({
      metadata: { namespace, labels: { 'kubernetes.io/service-name': service } },
      ports: [
        { name: 'metrics', port: 9153, protocol: 'TCP' },
        { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
        { name: 'dns', port: 5353, protocol: 'UDP' },
      ],
      endpoints: [{ addresses: [address], conditions: ready === undefined ? {} : { ready } }],
    });
    expect(
      dnsServersOf(
        [
          slice('geodns-system', 'geodns-dns', true, '10.0.0.1'),
          slice('geodns-system', 'geodns-dns', undefined, '10.0.0.2'),
          slice('geodns-system', 'geodns-dns', false, '10.0.0.3'),
          slice('other', 'geodns-dns', true, '10.0.0.4'),
          slice('geodns-system', 'web', true, '10.0.0.5'),
        ],
        'geodns-system',
        'geodns-dns',
      ),
    ).toEqual([
      { address: '10.0.0.1', port: 5353 },
      { address: '10.0.0.2', port: 5353 },
    ]);
  });
});
