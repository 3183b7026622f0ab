// Validates one geodns.io resource document the way the API server would: the CRD's structural schema (with
// defaults applied, unknown fields refused as with `kubectl apply --validate=strict`), its CEL rules, and the
// metadata rules (DNS-1123 names, scope). The schema is the one generated for crds/*.yaml, so the local and the
// in-cluster verdicts agree.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { API_VERSION, type KindInfo } from './meta.ts';
import { DnsName } from './schema.ts';
import { HealthProbeSpecSchema } from './healthprobe.ts';
import { KINDS, type GeoResource, type ResourceKind } from './kinds.ts';
import { resourceSchema, type StructuralSchema } from './crd.ts';
import { checkCelRules, formatPath, pointerToPath, type PathSegment } from './cel.ts';

export interface FieldError {
  /** Where, e.g. spec.targets[1].addresses[0]; empty for the document as a whole. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; resource: GeoResource } | { ok: false; errors: FieldError[] };

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema ajv checks: the CRD schema with unknown fields refused (the API server would drop them silently). */
function strict(schema: StructuralSchema): StructuralSchema {
  const out: StructuralSchema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, strict(v)]));
    if (!schema.additionalProperties && !schema['x-kubernetes-preserve-unknown-fields']) {
      (out as Record<string, unknown>).additionalProperties = false;
    }
  }
  if (schema.items) out.items = strict(schema.items);
  if (schema.additionalProperties) out.additionalProperties = strict(schema.additionalProperties);
  return out;
}

interface KindValidator {
  info: KindInfo;
  schema: StructuralSchema;
  validate: ValidateFunction;
}

let validators: Map<ResourceKind, KindValidator> | undefined;

function getValidators(): Map<ResourceKind, KindValidator> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
  addFormats.default(ajv, ['ipv4', 'ipv6', 'date-time']);
  validators = new Map(
    KINDS.map((info) => {
      const schema = resourceSchema(info);
      return [info.kind, { info, schema, validate: ajv.compile(strict(schema)) }];
    }),
  );
  return validators;
}

