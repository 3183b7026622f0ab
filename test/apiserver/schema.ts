// Admission of custom resources against their CRD's structural schema, as apiextensions-apiserver does it:
// pruning of unknown fields, defaults, OpenAPI v3 validation (types, enums, formats, bounds, patterns) and the
// x-kubernetes-validations CEL rules. ajv checks the schema, api/cel.ts runs the rules (the same evaluator
// `geodns compile` uses), so the local and the served verdicts cannot drift apart.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { StructuralSchema } from '../../api/crd.ts';
import { checkCelRules, formatPath, pointerToPath } from '../../api/cel.ts';
import type { StatusCause } from './errors.ts';
import { isRecord, type JsonObject } from './types.ts';

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
  'selfLink',
]);

/** Removes what the schema does not declare; returns the paths it removed (for fieldValidation). */
export function prune(schema: StructuralSchema, value: unknown, path: string, removed: string[], root = false): void {
  if (Array.isArray(value)) {
    if (schema.items)
      value.forEach((item, i) => prune(schema.items as StructuralSchema, item, `${path}[${i}]`, removed));
    return;
  }
  if (!isRecord(value)) return;
  const embedded = root || schema['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    if (embedded && key === 'metadata') {
      const metadata = value.metadata;
      if (isRecord(metadata)) {
        for (const field of Object.keys(metadata)) {
          if (!OBJECT_META_FIELDS.has(field)) {
            delete metadata[field];
            removed.push(`${at}.${field}`);
          }
        }
      }
      continue;
    }
    const child = schema.properties?.[key] ?? schema.additionalProperties;
    if (child) prune(child, value[key], at, removed);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      delete value[key];
      removed.push(at);
    }
  }
}

/** The schema as ajv (draft 7) reads it: OpenAPI 3.0's boolean exclusive bounds become numeric ones. */
function forAjv(schema: StructuralSchema): JsonObject {
  const out: JsonObject = { ...schema };
  if (schema.exclusiveMinimum === true && schema.minimum !== undefined) {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  } else delete out.exclusiveMinimum;
  if (schema.exclusiveMaximum === true && schema.maximum !== undefined) {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  } else delete out.exclusiveMaximum;
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, forAjv(v)]));
  }
  if (schema.items) out.items = forAjv(schema.items);
  if (schema.additionalProperties) out.additionalProperties = forAjv(schema.additionalProperties);
  for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
    const list = schema[key];
    if (list) out[key] = list.map(forAjv);
  }
  return out;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A value the way the API server quotes it in `Invalid value: ...`. */
function quoted(value: unknown): string {
  if (isRecord(value) || Array.isArray(value)) return `"${typeName(value)}"`;
  return JSON.stringify(value) ?? String(value);
}

function cause(error: ErrorObject, data: unknown): StatusCause {
  const path = pointerToPath(error.instancePath, data);
  const field = formatPath(path);
  const p = error.params as Record<string, unknown>;
  const value = error.data;
  const inBody = `${field} in body`;
  switch (error.keyword) {
    case 'required': {
      const missing = formatPath([...path, String(p.missingProperty)]);
      return { reason: 'FieldValueRequired', field: missing, message: 'Required value' };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return {
        reason: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: ${quoted(value)}: supported values: ${allowed}`,
      };
    }
    case 'type':
      return {
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: "${typeName(value)}": ${inBody} must be of type ${String(p.type)}: "${typeName(value)}"`,
      };
    case 'maxLength':
      return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${String(p.limit)} bytes` };
    case 'maxItems':
      return {
        reason: 'FieldValueTooMany',
        field,
        message: `Too many: ${(value as unknown[]).length}: must have at most ${String(p.limit)} items`,
      };
    default: {
      const words: Record<string, string> = {
        minimum: `should be greater than or equal to ${String(p.limit)}`,
        maximum: `should be less than or equal to ${String(p.limit)}`,
        exclusiveMinimum: `should be greater than ${String(p.limit)}`,
        exclusiveMaximum: `should be less than ${String(p.limit)}`,
        minLength: `should be at least ${String(p.limit)} chars long`,
        minItems: `should have at least ${String(p.limit)} items`,
        pattern: `should match '${String(p.pattern)}'`,
        format: `must be of type ${String(p.format)}: ${quoted(value)}`,
        anyOf: 'must validate at least one schema (anyOf)',
        oneOf: 'must validate one and only one schema (oneOf)',
        uniqueItems: "shouldn't contain duplicates",
      };
      const what = words[error.keyword] ?? error.message ?? `failed ${error.keyword}`;
      return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${quoted(value)}: ${inBody} ${what}` };
    }
  }
}

export interface CompiledSchema {
  schema: StructuralSchema;
  /** Prunes, defaults and validates `object` in place; returns the causes of its rejection and what was pruned. */
  admit(object: JsonObject): { causes: StatusCause[]; pruned: string[] };
  /** Fills in defaults only (an applied configuration, which may be partial). */
  fillDefaults(object: JsonObject): void;
}

function listKeyDuplicates(schema: StructuralSchema, value: unknown, path: (string | number)[]): StatusCause[] {
  const out: StatusCause[] = [];
  if (Array.isArray(value)) {
    const keys = schema['x-kubernetes-list-type'] === 'map' ? (schema['x-kubernetes-list-map-keys'] ?? []) : [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (keys.length > 0 && isRecord(item)) {
        const id = JSON.stringify(keys.map((k) => item[k]));
        if (seen.has(id)) {
          const shown = `{${keys.map((k) => `"${k}":${JSON.stringify(item[k])}`).join(',')}}`;
          out.push({
            reason: 'FieldValueDuplicate',
            field: formatPath([...path, i]),
            message: `Duplicate value: ${shown}`,
          });
        }
        seen.add(id);
      }
      if (schema.items) out.push(...listKeyDuplicates(schema.items, item, [...path, i]));
    });
  } else if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
      if (childSchema) out.push(...listKeyDuplicates(childSchema, child, [...path, key]));
    }
  }
  return out;
}

export function compileSchema(schema: StructuralSchema): CompiledSchema {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, logger: false, verbose: true });
  addFormats.default(ajv);
  const validate: ValidateFunction = ajv.compile(forAjv(schema));
  return {
    schema,
    fillDefaults(object) {
      validate(object);
    },
    admit(object) {
      const pruned: string[] = [];
      prune(schema, object, '', pruned, true);
      const causes: StatusCause[] = [];
      if (!validate(object)) {
        const errors = validate.errors ?? [];
        // An anyOf reports its branches' failures too; its own error covers them.
        const anyOf = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
        for (const error of errors) {
          if (error.keyword !== 'anyOf' && anyOf.some((p) => error.schemaPath.startsWith(`${p}/`))) continue;
          causes.push(cause(error, object));
        }
      }
      causes.push(...listKeyDuplicates(schema, object, []));
      // Like the API server, the CEL rules run only over a value that passed the schema.
      if (causes.length === 0) {
        for (const v of checkCelRules(schema, object)) {
          const at = v.path.reduce<unknown>(
            (node, segment) => (isRecord(node) || Array.isArray(node) ? (node as JsonObject)[segment] : undefined),
            object,
          );
          causes.push({
            reason: 'FieldValueInvalid',
            field: formatPath(v.path),
            message: `Invalid value: ${quoted(at)}: ${v.message}`,
          });
        }
      }
      return { causes, pruned };
    },
  };
}
