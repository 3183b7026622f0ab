// npm run control-plane -- [--kubeconfig FILE] [--crds]
// Starts the real control plane the tests use (etcd, kube-apiserver, kube-controller-manager on 127.0.0.1), writes
// an administrator's kubeconfig, and keeps running until SIGINT or SIGTERM, then stops everything it started.
import { copyFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startControlPlane } from './control-plane.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    crds: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`usage: npm run control-plane -- [--kubeconfig FILE] [--crds]

  --kubeconfig FILE   also write the administrator's kubeconfig here
  --crds              apply crds/ (server-side) once the control plane is up
`);
  process.exit(0);
}

const plane = await startControlPlane({ name: 'geodns-control-plane' });
if (values.kubeconfig) await copyFile(plane.adminKubeconfig, values.kubeconfig);
if (values.crds) {
  await plane.kubectl(['apply', '--server-side', '-f', 'crds/']);
  await plane.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
}
const kubeconfig = values.kubeconfig ?? plane.adminKubeconfig;
process.stdout.write(`control plane up: ${plane.url} (etcd ${plane.etcdUrl}, logs in ${plane.dir})
  export KUBECONFIG=${kubeconfig}
Ctrl-C stops it.
`);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await plane.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
