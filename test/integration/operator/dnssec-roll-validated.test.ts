// A key roll end to end with a validator validating throughout (docs/dnssec.md, "Rolling a key"): the operator on
// the real kube-apiserver rolls geo.example.com's key, one `geodns serve --kube --dnssec-keys` signs with the keys
// the test copies from the Secret as the kubelet does, knotd signs the parent example.com and holds the DS the test
// swaps as a registrar would, and unbound, whose only trust anchor is example.com's key, resolves
// www.geo.example.com every 250 ms from before the roll until after it: every answer validated, none SERVFAIL.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorMetrics } from '../../../operator/observability/metrics.ts';
import { Operator } from '../../../operator/operator.ts';
import { keygen, publishAsSecret, secretFiles } from '../../support/dnssec-keys.ts';
import type { DigResult } from '../../support/dig.ts';
import { DsParent } from '../../support/ds-parent.ts';
import { geoEndpoint, geoZone } from '../../support/objects.ts';
import { startCluster, type Cluster } from '../../support/operator-cluster.ts';
import { geoExampleStatus } from '../../support/published-zone.ts';
import { CITY_MMDB, startServe, type ServeProcess } from '../../support/serve.ts';
import { SYSTEM_NAMESPACE } from '../../support/suite-plane.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';
import { startResolver, type Unbound } from '../../support/unbound.ts';
import { until } from '../../support/until.ts';

const NS = SYSTEM_NAMESPACE;
const GROUP = { group: 'geodns.io', version: 'v1alpha1' };
const ZONE = 'geo.example.com';
const NAME = `www.${ZONE}`;
const KEY_SECRET = 'geodns-dnssec-keys';
const CLIENT = '+subnet=198.51.100.0/24';
/** Before the roll is asked for and after it is over. */
const NO_ROLL = 'none';

interface ZoneStatus {
  dnssec?: {
    roll?: { phase: string; newKeyTag: number };
    ds?: { keyTag: number; rdata: string }[];
    keys?: { keyTag: number; state: string }[];
    parent?: { state: string; keyTags: number[] };
  };
}

interface Sample {
  status: string | undefined;
  ad: boolean;
  addresses: string[];
  /** The key tags of the RRSIGs over the answer unbound passed on. */
  signers: number[];
  /** The roll's phase in the GeoZone's status when the sample was taken. */
  phase: string;
}

let cluster: Cluster;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let temp: TempDir;
let operator: Operator | undefined;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ name: 'geodns-dnssec-roll-test' });
  core = cluster.admin.makeApiClient(CoreV1Api);
  custom = cluster.admin.makeApiClient(CustomObjectsApi);
  temp = await tempDir('operator-dnssec-roll');
}, 120_000);

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await operator?.stop();
  await cluster?.stop();
  await temp?.remove();
}, 60_000);

