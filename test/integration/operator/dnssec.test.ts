// DNSSEC keys the operator keeps (docs/dnssec.md), against the real kube-apiserver with the operator's own
// ServiceAccount token (deploy/rbac/operator.yaml): a GeoZone with spec.dnssec.enabled gets a key in the Secret
// geodns-dnssec-keys, its status gives the DS BIND's dnssec-dsfromkey computes from that Secret's .key, and the
// Secret laid out as the kubelet mounts it lets `geodns serve --kube --dnssec-keys` sign answers unbound validates
// with that DS as its only trust anchor. Bring-your-own: a dnssec-keygen key in a user's Secret is adopted; a
// broken one gives a condition naming the file, and the last good keys stay. Going unsigned (spec.dnssec.unsign):
// the document says deleteDs, and once a knotd parent has had no DS for its TTL the condition says UnsignSafe.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyFileBase, parseKeyPair } from '../../../lib/dnssec/bind.ts';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import { publishAsSecret, secretFiles } from '../../support/dnssec-keys.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { DsParent } from '../../support/ds-parent.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { geoExampleDocument, geoExampleStatus } from '../../support/published-zone.ts';
import { startServe, CITY_MMDB, type ServeProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { startUnbound, type Unbound } from '../../support/unbound.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const ZONE = 'geo.example.com';
const KEY_SECRET = 'geodns-dnssec-keys';

interface DnssecStatus {
  keyTags?: string;
  parent?: { state: string; keyTags: number[]; records: string[]; source: string; message: string };
  roll?: { phase: string; oldKeyTags: number[]; newKeyTag: number; since: string; next: string };
  ds?: { keyTag: number; rdata: string; record: string }[];
  keys?: { keyTag: number; algorithm: number; flags: number; state: string }[];
}
interface ZoneStatus {
  dnssec?: DnssecStatus;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

let cluster: Cluster;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let temp: TempDir;
let operator: Operator | undefined;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-dnssec-test' });
  core = cluster.admin.makeApiClient(CoreV1Api);
  custom = cluster.admin.makeApiClient(CustomObjectsApi);
  temp = await tempDir('operator-dnssec');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await temp?.remove();
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await operator?.stop();
  operator = undefined;
  await cluster.reset();
  for (const name of [KEY_SECRET, 'my-keys']) {
    await core.deleteNamespacedSecret({ namespace: NS, name }).catch(() => undefined);
  }
}, 60_000);

function startOperator(options: { checkParentDs?: boolean } = {}): Operator {
  operator = new Operator({
    ...options,
    metrics: new OperatorMetrics(),
    kubeConfig: cluster.operator,
    namespace: NS,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    healthCoalesceMs: 20,
    dnssecRecheckMs: 300,
  });
  void operator.start();
  return operator;
}

async function applyZone(dnssec: Record<string, unknown>): Promise<void> {
  await custom.createClusterCustomObject({ ...GROUP, plural: 'geozones', body: geoZone({ dnssec }) });
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: 'web',
    plural: 'geoendpoints',
    body: geoEndpoint('www'),
  });
}

/** The pairs of a set of files, parsed and checked by the code the DNS pods use. */
function keysOf(files: Record<string, string>) {
  return Object.keys(files)
    .filter((name) => name.endsWith('.key') && parseKeyFileBase(name))
    .map((name) => {
      const base = name.slice(0, -'.key'.length);
      return parseKeyPair({
        keyFile: name,
        key: files[name] as string,
        privateFile: `${base}.private`,
        private: files[`${base}.private`] ?? '',
      });
    });
}

/** The DS as BIND computes it from a .key file's text. */
async function dsFromKey(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return execFileSync('dnssec-dsfromkey', ['-2', file], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
}

/** A dnssec-keygen pair as a user puts it in a Secret (whose keys cannot hold BIND's '+'): csk.key, csk.private. */
async function keygenSecretFiles(
  dir: string,
  algorithm: string,
): Promise<{ base: string; files: Record<string, string> }> {
  await mkdir(dir, { recursive: true });
  const base = execFileSync('dnssec-keygen', ['-q', '-K', dir, '-a', algorithm, '-f', 'KSK', ZONE], {
    encoding: 'utf8',
  }).trim();
  return {
    base,
    files: {
      'csk.key': await readFile(path.join(dir, `${base}.key`), 'utf8'),
      'csk.private': await readFile(path.join(dir, `${base}.private`), 'utf8'),
    },
  };
}

const encode = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text).toString('base64')]));

