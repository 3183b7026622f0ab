// The patch types of PATCH requests other than server-side apply: JSON patch (RFC 6902, by fast-json-patch),
// JSON merge patch (RFC 7386) and strategic merge patch (lists merged by their patch merge key, the $patch,
// $retainKeys, $setElementOrder and $deleteFromPrimitiveList directives), which the API server accepts for its
// built-in kinds only.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from './errors.ts';
import type { ResourceType } from './kinds.ts';
import { clone, isRecord, jsonEqual, type JsonObject } from './types.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const APPLY_PATCH_CBOR = 'application/apply-patch+cbor';

export function jsonPatch(target: JsonObject, patch: unknown): JsonObject {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return fastJsonPatch.applyPatch(clone(target), patch as Operation[], true, true).newDocument;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);
  }
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: JsonObject = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function smpList(original: unknown, patch: unknown[], dotted: string, type: ResourceType): unknown[] {
  const live = Array.isArray(original) ? original : [];
  if (patch.some((item) => isRecord(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isRecord(item) && item.$patch === 'replace')).map(clone);
  }
  const key = type.listMapKeys[dotted]?.[0];
  if (key) {
    const out = live.map(clone);
    for (const item of patch) {
      if (!isRecord(item)) throw badRequest(`unable to merge a list item that is not a map at ${dotted}`);
      const index = out.findIndex((o) => isRecord(o) && jsonEqual(o[key], item[key]));
      if (item.$patch === 'delete') {
        if (index >= 0) out.splice(index, 1);
      } else if (index >= 0) out[index] = strategicMergePatch(out[index], item, dotted, type);
      else out.push(strategicMergePatch({}, item, dotted, type));
    }
    return out;
  }
  if (type.setLists.includes(dotted)) return [...live, ...patch.filter((p) => !live.some((l) => jsonEqual(l, p)))];
  return patch.map(clone);
}

export function strategicMergePatch(original: unknown, patch: unknown, dotted: string, type: ResourceType): unknown {
  if (!isRecord(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  let out: JsonObject = isRecord(original) ? { ...original } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    const at = dotted ? `${dotted}.${key}` : key;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = out[field];
      if (Array.isArray(list) && Array.isArray(value))
        out[field] = list.filter((v) => !value.some((d) => jsonEqual(v, d)));
      continue;
    }
    if (value === null) delete out[key];
    else if (isRecord(value) && value.$patch === 'delete') delete out[key];
    else if (Array.isArray(value)) out[key] = smpList(out[key], value, at, type);
    else out[key] = strategicMergePatch(out[key], value, at, type);
  }
  return out;
}
