// Validation of the documents found in a config folder: the JSON schema (ajv on the TypeBox schemas of
// api/compiled.ts and api/health.ts) plus the semantic rules a schema cannot say. Pure: values in, messages out.
// Every message names the file and the field: "www.json: routed[0].ttl: must be integer".
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ipaddr from 'ipaddr.js';
import { COMPILED_FORMAT, CompiledZoneSchema, type CompiledZone } from '../../api/compiled.ts';
import { HEALTH_FORMAT, HealthTableSchema, type HealthTable } from '../../api/health.ts';
import { formatPath, pointerToPath, type PathSegment } from '../../api/cel.ts';
import { regionalProblems } from '../routing/regional.ts';

export type DocumentVerdict =
  | { kind: 'zone'; zone: CompiledZone }
  | { kind: 'health'; health: HealthTable }
  | { kind: 'invalid'; errors: string[]; zoneName?: string };

/** At most this many messages per file: one broken union can produce dozens. */
const MAX_ERRORS_PER_FILE = 10;

let compiled: { zone: ValidateFunction; health: ValidateFunction } | undefined;

function validators(): { zone: ValidateFunction; health: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiled = { zone: ajv.compile(CompiledZoneSchema), health: ajv.compile(HealthTableSchema) };
  }
  return compiled;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function where(path: readonly PathSegment[]): string {
  return path.length === 0 ? '(document)' : formatPath(path);
}

function describeAjvError(error: ErrorObject, data: unknown): string {
  const path = pointerToPath(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return `${where([...path, String(params.additionalProperty)])}: unknown field`;
  }
  if (error.keyword === 'required') {
    return `${where([...path, String(params.missingProperty)])}: required field missing`;
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${where(path)}: must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'const') return `${where(path)}: must be ${JSON.stringify(params.allowedValue)}`;
  return `${where(path)}: ${error.message ?? error.keyword}`;
}

function schemaErrors(validate: ValidateFunction, data: unknown): string[] | null {
  if (validate(data)) return null;
  const messages = (validate.errors ?? []).map((e) => describeAjvError(e, data));
  return [...new Set(messages)];
}

function isLowerCaseName(name: string): boolean {
  return name === name.toLowerCase() && !name.endsWith('.') && name.length > 0;
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The rules of a compiled zone that the schema cannot express. */
export function semanticZoneErrors(zone: CompiledZone): string[] {
  const errors: string[] = [];
  const apex = zone.zone;
  if (!isLowerCaseName(apex)) errors.push(`zone: "${apex}" must be lower case, without a trailing dot`);
  const checkName = (path: PathSegment[], name: string): void => {
    if (!isLowerCaseName(name)) errors.push(`${where(path)}: "${name}" must be lower case, without a trailing dot`);
    else if (!inZone(name, apex)) errors.push(`${where(path)}: "${name}" is not inside zone "${apex}"`);
  };
  zone.records.forEach((rrset, i) => checkName(['records', i, 'name'], rrset.name));
  const seen = new Set<string>();
  zone.routed.forEach((routed, i) => {
    checkName(['routed', i, 'name'], routed.name);
    if (seen.has(routed.name)) errors.push(`${where(['routed', i, 'name'])}: "${routed.name}" is routed twice`);
    seen.add(routed.name);
    for (const problem of regionalProblems(routed)) errors.push(`${where(['routed', i])}.${problem}`);
    routed.targets.forEach((target, t) =>
      target.addresses.forEach((address, a) => {
        if (!ipaddr.isValid(address)) {
          errors.push(`${where(['routed', i, 'targets', t, 'addresses', a])}: "${address}" is not an IP address`);
        }
      }),
    );
  });
  zone.networks.forEach((network, i) => {
    try {
      ipaddr.parseCIDR(network.cidr);
    } catch {
      errors.push(`${where(['networks', i, 'cidr'])}: "${network.cidr}" is not a CIDR`);
    }
  });
  return errors;
}

/** Classifies and validates one parsed JSON document; `file` prefixes every message. */
export function validateDocument(file: string, data: unknown): DocumentVerdict {
  const invalid = (messages: string[], zoneName?: string): DocumentVerdict => {
    const errors = messages.slice(0, MAX_ERRORS_PER_FILE).map((m) => `${file}: ${m}`);
    if (messages.length > MAX_ERRORS_PER_FILE) {
      errors.push(`${file}: ... and ${messages.length - MAX_ERRORS_PER_FILE} more errors`);
    }
    return zoneName === undefined ? { kind: 'invalid', errors } : { kind: 'invalid', errors, zoneName };
  };
  const format = isRecord(data) ? data.format : undefined;
  if (format === COMPILED_FORMAT) {
    const zoneName = isRecord(data) && typeof data.zone === 'string' ? data.zone : undefined;
    const errors = schemaErrors(validators().zone, data);
    if (errors) return invalid(errors, zoneName);
    const zone = data as CompiledZone;
    const semantic = semanticZoneErrors(zone);
    return semantic.length > 0 ? invalid(semantic, zoneName) : { kind: 'zone', zone };
  }
  if (format === HEALTH_FORMAT) {
    const errors = schemaErrors(validators().health, data);
    return errors ? invalid(errors) : { kind: 'health', health: data as HealthTable };
  }
  return invalid([
    `format: expected "${COMPILED_FORMAT}" or "${HEALTH_FORMAT}", got ${format === undefined ? 'none' : JSON.stringify(format)}`,
  ]);
}

/** Merges health tables; for a target in several tables the later one wins. */
export function mergeHealthTables(tables: readonly HealthTable[]): HealthTable | null {
  if (tables.length === 0) return null;
  const targets: HealthTable['targets'] = {};
  for (const table of tables) Object.assign(targets, table.targets);
  return { format: HEALTH_FORMAT, targets };
}
