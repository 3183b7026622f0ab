// Writes deploy/kube-geodns.yaml, the plain-kubectl install, from the chart. Run with `npm run gen:deploy`.
import { writeFile } from 'node:fs/promises';
import { PLAIN_MANIFESTS, renderPlainManifests } from './plain-manifests.ts';

await writeFile(PLAIN_MANIFESTS, await renderPlainManifests());
process.stdout.write(`wrote ${PLAIN_MANIFESTS}\n`);
