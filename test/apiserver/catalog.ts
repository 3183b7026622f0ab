// The served resource types: the built-in ones, and one per registered CustomResourceDefinition, each CRD
// version's schema compiled once.
import { BUILTIN_TYPES, typeFromCrd, typeKey, type ResourceType } from './kinds.ts';
import { compileSchema, type CompiledSchema } from './schema.ts';
import type { JsonObject } from './types.ts';

export class Catalog {
  private readonly types = new Map<string, ResourceType>();
  private readonly schemas = new Map<string, CompiledSchema>();

  constructor() {
    for (const type of BUILTIN_TYPES) this.types.set(this.key(type.group, type.version, type.plural), type);
  }

  private key(group: string, version: string, plural: string): string {
    return `${group}/${version}/${plural}`;
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(this.key(group, version, plural));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => (t.group ? `${t.group}/${t.version}` : t.version) === apiVersion && t.kind === kind);
  }

  /** Registers (or re-registers) the type of a CRD; returns it, or undefined for a CRD it cannot serve. */
  register(crd: JsonObject): ResourceType | undefined {
    const type = typeFromCrd(crd);
    if (!type) return undefined;
    this.unregister(type.crd ?? '');
    this.types.set(this.key(type.group, type.version, type.plural), type);
    if (type.schema) this.schemas.set(typeKey(type), compileSchema(type.schema));
    return type;
  }

  unregister(crdName: string): ResourceType | undefined {
    for (const [key, type] of this.types) {
      if (type.crd === crdName) {
        this.types.delete(key);
        this.schemas.delete(typeKey(type));
        return type;
      }
    }
    return undefined;
  }

  schemaOf(type: ResourceType): CompiledSchema | undefined {
    return this.schemas.get(typeKey(type));
  }
}
