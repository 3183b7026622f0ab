// Field sets as server-side apply tracks them in metadata.managedFields (fieldsV1): a path per owned leaf, with
// list items named by their keys (k:{"name":"a"}) in lists merged by key, by their value (v:"x") in sets, and
// atomic lists owned whole.
import type { ResourceType } from './kinds.ts';
import { isRecord, jsonEqual, type JsonObject } from './types.ts';

/** A path of fieldsV1 elements, joined by NUL. */
export type FieldPath = string;
export type FieldSet = Set<FieldPath>;

const SEP = '\u0000';

export interface ListShapes {
  mapKeys(dotted: string): string[] | undefined;
  isSet(dotted: string): boolean;
}

export function shapesOf(type: ResourceType): ListShapes {
  return {
    mapKeys: (dotted) => type.listMapKeys[dotted],
    isSet: (dotted) => type.setLists.includes(dotted),
  };
}

function keyElement(item: JsonObject, keys: string[]): string {
  const shown = Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
  return `k:${JSON.stringify(shown)}`;
}

/** Which top-level parts of an object a request may own: the main resource, or its status. */
export type Scope = 'main' | 'status' | 'all';

function topLevelKeys(object: JsonObject, scope: Scope, hasStatus: boolean): string[] {
  return Object.keys(object).filter((key) => {
    if (key === 'apiVersion' || key === 'kind') return false;
    if (scope === 'status') return key === 'status';
    if (scope === 'main' && hasStatus && key === 'status') return false;
    return true;
  });
}

const TRACKED_METADATA = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

function walk(value: unknown, dotted: string, prefix: string[], shapes: ListShapes, out: FieldSet): void {
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) {
      out.add(prefix.join(SEP));
      return;
    }
    for (const key of keys) {
      walk(value[key], dotted ? `${dotted}.${key}` : key, [...prefix, `f:${key}`], shapes, out);
    }
    return;
  }
  if (Array.isArray(value)) {
    const keys = shapes.mapKeys(dotted);
    if (keys && value.every(isRecord)) {
      for (const item of value) {
        const at = [...prefix, keyElement(item, keys)];
        out.add([...at, '.'].join(SEP));
        for (const [k, v] of Object.entries(item)) walk(v, `${dotted}.${k}`, [...at, `f:${k}`], shapes, out);
      }
      return;
    }
    if (shapes.isSet(dotted)) {
      for (const item of value) out.add([...prefix, `v:${JSON.stringify(item)}`].join(SEP));
      return;
    }
  }
  out.add(prefix.join(SEP));
}

/** Every leaf path of an object (what an apply of it owns). */
export function fieldsOf(object: JsonObject, shapes: ListShapes, scope: Scope, hasStatus: boolean): FieldSet {
  const out: FieldSet = new Set();
  for (const key of topLevelKeys(object, scope, hasStatus)) {
    if (key === 'metadata') {
      const metadata = isRecord(object.metadata) ? object.metadata : {};
      for (const field of TRACKED_METADATA) {
        if (metadata[field] !== undefined)
          walk(metadata[field], `metadata.${field}`, ['f:metadata', `f:${field}`], shapes, out);
      }
      continue;
    }
    walk(object[key], key, [`f:${key}`], shapes, out);
  }
  return out;
}

/** The value at a field path, or undefined. */
export function valueAt(object: unknown, path: FieldPath): unknown {
  let node: unknown = object;
  for (const element of path.split(SEP)) {
    if (element === '.') continue;
    if (element.startsWith('f:')) node = isRecord(node) ? node[element.slice(2)] : undefined;
    else if (element.startsWith('k:')) {
      const want = JSON.parse(element.slice(2)) as JsonObject;
      node = Array.isArray(node)
        ? node.find((item) => isRecord(item) && Object.entries(want).every(([k, v]) => jsonEqual(item[k], v)))
        : undefined;
    } else if (element.startsWith('v:')) {
      const want = JSON.parse(element.slice(2)) as unknown;
      node = Array.isArray(node) && node.some((item) => jsonEqual(item, want)) ? want : undefined;
    } else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Removes the field at a path (a key, a keyed list item, a set value). */
export function removeAt(object: JsonObject, path: FieldPath): void {
  const elements = path.split(SEP).filter((e) => e !== '.');
  const last = elements.pop();
  if (last === undefined) return;
  const parent = elements.length === 0 ? object : valueAt(object, elements.join(SEP));
  if (last.startsWith('f:') && isRecord(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const index = parent.findIndex((item) => matches(item, last));
    if (index >= 0) parent.splice(index, 1);
  }
}

function matches(item: unknown, element: string): boolean {
  if (element.startsWith('k:')) {
    const want = JSON.parse(element.slice(2)) as JsonObject;
    return isRecord(item) && Object.entries(want).every(([k, v]) => jsonEqual(item[k], v));
  }
  if (element.startsWith('v:')) return jsonEqual(item, JSON.parse(element.slice(2)));
  return false;
}

/** The leaf paths whose value differs between two objects (added, changed or removed). */
export function changedFields(
  before: JsonObject,
  after: JsonObject,
  shapes: ListShapes,
  scope: Scope,
  hasStatus: boolean,
) {
  const old = fieldsOf(before, shapes, scope, hasStatus);
  const now = fieldsOf(after, shapes, scope, hasStatus);
  const changed: FieldSet = new Set();
  for (const path of now) {
    if (!old.has(path) || !jsonEqual(valueAt(before, path), valueAt(after, path))) changed.add(path);
  }
  const removed: FieldSet = new Set([...old].filter((p) => !now.has(p)));
  return { changed, removed, now };
}

/** fieldsV1 JSON: nested objects keyed by path elements, "." marking a node owned itself. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const path of [...set].sort()) {
    let node = root;
    for (const element of path.split(SEP)) {
      const next = (node[element] as JsonObject | undefined) ?? {};
      node[element] = next;
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const visit = (node: unknown, prefix: string[]) => {
    if (!isRecord(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix.length > 0) out.add(prefix.join(SEP));
    for (const key of keys) visit(node[key], [...prefix, key]);
  };
  visit(fields, []);
  return out;
}

/** `.spec.targets[name="a"].weight`, the way conflicts are reported. */
export function describePath(path: FieldPath): string {
  return path
    .split(SEP)
    .filter((e) => e !== '.')
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:')) {
        const keys = JSON.parse(e.slice(2)) as JsonObject;
        return `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      return `[=${e.slice(2)}]`;
    })
    .join('');
}
