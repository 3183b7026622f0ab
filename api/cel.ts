// Evaluates the x-kubernetes-validations (CEL) rules of a structural schema against a value, the way the API server
// does: each rule runs at the node that carries it, with `self` bound to the value there, and only where that
// value is present. Pure: no I/O.
import { parse, type ParseResult } from '@marcbachmann/cel-js';
import type { StructuralSchema } from './crd.ts';

/** A path into a document: property names and list indexes. */
export type PathSegment = string | number;

export interface CelViolation {
  path: PathSegment[];
  message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** spec.targets[1].addresses[0] */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Parses a rule's fieldPath ('.targets', '.a.b', ".m['k']", '.l[2]') into segments. */
export function parseFieldPath(fieldPath: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const pattern = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < fieldPath.length && (match = pattern.exec(fieldPath)) !== null) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(match[3]);
  }
  return segments;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ajv's JSON pointer → path segments, using the data to tell list indexes (numbers) from keys. */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = data;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(key));
      node = node[Number(key)];
    } else {
      path.push(key);
      node = isRecord(node) ? node[key] : undefined;
    }
  }
  return path;
}

/** Parsed rules by text (or why a rule does not parse): the rules are the CRDs' few, checked on every object. */
const programs = new Map<string, ParseResult | Error>();
const MAX_PROGRAMS = 1000;

function program(rule: string): ParseResult {
  let parsed = programs.get(rule);
  if (parsed === undefined) {
    try {
      parsed = parse(rule);
    } catch (error) {
      parsed = error instanceof Error ? error : new Error(String(error));
    }
    if (programs.size >= MAX_PROGRAMS) programs.clear();
    programs.set(rule, parsed);
  }
  if (parsed instanceof Error) throw parsed;
  return parsed;
}

/**
 * Runs every CEL rule found in `schema` against `value`. `skip` says whether the subtree at a path already failed
 * schema validation; the rules at that node are not run, since their input has the wrong shape, but the nodes
 * below it are still checked.
 */
export function checkCelRules(
  schema: StructuralSchema,
  value: unknown,
  path: PathSegment[] = [],
  skip: (path: PathSegment[]) => boolean = () => false,
): CelViolation[] {
  if (value === undefined) return [];
  const violations: CelViolation[] = [];
  const rules = skip(path) ? [] : (schema['x-kubernetes-validations'] ?? []);
  for (const rule of rules) {
    const at = rule.fieldPath ? [...path, ...parseFieldPath(rule.fieldPath)] : path;
    let result: unknown;
    try {
      result = program(rule.rule)({ self: value });
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      violations.push({ path: at, message: `rule \`${rule.rule}\` could not be evaluated: ${reason}` });
      continue;
    }
    if (result !== true) violations.push({ path: at, message: rule.message ?? `failed rule: ${rule.rule}` });
  }
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
      if (childSchema) violations.push(...checkCelRules(childSchema, child, [...path, key], skip));
    }
  } else if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    value.forEach((child, i) => violations.push(...checkCelRules(items, child, [...path, i], skip)));
  }
  return violations;
}
