// The resolver the operator asks, against a DNS server on loopback that the test runs: records with their TTLs,
// NXDOMAIN and no records as answers, SERVFAIL and a server that does not answer as errors naming the hostname.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsLookup } from '../../../../operator/resolve/lookup.ts';
import { HostnameServer } from '../../../support/hostname-server.ts';

let server: HostnameServer;

beforeAll(async () => {
  server = await HostnameServer.start();
});

afterAll(async () => {
  await server?.close();
});

describe('DnsLookup', () => {
  it('gives A and AAAA records with their TTLs from the resolver it is told', async () => {
    server.set('lb-1.elb.example.com', { A: ['127.0.0.2', '127.0.0.3'], AAAA: ['::1'], ttl: 42 });
    const lookup = new DnsLookup([server.address]);
    expect(lookup.resolver).toBe(server.address);
    const answers = await lookup.lookup('lb-1.elb.example.com');
    expect(answers.A).toEqual({
      kind: 'records',
      records: [
        { address: '127.0.0.2', ttl: 42 },
        { address: '127.0.0.3', ttl: 42 },
      ],
    });
    expect(answers.AAAA).toEqual({ kind: 'records', records: [{ address: '::1', ttl: 42 }] });
  });

  it('takes NXDOMAIN and a name without records of a type as answers', async () => {
    server.set('v4only.example.com', { A: ['127.0.0.4'] });
    const lookup = new DnsLookup([server.address]);
    expect((await lookup.lookup('v4only.example.com')).AAAA).toEqual({ kind: 'none' });
    expect(await lookup.lookup('gone.example.com')).toEqual({ A: { kind: 'none' }, AAAA: { kind: 'none' } });
  });

  it('reports SERVFAIL and a silent server as errors that name the hostname', async () => {
    server.set('lb-2.elb.example.com', { A: ['127.0.0.5'] });
    server.fail(true);
    try {
      const answers = await new DnsLookup([server.address]).lookup('lb-2.elb.example.com');
      expect(answers.A).toEqual({ kind: 'error', error: 'queryA ESERVFAIL lb-2.elb.example.com' });
    } finally {
      server.fail(false);
    }
    // A bound socket that never answers: the resolver's own timeout ends the query.
    const silent = dgram.createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const answers = await new DnsLookup([`127.0.0.1:${silent.address().port}`]).lookup('lb-2.elb.example.com');
      expect(answers.A).toEqual({ kind: 'error', error: 'queryA ETIMEOUT lb-2.elb.example.com' });
    } finally {
      silent.close();
    }
  }, 30_000);

  it('without servers, names the system resolver it uses', () => {
    expect(new DnsLookup().resolver).toMatch(/^the system's resolver \(.*\)$/);
  });

  it('refuses a server it cannot use', () => {
    expect(() => new DnsLookup(['not an address'])).toThrow();
  });
});
