// The "floor" server, i.e. the ceiling for any Node DNS server: a bare dgram server that answers every query with
// one fixed, pre-encoded response (www.bench.example A, two addresses), patching only the 2-byte message ID.
// No parsing, no lookup: what is left is Node's UDP receive/send path on one thread.
// With --udp-io native the same answer goes through the batched addon instead (dnsserver/transport/udp-native.ts):
// the floor of the native path, i.e. what is left of its cost once the handler costs nothing.
// Usage: node bench/floor-server.ts [--listen 127.0.0.1:PORT] [--udp-io native]
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startNativeUdpServer } from '../dnsserver/transport/udp-native.ts';

const listenArg = process.argv.indexOf('--listen');
const listen = listenArg >= 0 ? process.argv[listenArg + 1] : '127.0.0.1:15300';
const match = /^(.+):(\d{1,5})$/.exec(listen ?? '');
if (!match?.[1] || !match[2]) {
  process.stderr.write(`floor-server: --listen wants HOST:PORT, got '${listen}'\n`);
  process.exit(2);
}
const host = match[1];
const port = Number(match[2]);

const response = dnsPacket.encode({
  type: 'response',
  id: 0,
  flags: dnsPacket.AUTHORITATIVE_ANSWER,
  questions: [{ type: 'A', name: 'www.bench.example' }],
  answers: [
    { type: 'A', name: 'www.bench.example', ttl: 60, data: '198.51.100.21' },
    { type: 'A', name: 'www.bench.example', ttl: 60, data: '198.51.100.22' },
  ],
});

if (process.argv.includes('native')) {
  const server = await startNativeUdpServer({
    host,
    port,
    handler: (query) => {
      if (query.length < 12) return null;
      // The native path copies each reply into its send buffer before the next handler call: one shared buffer.
      response[0] = query[0] ?? 0;
      response[1] = query[1] ?? 0;
      return response;
    },
  });
  process.stdout.write(`floor-server (native UDP) listening on ${host}:${server.port}\n`);
  const stopNative = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stopNative);
  process.on('SIGINT', stopNative);
} else {
  startDgram();
}

function startDgram(): void {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    // A copy per answer: a queued send still holds its buffer, so one shared buffer must not be patched.
    const answer = Buffer.allocUnsafe(response.length);
    response.copy(answer);
    answer[0] = query[0] ?? 0;
    answer[1] = query[1] ?? 0;
    socket.send(answer, peer.port, peer.address);
  });
  socket.on('error', (error) => {
    process.stderr.write(`floor-server: ${error.message}\n`);
    process.exit(1);
  });
  socket.bind(port, host, () => process.stdout.write(`floor-server listening on ${host}:${port}\n`));
  const stop = () => socket.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
