// Two clusters signing one zone with keys of their own (RFC 8901 model 2, docs/dnssec.md "Several clusters"), each
// a real control plane with its operator (peers over loopback) and `geodns serve --kube --dnssec-keys` on its key
// Secret laid out as the kubelet mounts it. Each DNS server's DNSKEY rrset holds both clusters' keys, signed by its
// own key alone; status.dnssec.ds gives both DS; unbound with both DS as trust anchors validates each server's
// answers, and unbound trusting only the DNSKEY rrset fetched from one server validates the other's. A roll in one
// cluster stays Published until the other publishes the new key. A stopped peer's
// key stays published, also by a restarted operator that has not heard the peer since. A key both clusters share
// (keySecretRef naming the same dnssec-keygen pair in each) is published once: one DS, the same document in both.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import type { DnsRecord } from '../../support/dig.ts';
import { publishAsSecret, secretFiles } from '../../support/dnssec-keys.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { geoExampleDocument } from '../../support/published-zone.ts';
import { CITY_MMDB, startServe, type ServeProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { startResolver, type Unbound } from '../../support/unbound.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const ZONE = 'geo.example.com';
const PEER_KEY = 'a shared key of at least 32 bytes, the same everywhere';

interface DsStatus {
  keyTag: number;
  rdata: string;
  record: string;
  cluster?: string;
}

interface Side {
  name: 'eu' | 'us';
  cluster: Cluster;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  operator: Operator;
  url: string;
  server?: ServeProcess;
}

let temp: TempDir;
const sides: Side[] = [];
const stops: (() => Promise<void>)[] = [];

function startOperator(name: string, cluster: Cluster, port = 0): Operator {
  const operator = new Operator({
    kubeConfig: cluster.operator,
    namespace: NS,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }).child({ cluster: name }),
    metrics: new OperatorMetrics(),
    healthCoalesceMs: 20,
    dnssecRecheckMs: 300,
    servingIntervalMs: 200,
    peers: { cluster: name, listen: { host: '127.0.0.1', port }, intervalMs: 200 },
  });
  void operator.start();
  return operator;
}

async function startSide(name: 'eu' | 'us'): Promise<Side> {
  const cluster = await startCluster({ name: `geodns-multisigner-${name}` });
  const core = cluster.admin.makeApiClient(CoreV1Api);
  const custom = cluster.admin.makeApiClient(CustomObjectsApi);
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: 'geodns-peers' }, stringData: { key: PEER_KEY } },
  });
  const operator = startOperator(name, cluster);
  const address = await until(`the ${name} peer listener`, () => operator.peerAddress);
  const side: Side = { name, cluster, core, custom, operator, url: `http://127.0.0.1:${address.port}` };
  sides.push(side);
  return side;
}

async function dnssecDs(side: Side): Promise<DsStatus[]> {
  const zone = (await side.custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
    status?: { dnssec?: { ds?: DsStatus[] } };
  };
  return zone.status?.dnssec?.ds ?? [];
}

/** unbound validating with `anchors` (DS or DNSKEY records) only, sending the zone's queries to `server` alone. */
async function validator(name: string, anchors: string[], server: ServeProcess): Promise<Unbound> {
  const unbound = await startResolver(
    temp.dir,
    name,
    {
      anchor: anchors[0] as string,
      extra: anchors.slice(1).map((a) => `trust-anchor: "${a}"`),
      stubs: [{ zone: ZONE, addresses: [`127.0.0.1@${server.port}`] }],
      clientSubnetTo: ['127.0.0.1'],
    },
    ZONE,
  );
  stops.push(() => unbound.stop());
  return unbound;
}

