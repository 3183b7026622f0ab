// The peer listener on a real loopback socket: only GET of a zone path reaches the answerer, with the zone decoded
// and the headers readable; anything else is refused without it, and an answerer that fails is a 500.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startPeerServer, type PeerServer } from '../../../../operator/peers/server.ts';

let server: PeerServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(answer: Parameters<typeof startPeerServer>[0]['answer']): Promise<string> {
  server = await startPeerServer({ host: '127.0.0.1', port: 0, answer, log: pino({ level: 'silent' }) });
  return `http://127.0.0.1:${server.address.port}`;
}

describe('the peer listener', () => {
  it('hands GET /peers/v1/zones/<apex> to the answerer and sends its answer', async () => {
    const asked: string[] = [];
    const url = await start(async (apex, header) => {
      asked.push(`${apex} ${header('x-geodns-peer-cluster') ?? '-'}`);
      return { status: 200, headers: { 'x-test': 'yes' }, body: Buffer.from('{"ok":true}') };
    });
    const response = await fetch(`${url}/peers/v1/zones/geo.example.com?x=1`, {
      headers: { 'x-geodns-peer-cluster': 'eu' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-test')).toBe('yes');
    expect(await response.text()).toBe('{"ok":true}');
    expect(asked).toEqual(['geo.example.com eu']);
  });

  it('refuses other paths, other methods and a malformed zone without asking the answerer', async () => {
    let asked = 0;
    const url = await start(async () => {
      asked += 1;
      return { status: 200, headers: {}, body: Buffer.from('') };
    });
    const statuses = [
      (await fetch(`${url}/metrics`)).status,
      (await fetch(`${url}/peers/v1/zones/geo.example.com`, { method: 'POST', body: 'x' })).status,
      (await fetch(`${url}/peers/v1/zones/%E0%A4%A`)).status,
    ];
    expect(statuses).toEqual([404, 404, 400]);
    expect(asked).toBe(0);
  });

  it('answers 500 when the answerer fails, and keeps serving', async () => {
    let fail = true;
    const url = await start(async () => {
      if (fail) throw new Error('boom');
      return { status: 200, headers: {}, body: Buffer.from('fine') };
    });
    expect((await fetch(`${url}/peers/v1/zones/geo.example.com`)).status).toBe(500);
    fail = false;
    expect(await (await fetch(`${url}/peers/v1/zones/geo.example.com`)).text()).toBe('fine');
  });
});
