// What the real client-node puts on the wire for a Lease written through lease-record.ts, and what it hands back
// when it reads one: a loopback HTTP server stands in for the API server and records the requests.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { leaseWithRecord, newLease, recordFromLease } from '../../../../operator/kube/lease-record.ts';
import type { LeaseRecord } from '../../../../operator/kube/lease-decision.ts';

const record: LeaseRecord = {
  holderIdentity: 'pod-a',
  leaseDurationSeconds: 15,
  leaseTransitions: 2,
  acquireTime: '2026-03-04T05:06:07.890000Z',
  renewTime: '2026-03-04T05:06:09.001000Z',
};

let server: Server;
let api: CoordinationV1Api;
const bodies: unknown[] = [];
let reply: unknown = {};

const readBody = async (request: IncomingMessage): Promise<string> => {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
};

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((text) => {
      if (text) bodies.push(JSON.parse(text));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  api = config.makeApiClient(CoordinationV1Api);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('lease-record on the wire', () => {
  it('writes acquireTime and renewTime as RFC 3339 with microseconds, and keeps the resourceVersion', async () => {
    bodies.length = 0;
    const current = { metadata: { name: 'geodns-operator', namespace: 'geodns', resourceVersion: '42' } };
    reply = current;
    await api.replaceNamespacedLease({
      name: 'geodns-operator',
      namespace: 'geodns',
      body: leaseWithRecord(current, record),
    });
    expect(bodies).toEqual([
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'geodns-operator', namespace: 'geodns', resourceVersion: '42' },
        spec: {
          holderIdentity: 'pod-a',
          leaseDurationSeconds: 15,
          leaseTransitions: 2,
          acquireTime: '2026-03-04T05:06:07.890000Z',
          renewTime: '2026-03-04T05:06:09.001000Z',
        },
      },
    ]);
  });

  it('a plain Date would have gone out with milliseconds only (why V1MicroTime is used)', async () => {
    bodies.length = 0;
    reply = {};
    const date = new Date(Date.UTC(2026, 2, 4, 5, 6, 7, 890));
    await api.createNamespacedLease({
      namespace: 'geodns',
      body: { metadata: { name: 'x' }, spec: { renewTime: date, acquireTime: new V1MicroTime(date.getTime()) } },
    });
    expect(bodies[0]).toMatchObject({
      spec: { renewTime: '2026-03-04T05:06:07.890Z', acquireTime: '2026-03-04T05:06:07.890000Z' },
    });
  });

  it('creates a Lease with its name and namespace', async () => {
    bodies.length = 0;
    reply = {};
    await api.createNamespacedLease({ namespace: 'geodns', body: newLease('geodns', 'geodns-operator', record) });
    expect(bodies[0]).toMatchObject({
      metadata: { name: 'geodns-operator', namespace: 'geodns' },
      spec: { holderIdentity: 'pod-a', renewTime: '2026-03-04T05:06:09.001000Z' },
    });
  });

  it('reads the times back as the strings the server sent (client-node does not parse MicroTime)', async () => {
    reply = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'geodns-operator', namespace: 'geodns', resourceVersion: '7' },
      spec: { ...record, renewTime: '2026-03-04T05:06:09.001234Z' },
    };
    const lease = await api.readNamespacedLease({ name: 'geodns-operator', namespace: 'geodns' });
    expect(typeof (lease.spec?.renewTime as unknown)).toBe('string');
    expect(recordFromLease(lease)).toEqual({ ...record, renewTime: '2026-03-04T05:06:09.001234Z' });
  });

  it('reads a Lease without a spec as an empty record', () => {
    expect(recordFromLease({ metadata: { name: 'x' } })).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 0,
      leaseTransitions: 0,
      acquireTime: '',
      renewTime: '',
    });
  });
});
