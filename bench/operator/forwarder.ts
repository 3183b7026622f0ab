// A TCP forwarder as its own process: listens on HOST (a pod host's gateway address) and pipes every connection to
// 127.0.0.1:TARGET (the kube-apiserver, which listens on loopback only). The DNS pods reach the API server through
// it, as test/control-plane/pod-host.ts's forward() does, but outside the benchmark's process, so that the
// benchmark's own work (DNS polling, writes, watches) does not delay the pods' watches. Prints one JSON line with
// the port it listens on.
//   node bench/operator/forwarder.ts HOST TARGET
import net from 'node:net';

const [host, target] = process.argv.slice(2);
if (!host || !target) throw new Error('usage: forwarder.ts HOST TARGET_PORT');

const server = net.createServer((inbound) => {
  const outbound = net.connect(Number(target), '127.0.0.1');
  inbound.setNoDelay(true);
  outbound.setNoDelay(true);
  inbound.pipe(outbound).pipe(inbound);
  const close = () => {
    inbound.destroy();
    outbound.destroy();
  };
  for (const socket of [inbound, outbound]) {
    socket.on('close', close);
    socket.on('error', close);
  }
});
server.listen(0, host, () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: address.port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
