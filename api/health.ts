// The health table: small and fast-moving, separate from the compiled zone documents. It overrides the health
// recorded at compile time, keyed by the stable target id (namespace/geoendpoint/target).
import { Type, type Static } from '@sinclair/typebox';
import { HEALTH_FORMAT } from './constants.ts';

export { HEALTH_FORMAT };

export const TargetHealthSchema = Type.Object(
  {
    up: Type.Boolean({ description: 'Whether the target is healthy.' }),
    since: Type.String({ description: 'When it last changed (RFC 3339).' }),
    downAddresses: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Addresses of an up target that are down themselves; left out of answers while others are up.',
      }),
    ),
    reason: Type.Optional(Type.String({ description: 'Why, for people (last probe error).' })),
  },
  { additionalProperties: false },
);
export type TargetHealth = Static<typeof TargetHealthSchema>;

export const HealthTableSchema = Type.Object(
  {
    format: Type.Literal(HEALTH_FORMAT),
    targets: Type.Record(Type.String(), TargetHealthSchema),
  },
  { additionalProperties: false },
);
export type HealthTable = Static<typeof HealthTableSchema>;