/** The structural schema (as in the CRD) of each kind. */
export function schemaOf(kind: ResourceKind): StructuralSchema {
  const v = getValidators().get(kind);
  if (!v) throw new Error(`no such kind ${kind}`);
  return v.schema;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What the API's patterns mean, so that people do not have to read regular expressions. */
const PATTERN_MEANINGS = new Map<string, string>([
  [DnsName('').pattern ?? '', 'a DNS name (labels of letters, digits, - and _, separated by dots)'],
  [
    HealthProbeSpecSchema.properties.interval.pattern ?? '',
    'a duration: 1 to 4 groups of a number and h, m, s or ms (e.g. 10s, 1m30s, 500ms)',
  ],
  [
    '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
    "a lower-case name of letters, digits and '-', starting and ending with a letter or digit",
  ],
  ['^[A-Z]{2}$', 'an upper-case ISO 3166-1 alpha-2 country code (e.g. DE, US)'],
  ['^[A-Z0-9]{1,3}$', 'an upper-case ISO 3166-2 subdivision code without the country prefix (e.g. CA)'],
  ['^/', "a path starting with '/'"],
  ['^([0-9.]+/[0-9]{1,2}|[0-9a-fA-F:.]+/[0-9]{1,3})$', 'a network in CIDR notation (e.g. 10.20.0.0/16, fd00:1::/48)'],
]);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One ajv error in words a person reads. Returns the path it applies to too. */
function describe(error: ErrorObject, data: unknown): FieldError {
  const base = pointerToPath(error.instancePath, data);
  const p = error.params as Record<string, unknown>;
  const value = error.data;
  switch (error.keyword) {
    case 'required':
      return { path: formatPath([...base, String(p.missingProperty)]), message: 'is required' };
    case 'additionalProperties':
      return { path: formatPath([...base, String(p.additionalProperty)]), message: 'unknown field' };
    case 'type':
      return {
        path: formatPath(base),
        message: `must be ${TYPE_NAMES[String(p.type)] ?? String(p.type)} (got ${shown(value)})`,
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      return { path: formatPath(base), message: `must be one of ${allowed} (got ${shown(value)})` };
    }
    case 'minimum':
      return { path: formatPath(base), message: `must be >= ${String(p.limit)}` };
    case 'maximum':
      return { path: formatPath(base), message: `must be <= ${String(p.limit)}` };
    case 'minLength':
      return { path: formatPath(base), message: `must be at least ${plural(Number(p.limit), 'character')} long` };
    case 'maxLength':
      return { path: formatPath(base), message: `must be at most ${plural(Number(p.limit), 'character')} long` };
    case 'minItems':
      return { path: formatPath(base), message: `must have at least ${plural(Number(p.limit), 'item')}` };
    case 'maxItems':
      return { path: formatPath(base), message: `must have at most ${plural(Number(p.limit), 'item')}` };
    case 'pattern': {
      const meaning = PATTERN_MEANINGS.get(String(p.pattern));
      const wanted = meaning ? `be ${meaning}` : `match the pattern ${String(p.pattern)}`;
      return { path: formatPath(base), message: `must ${wanted} (got ${shown(value)})` };
    }
    case 'format':
      return { path: formatPath(base), message: `must be a valid ${String(p.format)} (got ${shown(value)})` };
    case 'anyOf': {
      const branches = (error.parentSchema as StructuralSchema | undefined)?.anyOf ?? [];
      const formats = branches.map((b) => b.format).filter((f): f is string => f !== undefined);
      if (formats.length === branches.length && formats.length > 0) {
        const words = formats.map((f) => (f === 'ipv4' ? 'IPv4' : f === 'ipv6' ? 'IPv6' : f));
        const noun = formats.every((f) => f.startsWith('ipv')) ? ' address' : '';
        return { path: formatPath(base), message: `must be an ${words.join(' or ')}${noun} (got ${shown(value)})` };
      }
      return { path: formatPath(base), message: 'must match one of the allowed forms' };
    }
    default:
      return { path: formatPath(base), message: error.message ?? `failed ${error.keyword}` };
  }
}

function schemaErrors(errors: readonly ErrorObject[], data: unknown): FieldError[] {
  // An anyOf reports its branches' failures too; the anyOf's own message covers them.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  const kept = errors.filter((e) => e.keyword === 'anyOf' || !anyOfPaths.some((p) => e.schemaPath.startsWith(`${p}/`)));
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const described = describe(error, data);
    const key = `${described.path}\n${described.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(described);
    }
  }
  return out;
}

function metadataErrors(info: KindInfo, metadata: unknown): FieldError[] {
  // A metadata of the wrong type is the schema's to report.
  if (!isRecord(metadata)) return metadata === undefined ? [{ path: 'metadata', message: 'is required' }] : [];
  const errors: FieldError[] = [];
  const { name, namespace } = metadata;
  if (name === undefined || name === '') errors.push({ path: 'metadata.name', message: 'is required' });
  else if (typeof name !== 'string') errors.push({ path: 'metadata.name', message: 'must be a string' });
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push({
      path: 'metadata.name',
      message: `must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (got ${shown(name)})`,
    });
  }
  if (info.scope === 'Cluster') {
    if (namespace !== undefined) {
      errors.push({
        path: 'metadata.namespace',
        message: `${info.kind} is cluster-scoped and must not have a namespace`,
      });
    }
  } else if (namespace !== undefined) {
    if (typeof namespace !== 'string') errors.push({ path: 'metadata.namespace', message: 'must be a string' });
    else if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
      errors.push({
        path: 'metadata.namespace',
        message: `must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (got ${shown(namespace)})`,
      });
    }
  }
  return errors;
}

function unique(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\n${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const KIND_NAMES = KINDS.map((k) => k.kind).join(', ');

/**
 * Validates a parsed document as a geodns.io/v1alpha1 resource. On success the returned resource is a copy with
 * schema defaults filled in and, for namespaced kinds, metadata.namespace defaulted to `default`.
 */
export function validateResource(doc: unknown): ValidationResult {
  if (!isRecord(doc)) return { ok: false, errors: [{ path: '', message: 'a resource must be a mapping' }] };
  const errors: FieldError[] = [];
  if (doc.apiVersion === undefined) errors.push({ path: 'apiVersion', message: 'is required' });
  else if (doc.apiVersion !== API_VERSION) {
    errors.push({ path: 'apiVersion', message: `must be ${API_VERSION} (got ${shown(doc.apiVersion)})` });
  }
  const validator = typeof doc.kind === 'string' ? getValidators().get(doc.kind as ResourceKind) : undefined;
  if (doc.kind === undefined) errors.push({ path: 'kind', message: 'is required' });
  else if (!validator) {
    errors.push({ path: 'kind', message: `unknown kind ${shown(doc.kind)} (expected one of ${KIND_NAMES})` });
  }
  if (!validator || errors.length > 0) return { ok: false, errors };

  const data = structuredClone(doc);
  errors.push(...metadataErrors(validator.info, data.metadata));
  const schemaOk = validator.validate(data);
  const fromSchema = schemaOk ? [] : schemaErrors(validator.validate.errors ?? [], data);
  errors.push(...fromSchema);

  const failed = fromSchema.map((e) => e.path);
  const skip = (path: PathSegment[]) => {
    const at = formatPath(path);
    return failed.some((f) => f === at || f.startsWith(`${at}.`) || f.startsWith(`${at}[`));
  };
  for (const v of checkCelRules(validator.schema, data, [], skip)) {
    errors.push({ path: formatPath(v.path), message: v.message });
  }
  if (errors.length > 0) return { ok: false, errors: unique(errors) };

  const metadata = data.metadata as Record<string, unknown>;
  if (validator.info.scope === 'Namespaced' && metadata.namespace === undefined) metadata.namespace = 'default';
  return { ok: true, resource: data as unknown as GeoResource };
}
