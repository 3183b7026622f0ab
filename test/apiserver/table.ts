// `Accept: application/json;as=Table;g=meta.k8s.io;v=v1`: what `kubectl get` asks for. Columns come from a CRD's
// additionalPrinterColumns (or a built-in kind's few), each cell from its JSONPath, date columns as ages.
import { JSONPath } from 'jsonpath-plus';
import { apiVersionOf, type PrinterColumn, type ResourceType } from './kinds.ts';
import type { JsonObject, KubeObject } from './types.ts';

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** kubectl's short ages: 45s, 5m, 3h, 2d. */
export function humanAge(since: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60 > 0 ? `${seconds % 60}s` : ''}`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Kubernetes JSONPath (`.spec.x`, `{.spec.x}`) → jsonpath-plus (`$.spec.x`). */
function cell(object: KubeObject, column: PrinterColumn): unknown {
  let path = column.jsonPath.trim();
  if (path.startsWith('{') && path.endsWith('}')) path = path.slice(1, -1);
  const results = JSONPath({ path: `$${path}`, json: object as unknown as JsonObject, wrap: true }) as unknown[];
  if (results.length === 0) return null;
  const value = results.length === 1 ? results[0] : results.map(String).join(',');
  if (column.type === 'date' && typeof value === 'string') return humanAge(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value;
}

function partialMetadata(object: KubeObject): JsonObject {
  const { managedFields: _, ...metadata } = object.metadata;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

function columnType(type: string): string {
  return type === 'date' ? 'string' : type;
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: JsonObject,
  includeObject: string | undefined,
): JsonObject {
  const columns = type.printerColumns;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...columns.map((c) => ({
        name: c.name,
        type: columnType(c.type),
        format: c.format ?? '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: objects.map((object) => ({
      cells: [object.metadata.name ?? '', ...columns.map((c) => cell(object, c))],
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? object
            : partialMetadata({ ...object, apiVersion: apiVersionOf(type) }),
    })),
  };
}
