// A TCP forwarder: every connection accepted on `host` is piped to `targetPort` on this machine's loopback, where
// the API server listens. Pod hosts use it in the test's process (pod-host.ts); the operator benchmarks run it as
// a process of its own (bench/operator/forwarder.ts). close() stops accepting and breaks what is still open, so
// nothing keeps the process alive.
import net from 'node:net';

export interface Forwarder {
  port: number;
  close(): void;
}

export async function startForwarder(host: string, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, '127.0.0.1');
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', close);
      socket.on('error', close);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