const [eu, us] = [() => sides[0] as Side, () => sides[1] as Side];
/** Key tags in a dig answer's DNSKEY records, and the key tags of its RRSIGs over DNSKEY. */
const dnskeyRecords = (answer: DnsRecord[]) => answer.filter((r) => r.type === 'DNSKEY');
const rrsigTags = (answer: DnsRecord[]) =>
  answer
    .filter((r) => r.type === 'RRSIG' && r.data.startsWith('DNSKEY '))
    .map((r) => Number(r.data.split(/\s+/)[6]))
    .sort((a, b) => a - b);

beforeAll(async () => {
  temp = await tempDir('multi-signer');
  await startSide('eu');
  await startSide('us');
  const peers = sides.map((s) => ({ name: s.name, url: s.url }));
  for (const side of sides) {
    await side.custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({
        dnssec: { enabled: true },
        peers,
        peerAuth: { secretRef: { name: 'geodns-peers' } },
        peerTimeout: '2s',
      }),
    });
    await side.custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www'),
    });
  }
}, 240_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const side of sides) {
    await side.server?.stop();
    await side.operator.stop();
    await side.cluster.stop();
  }
  await temp?.remove();
}, 120_000);

describe('two clusters signing one zone with keys of their own', { timeout: 180_000 }, () => {
  it("publishes both keys everywhere, signs with its own, and each validates with the other's keys", async () => {
    // Each status gives both DS: its own, and the peer's marked with the peer's name.
    const ds = new Map<string, DsStatus[]>();
    for (const side of sides) {
      const other = side.name === 'eu' ? 'us' : 'eu';
      ds.set(
        side.name,
        await until(`${side.name}'s status giving both DS`, () => dnssecDs(side), {
          accept: (list) => list.length === 2 && list.some((d) => d.cluster === other),
          timeoutMs: 60_000,
        }),
      );
    }
    const own = (name: string) => ds.get(name)?.find((d) => d.cluster === undefined) as DsStatus;
    expect(ds.get('eu')?.find((d) => d.cluster === 'us')).toEqual({ ...own('us'), cluster: 'us' });
    expect(ds.get('us')?.find((d) => d.cluster === 'eu')).toEqual({ ...own('eu'), cluster: 'eu' });
    expect(own('eu').keyTag).not.toBe(own('us').keyTag);

    // Each published document: its own key tag, the peer's key to publish.
    for (const side of sides) {
      const other = side.name === 'eu' ? 'us' : 'eu';
      const document = await until(
        `${side.name}'s document publishing ${other}'s key`,
        () => geoExampleDocument(side.core),
        {
          accept: (d) => d?.dnssec?.publishedKeys?.length === 1,
          timeoutMs: 30_000,
        },
      );
      expect(document?.dnssec?.keyTags).toEqual([own(side.name).keyTag]);
      expect(document?.dnssec?.publishedKeys?.map((k) => [k.cluster, k.flags, k.algorithm])).toEqual([
        [other, 257, 13],
      ]);
    }

    for (const side of sides) {
      const files = await until(`${side.name}'s key Secret`, () => secretFiles(side.core, NS, 'geodns-dnssec-keys'));
      const mount = path.join(temp.dir, `keys-${side.name}`);
      await mkdir(mount);
      await publishAsSecret(mount, 'v1', files);
      side.server = await startServe(['--kube', '--kubeconfig', side.cluster.dnsKubeconfig, '--namespace', NS], {
        geoip: CITY_MMDB,
        args: ['--dnssec-keys', mount],
      });
      await until(`${side.name}'s DNS server ready`, () => (side.server as ServeProcess).fetch('/readyz'), {
        accept: (r) => r.status === 200,
        timeoutMs: 30_000,
      });
    }

    // Each server's DNSKEY rrset holds both keys, signed by its own key alone.
    const dnskeys = new Map<string, DnsRecord[]>();
    for (const side of sides) {
      const answer = await until(`${side.name}'s DNSKEY with both keys`, async () => {
        const reply = await (side.server as ServeProcess).dig([ZONE, 'DNSKEY', '+dnssec']);
        return dnskeyRecords(reply.answer).length === 2 ? reply : undefined;
      });
      expect(rrsigTags(answer.answer)).toEqual([own(side.name).keyTag]);
      dnskeys.set(side.name, dnskeyRecords(answer.answer));
    }
    const keyText = (name: string) => (dnskeys.get(name) ?? []).map((r) => r.data.replace(/\s+/g, ' ')).sort();
    expect(keyText('eu')).toEqual(keyText('us'));

    // unbound with both DS as its only trust anchors validates each server's answers (AD).
    const bothDs = [own('eu').record, own('us').record];
    for (const side of sides) {
      const unbound = await validator(`both-ds-${side.name}`, bothDs, side.server as ServeProcess);
      const answer = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
      expect(answer.status).toBe('NOERROR');
      expect(answer.flags).toContain('ad');
      expect(answer.answer.filter((r) => r.type === 'A').map((r) => r.data)).toEqual(['192.0.2.1']);
    }

    // A validator that trusts only the DNSKEY rrset fetched from eu validates what us signs, and the other way.
    for (const [from, to] of [
      [eu(), us()],
      [us(), eu()],
    ] as const) {
      const anchors = (dnskeys.get(from.name) ?? []).map((r) => `${ZONE}. 3600 IN DNSKEY ${r.data}`);
      const unbound = await validator(`keys-of-${from.name}-at-${to.name}`, anchors, to.server as ServeProcess);
      const answer = await unbound.dig([`www.${ZONE}`, 'A']);
      expect(answer.status).toBe('NOERROR');
      expect(answer.flags).toContain('ad');
      const nx = await unbound.dig([`nope.${ZONE}`, 'A']);
      expect(nx.flags).toContain('ad');
    }
  });

  it("rolls one cluster's key only once the peer publishes the new key", async () => {
    const status = async (side: Side) =>
      (
        (await side.custom.getClusterCustomObject({ ...GROUP, plural: 'geozones', name: 'geo-example' })) as {
          status?: { dnssec?: { roll?: { phase: string; newKeyTag: number; next: string }; keyTags?: string } };
        }
      ).status?.dnssec;
    // A DNSKEY TTL of a second, so that the Published phase's own wait is short; us is down when the roll starts.
    await eu().custom.patchClusterCustomObject(
      {
        ...GROUP,
        plural: 'geozones',
        name: 'geo-example',
        body: [{ op: 'add', path: '/spec/soa/ttl', value: 1 }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await us().operator.stop();
    const oldTag = Number((await status(eu()))?.keyTags);
    await eu().cluster.plane.kubectl([
      'annotate',
      'gz',
      'geo-example',
      'geodns.io/dnssec-roll=r1',
      'geodns.io/dnssec-parent-ds-ttl=1',
    ]);
    const started = await until('the roll started', () => status(eu()), {
      accept: (s) => s?.roll?.phase === 'Published',
      timeoutMs: 30_000,
    });
    const newTag = started?.roll?.newKeyTag as number;
    // Well past the DNSKEY TTL and many checks of the DNS pods (none here: nothing to wait for), it still waits
    // for us, which has not published the new key.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const waiting = await status(eu());
    expect(waiting?.roll?.phase).toBe('Published');
    expect(waiting?.roll?.next).toContain(`the peer cluster(s) us to publish key ${newTag}`);

    // us back: it takes eu's new key, says so, and the roll goes on.
    us().operator = startOperator('us', us().cluster, Number(new URL(us().url).port));
    await until('the roll past Published', () => status(eu()), {
      accept: (s) => s?.roll?.phase === 'DSPending',
      timeoutMs: 30_000,
    });
    const usKeys = (await geoExampleDocument(us().core))?.dnssec?.publishedKeys ?? [];
    expect(usKeys.filter((k) => k.cluster === 'eu')).toHaveLength(2);

    // The DS swapped: the old key retires in eu, and leaves us's DNSKEY rrset with it.
    await eu().cluster.plane.kubectl([
      'annotate',
      '--overwrite',
      'gz',
      'geo-example',
      `geodns.io/dnssec-ds-updated=${newTag}`,
    ]);
    await until('the old key retired', () => status(eu()), {
      accept: (s) => s?.keyTags === String(newTag) && s.roll === undefined,
      timeoutMs: 30_000,
    });
    await until("us publishing eu's new key alone", () => geoExampleDocument(us().core), {
      accept: (d) => d?.dnssec?.publishedKeys?.filter((k) => k.cluster === 'eu').length === 1,
      timeoutMs: 30_000,
    });
    expect(oldTag).not.toBe(newTag);
    await eu().custom.patchClusterCustomObject(
      { ...GROUP, plural: 'geozones', name: 'geo-example', body: [{ op: 'remove', path: '/spec/soa/ttl' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  });

  it("keeps a stopped peer's key published, also after its own operator restarts without hearing the peer", async () => {
    await eu().operator.stop();
    const before = await geoExampleDocument(us().core);
    expect(before?.dnssec?.publishedKeys?.map((k) => k.cluster)).toEqual(['eu']);
    // Stale after 2 s; polls go on failing meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await us().operator.settled();
    expect((await geoExampleDocument(us().core))?.dnssec).toEqual(before?.dnssec);

    await us().operator.stop();
    const port = Number(new URL(us().url).port);
    us().operator = startOperator('us', us().cluster, port);
    await until('the restarted us operator leading', () => us().operator.isLeader, { timeoutMs: 30_000 });
    await us().operator.settled();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await us().operator.settled();
    const after = await geoExampleDocument(us().core);
    expect(after?.dnssec).toEqual(before?.dnssec);
    expect(after?.serial).toBe(before?.serial);
    const reply = await (us().server as ServeProcess).dig([ZONE, 'DNSKEY', '+dnssec']);
    expect(dnskeyRecords(reply.answer)).toHaveLength(2);
  });

  it('publishes a key both clusters share once: one DS, the same document in both', async () => {
    const restarted = startOperator('eu', eu().cluster, Number(new URL(eu().url).port));
    eu().operator = restarted;
    const dir = path.join(temp.dir, 'shared');
    await mkdir(dir);
    const base = execFileSync('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', ZONE], {
      encoding: 'utf8',
    }).trim();
    const files = {
      'csk.key': await readFile(path.join(dir, `${base}.key`), 'utf8'),
      'csk.private': await readFile(path.join(dir, `${base}.private`), 'utf8'),
    };
    const sharedTag = Number(base.split('+').at(-1));
    for (const side of sides) {
      await side.core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'my-keys' }, stringData: files },
      });
      await side.custom.patchClusterCustomObject(
        {
          ...GROUP,
          plural: 'geozones',
          name: 'geo-example',
          body: [{ op: 'replace', path: '/spec/dnssec', value: { enabled: true, keySecretRef: { name: 'my-keys' } } }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    }
    for (const side of sides) {
      const ds = await until(`${side.name}'s status giving the shared key's DS alone`, () => dnssecDs(side), {
        accept: (list) => list.length === 1 && list[0]?.keyTag === sharedTag,
        timeoutMs: 60_000,
      });
      expect(ds[0]?.cluster).toBeUndefined();
    }
    // The same content; the serials may differ by a second, each cluster taking its own clock when its content
    // changed (compile/serial.ts), as two signers' serials may (RFC 8901).
    const documents = await until(
      'the same document in both clusters',
      async () => Promise.all(sides.map((side) => geoExampleDocument(side.core))),
      {
        accept: ([a, b]) => a?.dnssec?.keyTags.join() === String(sharedTag) && a.contentHash === b?.contentHash,
        timeoutMs: 60_000,
      },
    );
    for (const document of documents) expect(document?.dnssec).toEqual({ keyTags: [sharedTag] });
  });
});
