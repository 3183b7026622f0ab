// /openapi/v3: one document per group version, built from the CRDs' schemas (what `kubectl explain` reads and
// what tells kubectl that the server validates fields itself). Built-in kinds are listed with open schemas:
// this server keeps no schemas for them.
import { createHash } from 'node:crypto';
import type { StructuralSchema } from '../../api/crd.ts';
import { apiVersionOf, type ResourceType } from './kinds.ts';
import type { JsonObject } from './types.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function groupPrefix(type: ResourceType): string {
  if (!type.group) return 'io.k8s.api.core';
  if (type.group.endsWith('.k8s.io')) return `io.k8s.api.${type.group.slice(0, -'.k8s.io'.length).split('.')[0] ?? ''}`;
  return type.group.split('.').reverse().join('.');
}

export function schemaName(type: ResourceType): string {
  return `${groupPrefix(type)}.${type.version}.${type.kind}`;
}

function gvk(type: ResourceType, kind = type.kind) {
  return [{ group: type.group, version: type.version, kind }];
}

const objectMeta: JsonObject = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { description: 'Name must be unique within a namespace.', type: 'string' },
    generateName: {
      description: 'GenerateName is an optional prefix, used by the server, to generate a unique name.',
      type: 'string',
    },
    namespace: { description: 'Namespace defines the space within which each name must be unique.', type: 'string' },
    uid: { description: 'UID is the unique in time and space value for this object.', type: 'string' },
    resourceVersion: {
      description: 'An opaque value that represents the internal version of this object.',
      type: 'string',
    },
    generation: {
      description: 'A sequence number representing a specific generation of the desired state.',
      type: 'integer',
      format: 'int64',
    },
    creationTimestamp: {
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
      type: 'string',
      format: 'date-time',
    },
    deletionTimestamp: {
      description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.',
      type: 'string',
      format: 'date-time',
    },
    labels: {
      description: 'Map of string keys and values that can be used to organize and categorize objects.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    annotations: {
      description: 'Annotations is an unstructured key value map stored with a resource.',
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    finalizers: {
      description: 'Must be empty before the object is deleted from the registry.',
      type: 'array',
      items: { type: 'string' },
    },
    ownerReferences: {
      description: 'List of objects depended by this object.',
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    managedFields: {
      description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
};

function kindSchema(type: ResourceType): JsonObject {
  const schema: StructuralSchema = type.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const properties: Record<string, unknown> = { ...(schema.properties ?? {}) };
  properties.metadata = {
    description: 'Standard object metadata.',
    allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }],
  };
  properties.apiVersion ??= {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  properties.kind ??= {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  return { ...schema, properties, 'x-kubernetes-group-version-kind': gvk(type) };
}

function listSchema(type: ResourceType): JsonObject {
  return {
    description: `${type.kind}List is a list of ${type.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(type)}` } },
    },
    'x-kubernetes-group-version-kind': gvk(type, type.listKind),
  };
}

const param = (name: string, location = 'query') => ({
  name,
  in: location,
  schema: { type: 'string', uniqueItems: true },
});
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'].map((p) => param(p));
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

function operations(type: ResourceType, item: boolean): JsonObject {
  const ref = { $ref: `#/components/schemas/${schemaName(type)}` };
  const body = (types: string[]) => ({
    content: Object.fromEntries(types.map((t) => [t, { schema: ref }])),
    required: true,
  });
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
  const ext = (action: string) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk(type)[0] });
  if (!item) {
    return {
      get: {
        operationId: `list${type.kind}`,
        parameters: ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion'].map((p) =>
          param(p),
        ),
        responses: ok,
        ...ext('list'),
      },
      post: {
        operationId: `create${type.kind}`,
        parameters: WRITE_PARAMS,
        requestBody: body(['*/*']),
        responses: ok,
        ...ext('post'),
      },
      delete: { operationId: `deletecollection${type.kind}`, responses: ok, ...ext('deletecollection') },
    };
  }
  // The built-in kinds take strategic merge patches, but their open schemas here cannot say how: not listing the
  // type makes kubectl build such patches from the schemas compiled into it, as it would for an old server.
  const patchTypes = PATCH_TYPES;
  return {
    get: { operationId: `read${type.kind}`, responses: ok, ...ext('get') },
    put: {
      operationId: `replace${type.kind}`,
      parameters: WRITE_PARAMS,
      requestBody: body(['*/*']),
      responses: ok,
      ...ext('put'),
    },
    patch: {
      operationId: `patch${type.kind}`,
      parameters: [...WRITE_PARAMS, param('force')],
      requestBody: body(patchTypes),
      responses: ok,
      ...ext('patch'),
    },
    delete: { operationId: `delete${type.kind}`, parameters: [param('dryRun')], responses: ok, ...ext('delete') },
  };
}

function prefixOf(groupVersion: string): string {
  return groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
}

export function openapiDocument(types: ResourceType[], groupVersion: string): JsonObject | undefined {
  const served = types.filter((t) => apiVersionOf(t) === groupVersion);
  if (served.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = { [`${META}.ObjectMeta`]: objectMeta };
  const base = prefixOf(groupVersion);
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const namespace = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } };
  for (const type of served) {
    const collection = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
    const pathParams = type.namespaced ? [namespace] : [];
    paths[collection] = { ...operations(type, false), parameters: pathParams };
    paths[`${collection}/{name}`] = { ...operations(type, true), parameters: [...pathParams, name] };
    if (type.status)
      paths[`${collection}/{name}/status`] = { ...operations(type, true), parameters: [...pathParams, name] };
    schemas[schemaName(type)] = kindSchema(type);
    schemas[`${schemaName(type)}List`] = listSchema(type);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

export function openapiIndex(types: ResourceType[]): JsonObject {
  const paths: JsonObject = {};
  for (const gv of new Set(types.map(apiVersionOf))) {
    const doc = openapiDocument(types, gv);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 32).toUpperCase();
    const key = prefixOf(gv).slice(1);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
