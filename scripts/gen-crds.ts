// Writes crds/*.yaml from the TypeBox schemas in api/resources.ts. Run with `npm run gen:crds`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllCrds } from '../api/crd.ts';

const crdDir = fileURLToPath(new URL('../crds/', import.meta.url));

await mkdir(crdDir, { recursive: true });
for (const [file, text] of renderAllCrds()) {
  await writeFile(join(crdDir, file), text);
  process.stdout.write(`wrote crds/${file}\n`);
}
