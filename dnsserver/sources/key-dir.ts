// DNSSEC keys from a folder (`geodns serve --dnssec-keys DIR`): every BIND pair K<zone>.+<alg>+<tag>.key/.private
// in it, read as text. The same shape as a Kubernetes Secret mounted as files, which is where operator-managed keys
// will come from. Parsing and checking is dnssec/bind.ts's; this only reads.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseKeyFileBase, type KeyPairText } from '../dnssec/bind.ts';

/** The key pairs in `dir`, sorted by file name. Throws, naming the file, when a pair is incomplete or unreadable. */
export async function readKeyDir(dir: string): Promise<KeyPairText[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new Error(`--dnssec-keys ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const pairs: KeyPairText[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.key') || !parseKeyFileBase(name)) continue;
    const keyFile = path.join(dir, name);
    const privateFile = path.join(dir, `${name.slice(0, -'.key'.length)}.private`);
    const read = async (file: string) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(
          `${file}: ${code === 'ENOENT' ? 'missing (each .key needs its .private)' : (code ?? (error as Error).message)}`,
        );
      }
    };
    pairs.push({ keyFile, key: await read(keyFile), privateFile, private: await read(privateFile) });
  }
  if (pairs.length === 0) throw new Error(`--dnssec-keys ${dir}: no key pairs (K<zone>.+<alg>+<tag>.key and .private)`);
  return pairs;
}
