// The resource types the server serves: the built-in kinds the project touches, and those CRDs register.
import type { StructuralSchema } from '../../api/crd.ts';
import { isRecord, type JsonObject } from './types.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** A /status subresource: the main endpoint ignores .status, /status changes only .status. */
  status: boolean;
  /** metadata.generation counts changes outside metadata and status (CRs and CRDs). */
  generation: boolean;
  /** The OpenAPI v3 schema of a CRD version: admission, pruning, defaults, openapi and list-map keys. */
  schema?: StructuralSchema;
  printerColumns: PrinterColumn[];
  /** Lists merged by key in strategic merge patch and server-side apply, by dotted path ('spec.ports'). */
  listMapKeys: Record<string, string[]>;
  /** Lists of scalars merged as sets in strategic merge patch (patchStrategy: merge). */
  setLists: string[];
  /** The CRD this type comes from (its metadata.name), if any. */
  crd?: string;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The key a type is stored under: group/plural. */
export function typeKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${type.group}/${type.plural}`;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function builtin(
  fields: Partial<ResourceType> & Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'>,
): ResourceType {
  return {
    listKind: `${fields.kind}List`,
    singular: fields.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    status: false,
    generation: false,
    printerColumns: [age],
    listMapKeys: {},
    setLists: [],
    ...fields,
  };
}

const metadataLists = { 'metadata.ownerReferences': ['uid'] };

export const BUILTIN_TYPES: readonly ResourceType[] = [
  builtin({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, age],
    listMapKeys: { ...metadataLists, 'status.conditions': ['type'] },
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Cluster-IP', type: 'string', jsonPath: '.spec.clusterIP' },
      { name: 'External-IP', type: 'string', jsonPath: '.status.loadBalancer.ingress[*].ip' },
      age,
    ],
    listMapKeys: { ...metadataLists, 'spec.ports': ['port', 'protocol'] },
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    listMapKeys: metadataLists,
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
      { name: 'Message', type: 'string', jsonPath: '.message' },
    ],
    listMapKeys: metadataLists,
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, age],
    listMapKeys: {
      ...metadataLists,
      'spec.containers': ['name'],
      'spec.initContainers': ['name'],
      'spec.volumes': ['name'],
      'spec.containers.env': ['name'],
      'spec.containers.ports': ['containerPort', 'protocol'],
      'spec.containers.volumeMounts': ['mountPath'],
      'status.conditions': ['type'],
    },
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
    printerColumns: [{ name: 'AddressType', type: 'string', jsonPath: '.addressType' }, age],
    listMapKeys: metadataLists,
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    printerColumns: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }, age],
    listMapKeys: metadataLists,
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Object', type: 'string', jsonPath: '.regarding.name' },
      { name: 'Note', type: 'string', jsonPath: '.note' },
    ],
    listMapKeys: metadataLists,
    setLists: ['metadata.finalizers'],
  }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    status: true,
    generation: true,
    printerColumns: [
      { name: 'Created At', type: 'string', format: 'date-time', jsonPath: '.metadata.creationTimestamp' },
    ],
    listMapKeys: { ...metadataLists, 'status.conditions': ['type'] },
    setLists: ['metadata.finalizers'],
  }),
  ...['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].map((kind) =>
    builtin({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind,
      plural: `${kind.toLowerCase()}s`,
      namespaced: !kind.startsWith('Cluster'),
      listMapKeys: metadataLists,
      setLists: ['metadata.finalizers'],
    }),
  ),
];

function listKeysFromSchema(schema: StructuralSchema, path: string[], out: Record<string, string[]>): void {
  if (schema['x-kubernetes-list-type'] === 'map' && schema['x-kubernetes-list-map-keys']) {
    out[path.join('.')] = schema['x-kubernetes-list-map-keys'];
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) listKeysFromSchema(child, [...path, name], out);
  if (schema.items) listKeysFromSchema(schema.items, path, out);
}

function setListsFromSchema(schema: StructuralSchema, path: string[], out: string[]): void {
  if (schema['x-kubernetes-list-type'] === 'set') out.push(path.join('.'));
  for (const [name, child] of Object.entries(schema.properties ?? {})) setListsFromSchema(child, [...path, name], out);
  if (schema.items) setListsFromSchema(schema.items, path, out);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The served version of a CustomResourceDefinition as a resource type (the storage version, or the first). */
export function typeFromCrd(crd: JsonObject): ResourceType | undefined {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : [];
  const version = versions.find((v) => v.storage === true && v.served !== false) ?? versions.find((v) => v.served);
  const metadata = isRecord(crd.metadata) ? crd.metadata : {};
  if (
    !version ||
    typeof spec.group !== 'string' ||
    typeof names.plural !== 'string' ||
    typeof names.kind !== 'string'
  ) {
    return undefined;
  }
  const schemaHolder = isRecord(version.schema) ? version.schema : {};
  const schema = isRecord(schemaHolder.openAPIV3Schema)
    ? (schemaHolder.openAPIV3Schema as StructuralSchema)
    : undefined;
  const subresources = isRecord(version.subresources) ? version.subresources : {};
  const columns = Array.isArray(version.additionalPrinterColumns)
    ? (version.additionalPrinterColumns.filter(isRecord) as unknown as PrinterColumn[])
    : [];
  const listMapKeys: Record<string, string[]> = { ...metadataLists };
  const setLists = ['metadata.finalizers'];
  if (schema) {
    listKeysFromSchema(schema, [], listMapKeys);
    setListsFromSchema(schema, [], setLists);
  }
  return {
    group: spec.group,
    version: String(version.name),
    kind: names.kind,
    listKind: typeof names.listKind === 'string' ? names.listKind : `${names.kind}List`,
    plural: names.plural,
    singular: typeof names.singular === 'string' ? names.singular : names.kind.toLowerCase(),
    shortNames: strings(names.shortNames),
    categories: strings(names.categories),
    namespaced: spec.scope !== 'Cluster',
    status: isRecord(subresources.status),
    generation: true,
    schema,
    printerColumns: columns.length > 0 ? columns : [age],
    listMapKeys,
    setLists,
    crd: typeof metadata.name === 'string' ? metadata.name : undefined,
  };
}
