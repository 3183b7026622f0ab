// GeoEndpoint: one routed name in a GeoZone, namespaced like an HTTPRoute (the application team's resource): its
// policy and its targets (a Service or literal addresses, each with a location, weight, priority and probe).
import { Type, type Static } from '@sinclair/typebox';
import { Policies } from './constants.ts';
import { DnsName, LocationSchema, StringEnum, Ttl, withRules } from './schema.ts';
import { ageColumn, Conditions, readyColumn, resourceEnvelope, type KindInfo } from './meta.ts';

export const TargetSchema = withRules(
  Type.Object(
    {
      name: Type.String({
        description: 'Name of the target, unique within the GeoEndpoint; part of its stable target id.',
        // maxLength (implied by the pattern) bounds the API server's cost estimate of the uniqueness rule.
        maxLength: 63,
        pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
      }),
      service: Type.Optional(
        Type.Object(
          {
            name: Type.String({ description: 'Name of a Service in the same namespace.', maxLength: 63 }),
            useClusterIP: Type.Optional(
              Type.Boolean({
                description:
                  "Serve the Service's ClusterIP(s) instead of its load-balancer or external IPs: for clients inside the cluster, and for clusters without load balancers (kind).",
              }),
            ),
          },
          {
            description:
              "A Service in the GeoEndpoint's namespace: its load-balancer ingress or external IPs are served; it is healthy while its EndpointSlices have ready endpoints.",
            additionalProperties: false,
          },
        ),
      ),
      addresses: Type.Optional(
        Type.Array(
          Type.String({ description: 'IPv4 or IPv6 address.', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }),
          {
            description: 'Literal addresses (another cluster, another data centre).',
            minItems: 1,
            maxItems: 64,
          },
        ),
      ),
      location: LocationSchema,
      weight: Type.Integer({
        description: 'Relative weight for the weighted policy (0 disables the target there).',
        minimum: 0,
        maximum: 1000,
        default: 1,
      }),
      priority: Type.Integer({
        description: 'Priority tier for the failover policy: the lowest tier with a healthy target is served.',
        minimum: 0,
        maximum: 100,
        default: 0,
      }),
      healthProbeRef: Type.Optional(
        Type.Object(
          { name: Type.String({ description: 'Name of a HealthProbe in the same namespace.', maxLength: 253 }) },
          { description: 'The HealthProbe that checks this target.', additionalProperties: false },
        ),
      ),
    },
    { description: 'One target of a GeoEndpoint.', additionalProperties: false },
  ),
  [{ rule: 'has(self.service) != has(self.addresses)', message: 'a target has exactly one of service or addresses' }],
);
export type Target = Static<typeof TargetSchema>;

export const GeoEndpointSpecSchema = withRules(
  Type.Object(
    {
      zoneRef: Type.Object(
        { name: Type.String({ description: 'Name of the GeoZone.', maxLength: 253 }) },
        { description: 'The GeoZone this name is published in.', additionalProperties: false },
      ),
      hostname: DnsName('Fully qualified name inside the zone, e.g. www.geo.example.com (the apex itself is allowed).'),
      ttl: Type.Optional(Ttl("TTL of the answers in seconds; defaults to the zone's defaultTTL.")),
      policy: StringEnum(Policies, {
        description:
          'How a target is chosen: geo (most specific location match, then fallback), proximity (nearest healthy target), weighted, failover (lowest priority tier with a healthy target), multivalue (up to maxAnswers healthy addresses).',
        default: 'geo',
      }),
      maxAnswers: Type.Integer({
        description: 'Most addresses in one answer (multivalue; also caps the others).',
        minimum: 1,
        maximum: 32,
        default: 8,
      }),
      targets: Type.Array(TargetSchema, { description: 'Where the name can point.', minItems: 1, maxItems: 256 }),
    },
    { description: 'GeoEndpoint spec: one routed name.', additionalProperties: false },
  ),
  [
    {
      rule: 'self.targets.all(t, self.targets.exists_one(u, u.name == t.name))',
      message: 'target names must be unique',
      fieldPath: '.targets',
    },
    {
      rule: "self.policy != 'weighted' || self.targets.exists(t, t.weight > 0)",
      message: 'the weighted policy needs at least one target with weight > 0',
      fieldPath: '.targets',
    },
  ],
);
export type GeoEndpointSpec = Static<typeof GeoEndpointSpecSchema>;

export const GeoEndpointStatusSchema = Type.Object(
  {
    conditions: Type.Optional(Conditions),
    healthyTargets: Type.Optional(Type.Integer({ description: 'Targets currently healthy.', minimum: 0 })),
    totalTargets: Type.Optional(Type.Integer({ description: 'Targets in spec.', minimum: 0 })),
    targetsSummary: Type.Optional(Type.String({ description: "healthy/total, for kubectl get (e.g. '3/4')." })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation last reconciled.', minimum: 0 })),
  },
  { description: 'Observed state of the GeoEndpoint.' },
);

export const GeoEndpointSchema = resourceEnvelope('GeoEndpoint', GeoEndpointSpecSchema, GeoEndpointStatusSchema);
export type GeoEndpoint = Static<typeof GeoEndpointSchema>;

/** The CRD's names, scope and printer columns. */
export const GeoEndpointKind: KindInfo<'GeoEndpoint'> = {
  kind: 'GeoEndpoint',
  plural: 'geoendpoints',
  singular: 'geoendpoint',
  shortName: 'ge',
  scope: 'Namespaced',
  description: 'One routed name in a GeoZone with its policy and targets.',
  spec: GeoEndpointSpecSchema,
  status: GeoEndpointStatusSchema,
  printerColumns: [
    { name: 'Zone', type: 'string', jsonPath: '.spec.zoneRef.name', description: 'The GeoZone.' },
    { name: 'Hostname', type: 'string', jsonPath: '.spec.hostname', description: 'The routed name.' },
    { name: 'Policy', type: 'string', jsonPath: '.spec.policy', description: 'The routing policy.' },
    { name: 'Healthy', type: 'string', jsonPath: '.status.targetsSummary', description: 'Healthy/total targets.' },
    readyColumn,
    ageColumn,
  ],
};
