// delv (BIND's validating lookup tool) against a server on loopback, trusting only a zone's DS: what the DNSSEC
// suites read "; fully validated" (or a validation failure) from.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from './serve.ts';

export interface DelvTarget {
  /** A folder for the trust-anchor file. */
  dir: string;
  zone: string;
  /** The zone's DS record as text: `<zone>. [TTL] IN DS <tag> <algorithm> <digest type> <digest...>`. */
  ds: string;
  /** The server's port on 127.0.0.1. */
  port: number;
}

/** What delv says (stdout and stderr) of `name` `type`, asked of the server with the zone's DS as its only anchor. */
export async function delv(target: DelvTarget, name: string, type: string): Promise<string> {
  const words = target.ds.split(/\s+/);
  const [tag, algorithm, digestType, ...digest] = words.slice(words.indexOf('DS') + 1);
  const anchors = path.join(target.dir, 'anchors.conf');
  await writeFile(
    anchors,
    `trust-anchors { ${target.zone}. static-ds ${tag} ${algorithm} ${digestType} "${digest.join('')}"; };\n`,
  );
  const out = await runTool('delv', [
    '@127.0.0.1',
    '-p',
    String(target.port),
    '-a',
    anchors,
    `+root=${target.zone}`,
    name,
    type,
  ]);
  return out.stdout + out.stderr;
}