describe('DNSSEC keys kept by the operator', { timeout: 120_000 }, () => {
  it('makes a key for a signed zone, gives its DS in status, and the DNS pods sign with it for unbound', async () => {
    startOperator();
    await applyZone({ enabled: true });
    const files = await until('the key Secret', () => secretFiles(core, NS, KEY_SECRET), { timeoutMs: 30_000 });
    const keys = keysOf(files);
    expect(keys.map((k) => [k.zone, k.algorithm, k.flags])).toEqual([[ZONE, 13, 257]]);
    const key = keys[0]!;
    const keyFile = Object.keys(files).find((n) => n.endsWith('.key'))!;
    const ds = await dsFromKey(temp.dir, keyFile, files[keyFile]!);

    const status = await until(
      'status.dnssec',
      async () => {
        const s = await geoExampleStatus<ZoneStatus>(custom);
        return s.dnssec?.ds?.length ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(status.dnssec?.keyTags).toBe(String(key.keyTag));
    expect(status.dnssec?.keys).toEqual([
      { keyTag: key.keyTag, algorithm: 13, flags: 257, publicKey: key.publicKey.toString('base64'), state: 'Active' },
    ]);
    expect(status.dnssec?.ds?.[0]?.record.toLowerCase()).toBe(ds.toLowerCase());
    expect(`${ZONE}. IN DS ${status.dnssec?.ds?.[0]?.rdata}`.toLowerCase()).toBe(ds.toLowerCase());
    expect(status.conditions?.find((c) => c.type === 'DNSSEC')).toMatchObject({ status: 'True', reason: 'KeysReady' });
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    expect(events.items.map((e) => e.reason)).toContain('DNSSECKeyCreated');

    // The published document says the zone is signed, and by which key.
    const marked = await until('the document marked signed', async () => {
      const published = await geoExampleDocument(core);
      return published?.dnssec ? published : undefined;
    });
    expect(marked.dnssec).toEqual({ keyTags: [key.keyTag] });

    // The key stays: a restarted operator keeps it rather than making another, and the document stays as it was
    // (the mark never dropped for a moment: that would have written the document again with a new serial).
    await operator?.stop();
    const restarted = startOperator();
    await until('the new operator leading', () => restarted.isLeader, { timeoutMs: 30_000 });
    await restarted.settled();
    expect(keysOf((await secretFiles(core, NS, KEY_SECRET))!).map((k) => k.keyTag)).toEqual([key.keyTag]);
    expect(await geoExampleDocument(core)).toMatchObject({ serial: marked.serial, dnssec: { keyTags: [key.keyTag] } });

    // Removing spec.dnssec altogether turns nothing unsigned: the key stays in the Secret (Retained) and the document
    // stays marked, so a DNS pod restarted without the Secret still refuses to answer the zone unsigned.
    await cluster.plane.kubectl([
      'patch',
      'gz',
      'geo-example',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/spec/dnssec"}]',
    ]);
    const retained = await until('the key retained', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.keys?.[0]?.state === 'Retained',
    });
    expect(retained.conditions?.find((c) => c.type === 'DNSSEC')).toMatchObject({
      status: 'True',
      reason: 'DisabledKeysKept',
    });
    await restarted.settled();
    expect((await geoExampleDocument(core))?.dnssec).toEqual({ keyTags: [key.keyTag] });

    // A DNS pod started before the kubelet has filled the Secret's folder: not ready, and SERVFAIL, not unsigned.
    const mount = path.join(temp.dir, 'mount');
    await mkdir(mount);
    const server: ServeProcess = await startServe(
      ['--kube', '--kubeconfig', cluster.dnsKubeconfig, '--namespace', NS],
      { geoip: CITY_MMDB, args: ['--dnssec-keys', mount] },
    );
    stops.push(async () => void (await server.stop()));
    await until('the zone loaded', () => server.fetch('/readyz'), {
      accept: (r) => r.body.includes(`dnssec: ${ZONE} is signed (key tags ${key.keyTag})`),
      timeoutMs: 30_000,
    });
    expect((await server.fetch('/readyz')).status).toBe(503);
    const early = await server.dig([`www.${ZONE}`, 'A', '+dnssec']);
    expect(early.status).toBe('SERVFAIL');
    expect(early.raw).toMatch(/EDE: 14 \(Not Ready\)/);

    // The Secret as the kubelet mounts it: the pod is ready and signs with it.
    await publishAsSecret(mount, 'v1', files);
    await until('ready', () => server.fetch('/readyz'), { accept: (r) => r.status === 200, timeoutMs: 30_000 });
    await until('the zone served', async () => (await server.dig([`www.${ZONE}`, 'A'])).status === 'NOERROR', {
      timeoutMs: 30_000,
    });
    const unbound: Unbound = await startUnbound(temp.dir, 'operator-ds', ds, server.port);
    stops.push(() => unbound.stop());
    const answer = await unbound.dig([`www.${ZONE}`, 'A', '+subnet=198.51.100.0/24']);
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.answer.filter((r) => r.type === 'A').map((r) => r.data)).toEqual(['192.0.2.1']);
  });

  it('rolls a key on demand: published beside the old, the DS swapped on confirmation, the old key retired', async () => {
    startOperator();
    // TTLs of a second, so the RFC 7583 waits (the DNSKEY TTL, the parent's DS TTL) take seconds here.
    await custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({ dnssec: { enabled: true }, soa: { hostmaster: 'hostmaster.example.com', ttl: 1 } }),
    });
    const first = await until('the first key', async () => (await geoExampleStatus<ZoneStatus>(custom)).dnssec?.keys, {
      timeoutMs: 30_000,
    });
    const oldTag = first[0]!.keyTag;
    const annotate = (annotations: Record<string, string>) =>
      cluster.plane.kubectl([
        'annotate',
        '--overwrite',
        'gz',
        'geo-example',
        ...Object.entries(annotations).map(([k, v]) => `${k}=${v}`),
      ]);
    await annotate({ 'geodns.io/dnssec-roll': 'r1', 'geodns.io/dnssec-parent-ds-ttl': '2' });

    // Published, then (no DNS pod to wait for, DNSKEY TTL 1 s) DSPending: both keys in the Secret and in the DS list.
    const pending = await until('the roll waiting for the DS', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.roll?.phase === 'DSPending',
    });
    const newTag = pending.dnssec!.roll!.newKeyTag;
    expect(pending.dnssec?.roll?.oldKeyTags).toEqual([oldTag]);
    expect(new Set(keysOf((await secretFiles(core, NS, KEY_SECRET))!).map((k) => k.keyTag))).toEqual(
      new Set([oldTag, newTag]),
    );
    expect(pending.dnssec?.keys?.map((k) => [k.keyTag, k.state]).sort()).toEqual(
      [
        [oldTag, 'Retiring'],
        [newTag, 'Active'],
      ].sort(),
    );
    expect(pending.dnssec?.ds?.map((d) => d.keyTag).sort()).toEqual([oldTag, newTag].sort());
    expect(pending.conditions?.find((c) => c.type === 'DNSSEC')?.message).toContain(
      `geodns.io/dnssec-ds-updated=${newTag}`,
    );
    // The published document names both keys: the DNS pods sign with both.
    expect((await geoExampleDocument(core))?.dnssec?.keyTags).toEqual([oldTag, newTag].sort((a, b) => a - b));

    // The parent's DS confirmed: after its TTL (2 s) the old key leaves the Secret, the status and the document.
    await annotate({ 'geodns.io/dnssec-ds-updated': String(newTag) });
    const done = await until('the old key retired', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.keys?.length === 1 && status.dnssec.roll === undefined,
    });
    expect(done.dnssec?.keys).toEqual([expect.objectContaining({ keyTag: newTag, state: 'Active' })]);
    expect(done.dnssec?.keyTags).toBe(String(newTag));
    expect(keysOf((await secretFiles(core, NS, KEY_SECRET))!).map((k) => k.keyTag)).toEqual([newTag]);
    await until('the document marked with the new key alone', () => geoExampleDocument(core), {
      timeoutMs: 30_000,
      accept: (zone) => zone?.dnssec?.keyTags.join() === String(newTag),
    });
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    const reasons = events.items.map((e) => e.reason);
    for (const reason of ['DNSSECRollStarted', 'DNSSECRollDSPending', 'DNSSECRollDSConfirmed', 'DNSSECKeyRetired']) {
      expect(reasons).toContain(reason);
    }

    // The same request again does nothing; the roll is remembered across an operator restart.
    await operator?.stop();
    const restarted = startOperator();
    await until('the new operator leading', () => restarted.isLeader, { timeoutMs: 30_000 });
    await restarted.settled();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await restarted.settled();
    expect(keysOf((await secretFiles(core, NS, KEY_SECRET))!).map((k) => k.keyTag)).toEqual([newTag]);
  });

  it("checks the parent's DS (Missing, Matches, Mismatch) and rolls on by itself once the parent holds the new DS", async () => {
    // The parent, example.com, on knotd: it delegates geo.example.com and holds the DS the test writes.
    const parent = await DsParent.start(path.join(temp.dir, 'parent'));
    stops.push(() => parent.stop());

    startOperator({ checkParentDs: true });
    await custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({
        dnssec: { enabled: true, parent: { servers: [parent.address] } },
        soa: { hostmaster: 'hostmaster.example.com', ttl: 1 },
      }),
    });
    const missing = await until("the parent's DS checked", () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.parent?.state === 'Missing',
    });
    const oldTag = missing.dnssec!.keys![0]!.keyTag;
    const oldDs = missing.dnssec!.ds![0]!.rdata;
    expect(missing.dnssec?.parent?.source).toBe(parent.address);

    // The user pastes status.dnssec.ds at the registrar: Matches, with an Event.
    await parent.setDs([oldDs]);
    const matches = await until("the parent's DS matching", () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.parent?.state === 'Matches',
    });
    expect(matches.dnssec?.parent).toMatchObject({ keyTags: [oldTag], records: [oldDs] });

    // A roll: DSPending waits for the parent; once its DS points at the new key the roll goes on, no annotation.
    await cluster.plane.kubectl(['annotate', '--overwrite', 'gz', 'geo-example', 'geodns.io/dnssec-roll=r1']);
    const pending = await until('the roll waiting for the DS', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.roll?.phase === 'DSPending',
    });
    const newTag = pending.dnssec!.roll!.newKeyTag;
    const newDs = pending.dnssec!.ds!.find((d) => d.keyTag === newTag)!.rdata;
    await parent.setDs([newDs]);
    // Retiring waits the parent's DS TTL, which the parent's own servers gave (2 s): then the old key goes.
    const done = await until('the old key retired', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.keys?.length === 1 && status.dnssec.roll === undefined,
    });
    expect(done.dnssec?.keys).toEqual([expect.objectContaining({ keyTag: newTag, state: 'Active' })]);
    expect(done.dnssec?.parent).toMatchObject({ state: 'Matches', keyTags: [newTag] });

    // A DS for a key the zone does not have: Mismatch, with a Warning naming the record.
    await parent.setDs([oldDs]);
    const mismatch = await until("the parent's DS not matching", () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.parent?.state === 'Mismatch',
    });
    expect(mismatch.dnssec?.parent?.message).toContain(oldDs);
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    const reasons = events.items.map((e) => e.reason);
    for (const reason of ['DNSSECParentDSMatches', 'DNSSECRollDSConfirmed', 'DNSSECParentDSMismatch']) {
      expect(reasons).toContain(reason);
    }
    const confirmed = events.items.find((e) => e.reason === 'DNSSECRollDSConfirmed');
    expect(confirmed?.message).toContain(`asked ${parent.address}`);
  });

  it('takes a zone off DNSSEC: deleteDs in the document, and once the parent has no DS for its TTL, UnsignSafe', async () => {
    const parent = await DsParent.start(path.join(temp.dir, 'unsign-parent'));
    stops.push(() => parent.stop());
    startOperator({ checkParentDs: true });
    const servers = [parent.address];
    await custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({ dnssec: { enabled: true, parent: { servers } } }),
    });
    const signed = await until('a key', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.parent?.state === 'Missing',
    });
    const tag = signed.dnssec!.keys![0]!.keyTag;
    await parent.setDs([signed.dnssec!.ds![0]!.rdata]);
    await until("the parent's DS matching", () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => status.dnssec?.parent?.state === 'Matches',
    });

    const patch = (dnssec: Record<string, unknown>) =>
      cluster.plane.kubectl(['patch', 'gz', 'geo-example', '--type=merge', '-p', JSON.stringify({ spec: { dnssec } })]);
    await expect(patch({ enabled: true, unsign: true })).rejects.toThrow(/dnssec.unsign takes the zone off DNSSEC/);
    await patch({ enabled: false, unsign: true });
    const document = await until('the document saying deleteDs', () => geoExampleDocument(core), {
      timeoutMs: 30_000,
      accept: (d) => d?.dnssec?.deleteDs === true,
    });
    expect(document?.dnssec).toEqual({ keyTags: [tag], deleteDs: true });
    const dnssecCondition = (status: ZoneStatus) => status.conditions?.find((c) => c.type === 'DNSSEC');
    const unsigning = await until('Unsigning', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => dnssecCondition(status)?.reason === 'Unsigning',
    });
    expect(dnssecCondition(unsigning)).toMatchObject({ status: 'True' });
    expect(dnssecCondition(unsigning)?.message).toContain('CDS 0 0 0 00 and CDNSKEY 0 3 0 AA==');
    expect(dnssecCondition(unsigning)?.message).toContain(`asked ${parent.address}: Matches`);
    expect(unsigning.dnssec?.keys).toEqual([expect.objectContaining({ keyTag: tag, state: 'Retained' })]);

    // The parent drops the DS (as one that scans CDS does): after its TTL (2 s, as its own servers gave it), safe.
    await parent.setDs([]);
    const safe = await until('UnsignSafe', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (status) => dnssecCondition(status)?.reason === 'UnsignSafe',
    });
    const message = dnssecCondition(safe)!.message;
    expect(message).toContain('its TTL of 2s has passed');
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    expect(events.items.filter((e) => e.reason === 'DNSSECParentDSRemoved')).toHaveLength(1);
    // Still signed until the keys go: the keys in the Secret, the document marked.
    expect(keysOf((await secretFiles(core, NS, KEY_SECRET))!).map((k) => k.keyTag)).toEqual([tag]);
    expect((await geoExampleDocument(core))?.dnssec).toEqual({ keyTags: [tag], deleteDs: true });

    // The command the condition gives removes the keys; the zone is unmarked then.
    const command = /kubectl -n (\S+) patch secret (\S+) --type=json -p '([^']+)'/.exec(message);
    expect(command?.slice(1, 3)).toEqual([NS, KEY_SECRET]);
    await cluster.plane.kubectl(['-n', NS, 'patch', 'secret', KEY_SECRET, '--type=json', '-p', command![3]!]);
    expect(await secretFiles(core, NS, KEY_SECRET)).toEqual({});
    await until('the document unmarked', () => geoExampleDocument(core), {
      timeoutMs: 30_000,
      accept: (d) => d?.dnssec === undefined,
    });
    const off = await until('DNSSEC off', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.keyTags === 'off',
    });
    expect(dnssecCondition(off)?.reason).toBe('Disabled');
  });

  it('adopts a dnssec-keygen key from a Secret; a broken one is named in a condition and the last good key stays', async () => {
    const own = await keygenSecretFiles(path.join(temp.dir, 'byo'), 'ED25519');
    const adoptedBase = own.base.replaceAll('+', '_');
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'my-keys' }, data: encode(own.files) },
    });
    startOperator();
    await applyZone({ enabled: true, keySecretRef: { name: 'my-keys' } });
    const files = await until(
      'the adopted key',
      async () => {
        const f = await secretFiles(core, NS, KEY_SECRET);
        return f && f[`${adoptedBase}.key`] ? f : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(files[`${adoptedBase}.private`]).toBe(own.files['csk.private']);
    const ds = await dsFromKey(temp.dir, `${own.base}.key`, own.files['csk.key']!);
    const adopted = await until(
      'status.dnssec of the adopted key',
      async () => {
        const s = await geoExampleStatus<ZoneStatus>(custom);
        return s.dnssec?.ds?.length ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(adopted.dnssec?.ds?.map((d) => d.record.toLowerCase())).toEqual([ds.toLowerCase()]);

    // A hand edit breaks the pair: the algorithm line says RSA.
    const brokenFiles = {
      ...own.files,
      'csk.private': own.files['csk.private']!.replace(/^Algorithm: .*$/m, 'Algorithm: 8 (RSASHA256)'),
    };
    await core.replaceNamespacedSecret({
      namespace: NS,
      name: 'my-keys',
      body: { metadata: { name: 'my-keys' }, data: encode(brokenFiles) },
    });
    const condition = await until(
      'the KeySecretInvalid condition',
      async () => {
        const c = (await geoExampleStatus<ZoneStatus>(custom)).conditions?.find((x) => x.type === 'DNSSEC');
        return c?.reason === 'KeySecretInvalid' ? c : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(condition.status).toBe('False');
    expect(condition.message).toContain("Secret my-keys: csk.private:2: algorithm '8 (RSASHA256)' is not supported");
    expect(condition.message).toContain('keep signing');
    expect(await secretFiles(core, NS, KEY_SECRET)).toEqual(files);
    expect((await geoExampleStatus<ZoneStatus>(custom)).dnssec?.ds?.map((d) => d.record.toLowerCase())).toEqual([
      ds.toLowerCase(),
    ]);
  });
});
