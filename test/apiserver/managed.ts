// metadata.managedFields: who owns which field. Updates (PUT, patches) give the writer the fields it changed and
// take them from everyone else; server-side apply gives the applier exactly the fields of its configuration,
// refuses (409) to change a field another manager owns unless forced, and removes fields the applier owned
// before and dropped, when nobody else owns them.
import { ApiError } from './errors.ts';
import {
  changedFields,
  describePath,
  fieldsOf,
  fromFieldsV1,
  removeAt,
  shapesOf,
  toFieldsV1,
  valueAt,
  type FieldSet,
  type Scope,
} from './fields.ts';
import { apiVersionOf, type ResourceType } from './kinds.ts';
import { clone, isRecord, jsonEqual, type JsonObject, type KubeObject, type ManagedFieldsEntry } from './types.ts';

interface Owner {
  entry: ManagedFieldsEntry;
  fields: FieldSet;
}

function owners(object: KubeObject | undefined): Owner[] {
  return (object?.metadata.managedFields ?? []).map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));
}

function sameOwner(a: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined) {
  return a.manager === manager && a.operation === operation && (a.subresource ?? '') === (subresource ?? '');
}

function write(list: Owner[], object: KubeObject): void {
  const kept = list.filter((o) => o.fields.size > 0);
  const entries = kept.map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.fields) }));
  if (entries.length > 0) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
}

function scopeOf(subresource: string | undefined): Scope {
  return subresource === 'status' ? 'status' : 'main';
}

/**
 * Records an update by `manager` from `before` to `after` (which is changed in place). managedFields that the
 * request itself changed are taken as given, as the API server does.
 */
export function recordUpdate(
  type: ResourceType,
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  subresource: string | undefined,
  now: string,
): void {
  const requested = after.metadata.managedFields;
  const given = requested !== undefined && !jsonEqual(requested, before?.metadata.managedFields);
  const base = given
    ? requested.length === 1 && Object.keys(requested[0] ?? {}).length === 0
      ? []
      : requested
    : before?.metadata.managedFields;
  const list = owners({ ...after, metadata: { ...after.metadata, managedFields: base ?? [] } });
  const shapes = shapesOf(type);
  const scope = scopeOf(subresource);
  const empty: KubeObject = { apiVersion: after.apiVersion, kind: after.kind, metadata: {} };
  const { changed, removed } = changedFields(before ?? empty, after, shapes, scope, type.status);
  for (const owner of list) {
    for (const path of [...changed, ...removed]) owner.fields.delete(path);
  }
  if (changed.size > 0) {
    let mine = list.find((o) => sameOwner(o.entry, manager, 'Update', subresource));
    if (!mine) {
      mine = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion: apiVersionOf(type),
          time: now,
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(subresource ? { subresource } : {}),
        },
        fields: new Set(),
      };
      list.push(mine);
    }
    mine.entry.time = now;
    for (const path of changed) mine.fields.add(path);
  }
  write(list, after);
}

function mergeList(
  live: unknown[],
  applied: unknown[],
  keys: string[] | undefined,
  isSet: boolean,
  dotted: string,
  type: ResourceType,
): unknown[] {
  if (keys && applied.every(isRecord) && live.every(isRecord)) {
    const out = [...live] as JsonObject[];
    for (const item of applied as JsonObject[]) {
      const index = out.findIndex((o) => keys.every((k) => jsonEqual(o[k], item[k])));
      if (index >= 0) out[index] = mergeValue(out[index], item, dotted, type) as JsonObject;
      else out.push(clone(item));
    }
    return out;
  }
  if (isSet) return [...live, ...applied.filter((a) => !live.some((l) => jsonEqual(l, a)))];
  return clone(applied);
}

function mergeValue(live: unknown, applied: unknown, dotted: string, type: ResourceType): unknown {
  if (isRecord(live) && isRecord(applied)) {
    const out: JsonObject = { ...live };
    for (const [key, value] of Object.entries(applied)) {
      out[key] = mergeValue(live[key], value, dotted ? `${dotted}.${key}` : key, type);
    }
    return out;
  }
  if (Array.isArray(live) && Array.isArray(applied)) {
    return mergeList(live, applied, type.listMapKeys[dotted], type.setLists.includes(dotted), dotted, type);
  }
  return clone(applied);
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: the object is created). Returns the new
 * object with its managedFields; throws 409 on conflicts unless `force`.
 */
export function applyConfiguration(
  type: ResourceType,
  live: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean,
  subresource: string | undefined,
  now: string,
): KubeObject {
  const shapes = shapesOf(type);
  const scope = scopeOf(subresource);
  const applied = fieldsOf(config, shapes, scope, type.status);
  const list = owners(live);
  const conflicts: { path: string; manager: string }[] = [];
  for (const owner of list) {
    if (sameOwner(owner.entry, manager, 'Apply', subresource)) continue;
    for (const path of applied) {
      if (!owner.fields.has(path)) continue;
      if (path.endsWith('.')) continue;
      if (jsonEqual(valueAt(live, path), valueAt(config, path))) continue;
      if (force) owner.fields.delete(path);
      else conflicts.push({ path, manager: owner.entry.manager });
    }
  }
  if (conflicts.length > 0) {
    const causes = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}": ${describePath(c.path)}`,
      field: describePath(c.path),
    }));
    const message =
      conflicts.length === 1
        ? `Apply failed with 1 conflict: ${causes[0]?.message ?? ''}`
        : `Apply failed with ${conflicts.length} conflicts: ${causes.map((c) => c.message).join('\n')}`;
    throw new ApiError(409, 'Conflict', message, { causes });
  }

  let result: KubeObject = live ? clone(live) : { apiVersion: config.apiVersion, kind: config.kind, metadata: {} };
  let mine = list.find((o) => sameOwner(o.entry, manager, 'Apply', subresource));
  if (mine) {
    const others = list.filter((o) => o !== mine);
    for (const path of mine.fields) {
      if (applied.has(path) || others.some((o) => o.fields.has(path))) continue;
      removeAt(result, path);
    }
  }
  const { metadata: configMeta, ...configRest } = config;
  const merged = mergeValue(result, configRest, '', type) as KubeObject;
  const meta = merged.metadata;
  for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
    const value = configMeta[field];
    if (value !== undefined) meta[field] = mergeValue(meta[field], value, `metadata.${field}`, type) as never;
  }
  if (!live) {
    for (const field of ['name', 'generateName', 'namespace'] as const) {
      if (configMeta[field] !== undefined) meta[field] = configMeta[field];
    }
  }
  result = merged;

  if (!mine) {
    mine = {
      entry: {
        manager,
        operation: 'Apply',
        apiVersion: apiVersionOf(type),
        time: now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(subresource ? { subresource } : {}),
      },
      fields: new Set(),
    };
    list.push(mine);
  }
  mine.entry.time = now;
  mine.fields = applied;
  // Removing a shared field removes it from no one; a field no one has any more is owned by no one.
  for (const owner of list) {
    for (const path of [...owner.fields]) {
      if (!path.endsWith('.') && valueAt(result, path) === undefined) owner.fields.delete(path);
    }
  }
  write(list, result);
  return result;
}
