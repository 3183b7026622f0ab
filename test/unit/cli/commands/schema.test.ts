import { describe, expect, it } from 'vitest';
import { main } from '../../../../cli/geodns.ts';
import { schemaCommand } from '../../../../cli/commands/schema.ts';
import { resourceSchema } from '../../../../api/crd.ts';
import { KINDS } from '../../../../api/kinds.ts';

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, [schemaCommand]);
  return { code, stdout, stderr };
}

describe('geodns schema', () => {
  it('prints the CRD schema of a kind by singular, plural or short name', async () => {
    for (const name of ['geoendpoint', 'geoendpoints', 'ge']) {
      const result = await run('schema', name);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(resourceSchema(KINDS[1]!));
    }
  });

  it('prints the compiled document schema', async () => {
    const result = await run('schema', 'compiled');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { properties: { format: { const: string } } }).properties.format.const).toBe(
      'geodns.io/compiled-zone/v1',
    );
  });

  it('exits 2 for an unknown or missing name', async () => {
    expect((await run('schema', 'zones')).code).toBe(2);
    const none = await run('schema');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one NAME: geozone, geoendpoint, healthprobe, compiled');
  });
});
