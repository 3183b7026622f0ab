// Writes crds/*.yaml, and the chart's copy in helm/kube-geodns/crds/, from the TypeBox schemas of the kinds
// (api/geozone.ts, api/geoendpoint.ts, api/healthprobe.ts).
// Run with `npm run gen:crds`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllCrds } from '../api/crd.ts';

for (const dir of ['crds/', 'helm/kube-geodns/crds/']) {
  const crdDir = fileURLToPath(new URL(`../${dir}`, import.meta.url));
  await mkdir(crdDir, { recursive: true });
  for (const [file, text] of renderAllCrds()) {
    await writeFile(join(crdDir, file), text);
    process.stdout.write(`wrote ${dir}${file}\n`);
  }
}