/** Runs `step` every `intervalMs` until stop() (which waits for the step under way). */
function every(intervalMs: number, step: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      await step();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** The key tags of the RRSIGs over `type` in an answer (RRSIG rdata: type alg labels ttl expiry inception tag …). */
function signers(answer: DigResult, type: string): number[] {
  const tags = answer.answer
    .filter((r) => r.type === 'RRSIG' && r.data.split(' ')[0] === type)
    .map((r) => Number(r.data.split(' ')[6]));
  return [...new Set(tags)].sort((a, b) => a - b);
}

const addressesOf = (answer: DigResult) => answer.answer.filter((r) => r.type === 'A').map((r) => r.data);

describe('a key roll with a validator validating throughout', { timeout: 150_000 }, () => {
  it('answers www.geo.example.com validated, never SERVFAIL, from before the roll until after it', async () => {
    const parent = await DsParent.start(path.join(temp.dir, 'parent'), { signed: true });
    stops.push(() => parent.stop());

    operator = new Operator({
      checkParentDs: true,
      metrics: new OperatorMetrics(),
      kubeConfig: cluster.operator,
      namespace: NS,
      log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      healthCoalesceMs: 20,
      dnssecRecheckMs: 300,
    });
    void operator.start();
    // TTLs of a second (the parent's DS TTL is 2 s), so the RFC 7583 waits take seconds.
    await custom.createClusterCustomObject({
      ...GROUP,
      plural: 'geozones',
      body: geoZone({
        dnssec: { enabled: true, parent: { servers: [parent.address] } },
        soa: { hostmaster: 'hostmaster.example.com', ttl: 1 },
      }),
    });
    await custom.createNamespacedCustomObject({
      ...GROUP,
      namespace: 'web',
      plural: 'geoendpoints',
      body: geoEndpoint('www'),
    });

    // The kubelet's part: the Secret copied into the DNS server's key folder whenever its data changes, and the
    // roll's phase kept for the samples.
    const keysDir = path.join(temp.dir, 'keys');
    await mkdir(keysDir);
    let mounted = '';
    let version = 0;
    let phase = NO_ROLL;
    const kubelet = every(300, async () => {
      const files = await secretFiles(core, NS, KEY_SECRET);
      const text = JSON.stringify(files ?? {});
      if (files && text !== mounted) {
        await publishAsSecret(keysDir, `v${++version}`, files);
        mounted = text;
      }
      phase = (await geoExampleStatus<ZoneStatus>(custom)).dnssec?.roll?.phase ?? NO_ROLL;
    });
    stops.push(() => kubelet.stop());

    const server: ServeProcess = await startServe(
      ['--kube', '--kubeconfig', cluster.dnsKubeconfig, '--namespace', NS],
      { geoip: CITY_MMDB, args: ['--dnssec-keys', keysDir] },
    );
    stops.push(async () => void (await server.stop()));

    const first = await until('the first key and its DS', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.ds?.length === 1,
    });
    const oldTag = first.dnssec!.ds![0]!.keyTag;
    await until('the DNS server signing with it', () => server.dig([NAME, 'A', '+dnssec', CLIENT]), {
      timeoutMs: 30_000,
      accept: (r) => r.status === 'NOERROR' && signers(r, 'A').join() === String(oldTag),
    });
    await parent.setDs([first.dnssec!.ds![0]!.rdata]);
    await until("the parent's DS matching", () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.parent?.state === 'Matches',
    });

    // unbound trusts example.com's key alone; its cache keeps nothing longer than a second, so it asks the parent for
    // the DS and the DNS server for the DNSKEY again and again through the roll.
    const anchor = await parent.trustAnchor();
    const resolver = (name: string, trustAnchor: string): Promise<Unbound> =>
      startResolver(
        temp.dir,
        name,
        {
          anchor: trustAnchor,
          stubs: [
            { zone: 'example.com', addresses: [`127.0.0.1@${parent.port}`] },
            { zone: ZONE, addresses: [`127.0.0.1@${server.port}`] },
          ],
          clientSubnetTo: ['127.0.0.1'],
          extra: ['cache-max-ttl: 1', 'cache-max-negative-ttl: 1', 'prefetch: no'],
        },
        ZONE,
      );
    const unbound = await resolver('validator', anchor);
    stops.push(() => unbound.stop());
    const validated = await until('www validated through unbound', () => unbound.dig([NAME, 'A', CLIENT]), {
      timeoutMs: 30_000,
      accept: (r) => r.status === 'NOERROR' && r.flags.includes('ad'),
    });
    expect(addressesOf(validated)).toEqual(['192.0.2.1']);

    // The validator can fail: anchored at a key example.com does not have, it gives SERVFAIL.
    const stranger = await keygen(temp.dir, 'ECDSAP256SHA256', 'example.com');
    const wrong = await resolver('wrong-anchor', `example.com. DNSKEY 257 3 13 ${stranger.publicKey}`);
    try {
      expect((await wrong.dig([NAME, 'A', CLIENT])).status).toBe('SERVFAIL');
    } finally {
      await wrong.stop();
    }

    const samples: Sample[] = [];
    const validator = every(250, async () => {
      const at = phase;
      const answer = await unbound.dig([NAME, 'A', CLIENT]);
      samples.push({
        status: answer.status,
        ad: answer.flags.includes('ad'),
        addresses: addressesOf(answer),
        signers: signers(answer, 'A'),
        phase: at,
      });
    });
    stops.push(() => validator.stop());
    await until('samples before the roll', () => samples.length >= 4, { timeoutMs: 30_000 });

    await cluster.plane.kubectl(['annotate', '--overwrite', 'gz', 'geo-example', 'geodns.io/dnssec-roll=r1']);
    const pending = await until('the roll waiting for the DS', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.roll?.phase === 'DSPending',
    });
    const newTag = pending.dnssec!.roll!.newKeyTag;
    const newDs = pending.dnssec!.ds!.find((d) => d.keyTag === newTag)!.rdata;
    // The operator waits for every DNS Pod to serve both keys; this server is no Pod, so the test waits for it.
    const both = [oldTag, newTag].sort((a, b) => a - b).join();
    await until('the DNS server signing with both keys', () => server.dig([ZONE, 'DNSKEY', '+dnssec']), {
      timeoutMs: 30_000,
      accept: (r) => signers(r, 'DNSKEY').join() === both,
    });
    await parent.setDs([newDs]);
    expect(await parent.ds()).toEqual([newDs]);

    await until('the old key retired', () => geoExampleStatus<ZoneStatus>(custom), {
      timeoutMs: 30_000,
      accept: (s) => s.dnssec?.keys?.length === 1 && s.dnssec.roll === undefined,
    });
    const served = await until(
      'the DNS server serving the new key alone',
      () => server.dig([ZONE, 'DNSKEY', '+dnssec']),
      {
        timeoutMs: 30_000,
        accept: (r) => signers(r, 'DNSKEY').join() === String(newTag),
      },
    );
    expect(served.answer.filter((r) => r.type === 'DNSKEY')).toHaveLength(1);
    expect((await geoExampleStatus<ZoneStatus>(custom)).dnssec?.keys).toEqual([
      expect.objectContaining({ keyTag: newTag, state: 'Active' }),
    ]);
    const settled = samples.length;
    await until(
      'samples after the roll',
      () => samples.slice(settled).some((s) => s.signers.join() === String(newTag)),
      {
        timeoutMs: 30_000,
      },
    );
    await validator.stop();

    const failed = samples.filter((s) => s.status !== 'NOERROR' || !s.ad || s.addresses.join() !== '192.0.2.1');
    expect(failed).toEqual([]);
    // The samples span the roll: before it, DSPending (which waits for the test's DS swap), and answers signed by the
    // old key, by both, and by the new one alone. Published and Retiring last a TTL or two (1–2 s), which a sampling
    // loop on a loaded machine may step over; the signer sets cover them.
    const phases = new Set(samples.map((s) => s.phase));
    expect(phases).toContain(NO_ROLL);
    expect(phases).toContain('DSPending');
    expect([...phases].every((p) => [NO_ROLL, 'Published', 'DSPending', 'Retiring'].includes(p))).toBe(true);
    expect(new Set(samples.map((s) => s.signers.join()))).toEqual(new Set([String(oldTag), both, String(newTag)]));
  });
});
