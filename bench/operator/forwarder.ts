// A TCP forwarder as its own process: listens on HOST (a pod host's gateway address) and pipes every connection to
// 127.0.0.1:TARGET (the kube-apiserver, which listens on loopback only). The DNS pods reach the API server through
// it: the same forwarder as pod-host.ts's forward() (tools/control-plane/forwarder.ts), but outside the benchmark's
// process, so that the benchmark's own work (DNS polling, writes, watches) does not delay the pods' watches. Prints
// one JSON line with the port it listens on.
//   node bench/operator/forwarder.ts HOST TARGET
import { startForwarder } from '../../tools/control-plane/forwarder.ts';

const [host, target] = process.argv.slice(2);
if (!host || !target) throw new Error('usage: forwarder.ts HOST TARGET_PORT');

const { port } = await startForwarder(host, Number(target));
process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
process.once('SIGTERM', () => process.exit(0));
