// Object metadata rules every kind shares: names, namespaces, labels, annotations, finalizers.
import type { StatusCause } from './errors.ts';
import type { ResourceType } from './kinds.ts';
import type { ObjectMeta } from './types.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function nameRule(type: ResourceType): { pattern: RegExp; max: number; words: string } {
  if (type.kind === 'Namespace') {
    return {
      pattern: LABEL,
      max: 63,
      words:
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    };
  }
  if (type.kind === 'Service' && type.group === '') {
    return {
      pattern: DNS1035,
      max: 63,
      words:
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    };
  }
  return {
    pattern: SUBDOMAIN,
    max: 253,
    words:
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  };
}

export function metadataCauses(type: ResourceType, meta: ObjectMeta): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = meta.name;
  if (!name) {
    causes.push({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
  } else {
    const rule = nameRule(type);
    if (name.length > rule.max || !rule.pattern.test(name)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: "${name}": ${rule.words}`,
      });
    }
  }
  for (const [field, map] of [
    ['labels', meta.labels],
    ['annotations', meta.annotations],
  ] as const) {
    for (const [key, value] of Object.entries(map ?? {})) {
      if (!QUALIFIED.test(key) || key.length > 316) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.${field}`,
          message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
        });
      }
      if (typeof value !== 'string') {
        causes.push({
          reason: 'FieldValueTypeInvalid',
          field: `metadata.${field}.${key}`,
          message: 'Invalid value: must be a string',
        });
      } else if (field === 'labels' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `metadata.labels`,
          message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        });
      }
    }
  }
  for (const [i, finalizer] of (meta.finalizers ?? []).entries()) {
    if (typeof finalizer !== 'string' || !QUALIFIED.test(finalizer)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: `metadata.finalizers[${i}]`,
        message: `Invalid value: ${JSON.stringify(finalizer)}: a finalizer must be a qualified name`,
      });
    }
  }
  return causes;
}

const GENERATED_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName's suffix: five characters from the API server's alphabet. */
export function generatedSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i += 1) out += GENERATED_CHARS[Math.floor(Math.random() * GENERATED_CHARS.length)];
  return out;
}
