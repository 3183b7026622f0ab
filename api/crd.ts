// Builds the CustomResourceDefinitions from the kinds' TypeBox schemas (kinds.ts). Used by scripts/gen-crds.ts (which
// writes crds/*.yaml), by the drift test, and by api/validate.ts (which validates with the very schema the API
// server would use). Pure: no I/O.
import { stringify } from 'yaml';
import { GROUP, VERSION, type KindInfo } from './meta.ts';
import { KINDS, type ResourceKind } from './kinds.ts';

/** A JSON schema node as Kubernetes accepts it (apiextensions.k8s.io/v1 JSONSchemaProps, structural). */
export interface StructuralSchema {
  description?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, StructuralSchema>;
  items?: StructuralSchema;
  additionalProperties?: StructuralSchema;
  anyOf?: StructuralSchema[];
  allOf?: StructuralSchema[];
  oneOf?: StructuralSchema[];
  nullable?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string; fieldPath?: string; reason?: string }[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

type JsonObject = Record<string, unknown>;

/** Keys copied as they are, in this order (the order fixes the YAML output). */
const SCALAR_KEYS = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'nullable',
] as const;

const EXTENSION_KEYS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
] as const;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain JSON copy: drops TypeBox's symbol keys and anything else that is not data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * Converts a TypeBox (JSON Schema draft 7) node to a Kubernetes structural schema node: keeps the keys Kubernetes
 * knows, turns Type.Record (patternProperties) into additionalProperties, drops `additionalProperties: false`
 * (Kubernetes prunes unknown fields instead), `const`, `$id` and the like, and turns numeric exclusive bounds
 * into the boolean form of OpenAPI v3.0.
 */
export function toStructural(node: unknown, where = 'schema'): StructuralSchema {
  if (!isObject(node)) throw new Error(`${where}: not a schema object`);
  const source = plain(node) as JsonObject;
  const out: JsonObject = {};
  for (const key of SCALAR_KEYS) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  if (typeof source.exclusiveMinimum === 'number') {
    out.minimum = source.exclusiveMinimum;
    out.exclusiveMinimum = true;
  }
  if (typeof source.exclusiveMaximum === 'number') {
    out.maximum = source.exclusiveMaximum;
    out.exclusiveMaximum = true;
  }
  if (out.type === undefined && typeof source.const === 'string') out.type = 'string';
  if (Array.isArray(source.required) && source.required.length > 0) out.required = source.required;
  if (isObject(source.properties)) {
    const properties: Record<string, StructuralSchema> = {};
    for (const [name, child] of Object.entries(source.properties)) {
      properties[name] = toStructural(child, `${where}.${name}`);
    }
    out.properties = properties;
  }
  if (source.items !== undefined) out.items = toStructural(source.items, `${where}[]`);
  if (isObject(source.patternProperties)) {
    const values = Object.values(source.patternProperties);
    if (values.length !== 1) throw new Error(`${where}: only single-pattern records map to additionalProperties`);
    out.additionalProperties = toStructural(values[0], `${where}.*`);
  } else if (isObject(source.additionalProperties)) {
    out.additionalProperties = toStructural(source.additionalProperties, `${where}.*`);
  }
  for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
    const list = source[key];
    if (Array.isArray(list)) out[key] = list.map((child, i) => toStructural(child, `${where}.${key}[${i}]`));
  }
  for (const key of EXTENSION_KEYS) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out as StructuralSchema;
}

/** The openAPIV3Schema of a kind: apiVersion, kind, metadata (type: object only), spec and status. */
export function resourceSchema(info: KindInfo): StructuralSchema {
  return {
    description: info.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
        type: 'string',
      },
      metadata: { type: 'object' },
      spec: toStructural(info.spec, `${info.kind}.spec`),
      status: toStructural(info.status, `${info.kind}.status`),
    },
  };
}

/** The CustomResourceDefinition of a kind, as a plain object. */
export function buildCrd(info: KindInfo): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular: info.singular,
        shortNames: [info.shortName],
        categories: ['geodns'],
      },
      scope: info.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: info.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: resourceSchema(info) },
        },
      ],
    },
  };
}

/** The CRD file name of a kind, e.g. geozones.geodns.io.yaml. */
export function crdFileName(info: KindInfo): string {
  return `${info.plural}.${GROUP}.yaml`;
}

/** The YAML text of a kind's CRD, with a generated-file header. Deterministic. */
export function renderCrd(info: KindInfo): string {
  const header = [
    `# Generated by scripts/gen-crds.ts from api/${info.singular}.ts: do not edit by hand.`,
    '# Regenerate with `npm run gen:crds` (a test fails when this file and the TypeBox schemas drift apart).',
  ].join('\n');
  return `${header}\n${stringify(buildCrd(info), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** Every CRD file: file name → YAML text. */
export function renderAllCrds(): Map<string, string> {
  return new Map(KINDS.map((info) => [crdFileName(info), renderCrd(info)]));
}

export function kindInfo(kind: ResourceKind): KindInfo {
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) throw new Error(`no such kind ${kind}`);
  return info;
}
