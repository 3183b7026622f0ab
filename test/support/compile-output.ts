// Assertion helpers over compile() output.
import type { CompiledZone } from '../../api/compiled.ts';
import type { Condition } from '../../api/meta.ts';
import type { ResourceKind } from '../../api/kinds.ts';
import type { CompileOutput } from '../../operator/compile/index.ts';

export function doc(output: CompileOutput, apex = 'geo.example.com'): CompiledZone {
  const found = output.zones.find((z) => z.zone === apex);
  if (!found) throw new Error(`no compiled document for ${apex}; zones: ${output.zones.map((z) => z.zone).join(', ')}`);
  return found;
}

export function cond(
  output: CompileOutput,
  kind: ResourceKind,
  name: string,
  type: string,
  namespace?: string,
): Condition {
  const result = output.results.find((r) => r.kind === kind && r.name === name && r.namespace === namespace);
  if (!result) throw new Error(`no result for ${kind} ${namespace ?? ''}/${name}`);
  const found = result.conditions.find((c) => c.type === type);
  if (!found) throw new Error(`${kind} ${name} has no ${type} condition`);
  return found;
}

export function rrset(document: CompiledZone, name: string, type: string) {
  return document.records.find((r) => r.name === name && r.type === type);
}
