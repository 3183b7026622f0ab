// What every kind has in the same shape, as Kubernetes' meta/v1 does: the group and version, the object
// metadata, status conditions, the envelope (apiVersion, kind, metadata, spec, status) and what the CRD generator
// needs to know of a kind.
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';
import { StringEnum } from './schema.ts';

export const GROUP = 'geodns.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'Type of condition in CamelCase (Accepted, ResolvedRefs, Ready).',
      maxLength: 316,
    }),
    status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
    reason: Type.String({
      description: 'Machine-readable reason for the last transition, in CamelCase.',
      maxLength: 1024,
    }),
    message: Type.String({ description: 'Human-readable explanation of the condition.', maxLength: 32768 }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The metadata.generation the condition was computed from.', minimum: 0 }),
    ),
    lastTransitionTime: Type.String({
      description: 'When the condition last changed status (RFC 3339).',
      format: 'date-time',
    }),
  },
  { description: 'A Kubernetes-style status condition.' },
);
export type Condition = Static<typeof ConditionSchema>;

/** The `conditions` list of every kind's status: one entry per type. */
export const Conditions = Type.Array(ConditionSchema, {
  description: 'Current state of the resource, as Kubernetes-style conditions.',
  maxItems: 8,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

export const ObjectMetaSchema = Type.Object(
  {
    name: Type.String({ maxLength: 253 }),
    namespace: Type.Optional(Type.String({ maxLength: 63 })),
    uid: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    resourceVersion: Type.Optional(Type.String()),
    creationTimestamp: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: true },
);
export type ObjectMeta = Static<typeof ObjectMetaSchema>;

/** A resource of one kind: the envelope around its spec and status schemas. */
export function resourceEnvelope<K extends string, S extends TObject<TProperties>, St extends TSchema>(
  kind: K,
  spec: S,
  status: St,
) {
  return Type.Object({
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: Type.Optional(status),
  });
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description: string;
  priority?: number;
}

/** What the CRD generator needs to know of a kind. */
export interface KindInfo<K extends string = string> {
  kind: K;
  plural: string;
  singular: string;
  shortName: string;
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: PrinterColumn[];
}

/** The printer columns every kind ends with. */
export const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: ".status.conditions[?(@.type=='Ready')].status",
  description: 'Whether the resource is ready.',
};
export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};
