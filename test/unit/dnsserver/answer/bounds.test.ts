// The cache bounds (geodns serve --answer-cache, --dnssec-cache): a cache sized N holds N and drops what is beyond,
// in each cache alone and through the handler, and signing in advance is bounded in proportion.
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { aheadBounds, aheadJobs } from '../../../../dnsserver/answer/ahead.ts';
import { DEFAULT_ANSWER_CACHE, DEFAULT_DNSSEC_CACHE } from '../../../../dnsserver/answer/bounds.ts';
import { PlanCache, type Plan } from '../../../../dnsserver/answer/plans.ts';
import { ZoneSigner } from '../../../../dnsserver/dnssec/signer.ts';
import { canonicalRdata } from '../../../../dnsserver/dnssec/canonical.ts';
import { TYPE } from '../../../../dnsserver/zone/types.ts';
import { createHandler, ServerState } from '../../../../dnsserver/handler.ts';
import type { ClientInfo } from '../../../../dnsserver/wire/types.ts';
import { generateSigningKey } from '../../../../lib/dnssec/keys.ts';
import { exampleZone } from '../../../support/documents.ts';
import { query } from '../../../../tools/dns-query.ts';

const NOW = 1_800_000_000;
const ZONE = 'geo.example';
const tcp: ClientInfo = { address: '127.0.0.1', port: 5300, family: 4, transport: 'tcp' };

const askDo = (name: string): Buffer => query(name, { flags: 0, do: true });

describe('the signature cache of a zone', () => {
  const key = generateSigningKey('example.com');
  const rrset = (i: number) => ({
    name: `h${i}.example.com`,
    type: TYPE.A,
    ttl: 300,
    rdata: [canonicalRdata('A', `192.0.2.${i}`)],
  });

  it('holds as many signatures as its bound and drops the oldest beyond it', () => {
    const signer = new ZoneSigner('example.com', [key], { cacheSize: 3 });
    for (let i = 1; i <= 3; i++) signer.sign(rrset(i), NOW);
    expect(signer.cacheSize).toBe(3);
    expect(signer.made).toBe(3);
    signer.sign(rrset(1), NOW);
    expect(signer.made).toBe(3); // still cached
    signer.sign(rrset(4), NOW);
    expect(signer.cacheSize).toBe(3);
    signer.sign(rrset(3), NOW);
    expect(signer.made).toBe(4); // 3 stayed, 1 left (the oldest), and has to be signed again
    signer.sign(rrset(1), NOW);
    expect(signer.made).toBe(5);
  });

  it('defaults to DEFAULT_DNSSEC_CACHE', () => {
    const signer = new ZoneSigner('example.com', [key]);
    for (let i = 1; i <= 200; i++) signer.sign(rrset(i), NOW);
    expect(signer.cacheSize).toBe(200);
    expect(DEFAULT_DNSSEC_CACHE).toBe(50_000);
  });
});

describe('the plan cache', () => {
  it('holds as many plans as its bound, then starts over', () => {
    const plans = new PlanCache(2);
    const plan = {} as Plan;
    plans.set('a.example', 1, plan);
    plans.set('b.example', 1, plan);
    plans.set('b.example', 1, plan); // the same question again takes no more room
    expect(plans.get('a.example', 1)).toBe(plan);
    plans.set('c.example', 1, plan);
    expect(plans.get('a.example', 1)).toBeUndefined();
    expect(plans.get('c.example', 1)).toBe(plan);
    expect(DEFAULT_ANSWER_CACHE).toBe(50_000);
  });
});

describe('the bounds through the handler', () => {
  /** A signed geo.example whose caches hold `bound` (undefined: the defaults), asked with DO over TCP. */
  function server(bound?: number) {
    const state = new ServerState({
      zones: [exampleZone()],
      ...(bound === undefined ? {} : { cacheSize: bound, signedCacheSize: bound }),
    });
    const signer = new ZoneSigner(ZONE, [generateSigningKey(ZONE)], bound === undefined ? {} : { cacheSize: bound });
    state.setSigners(new Map([[ZONE, signer]]));
    const handler = createHandler(state, { now: () => NOW });
    // Each made-up name is denied with an NSEC of its own: one new signature (the SOA's is shared).
    const ask = (i: number) => {
      const before = signer.made;
      const reply = dnsPacket.decode(handler(askDo(`nx${i}.${ZONE}`), tcp) as Buffer);
      expect(reply.authorities?.some((r) => r.type === 'RRSIG')).toBe(true);
      return signer.made - before;
    };
    return { state, signer, ask };
  }

  it('a signed answer beyond the bound is signed again when asked again; within it, not', () => {
    const small = server(4);
    for (let i = 1; i <= 6; i++) expect(small.ask(i)).toBeGreaterThan(0);
    expect(small.signer.cacheSize).toBe(4);
    expect(small.state.signed.size).toBe(4);
    expect(small.ask(6)).toBe(0);
    expect(small.ask(1)).toBeGreaterThan(0);

    const large = server();
    for (let i = 1; i <= 6; i++) large.ask(i);
    expect(large.state.signed.size).toBe(6);
    expect(large.ask(1)).toBe(0);
  });
});

describe('signing in advance', () => {
  it('is bounded in proportion to the signature cache', () => {
    expect(aheadBounds()).toEqual({ maxAnswers: 50_000, maxSignatures: 10_000 });
    expect(aheadBounds(400_000)).toEqual({ maxAnswers: 400_000, maxSignatures: 80_000 });
    expect(aheadBounds(3)).toEqual({ maxAnswers: 3, maxSignatures: 1 });
  });

  it('stops at the bounds it is given', () => {
    const state = new ServerState({ zones: [exampleZone()] });
    state.setSigners(new Map([[ZONE, new ZoneSigner(ZONE, [generateSigningKey(ZONE)])]]));
    const summaries = (bounds?: ReturnType<typeof aheadBounds>) =>
      aheadJobs(state, () => NOW, undefined, bounds).map((job) => {
        let step = job.next();
        while (!step.done) step = job.next();
        return step.value;
      });
    const [bounded] = summaries(aheadBounds(10));
    expect(bounded).toMatchObject({ zone: ZONE, capped: true });
    expect(bounded?.answers).toBeLessThanOrEqual(10);
    expect(bounded?.signatures).toBeLessThanOrEqual(3); // 2, then the answer that passes it
    const [all] = summaries();
    expect(all).toMatchObject({ zone: ZONE, capped: false });
    expect(all?.answers).toBeGreaterThan(10);
  });
});
