// GeoEndpoint: one routed name in a GeoZone, namespaced like an HTTPRoute (the application team's resource): its
// policy, its targets (a Service, Ingress or Gateway, of its own namespace or of one whose ReferenceGrant allows it,
// or literal addresses; each with a location, weight, priority and probe) and, for the regional policy, its regions
// (where clients are, and the ordered backups of each).
import { Type, type Static } from '@sinclair/typebox';
import { Policies } from './constants.ts';
import { Defaulted, DnsName, LocationSchema, StringEnum, Ttl, withRules } from './schema.ts';
import { ageColumn, Conditions, readyColumn, resourceEnvelope, type KindInfo } from './meta.ts';

const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

/** A namespace a target refers to (a DNS label, as namespace names are). */
const RefNamespace = (description: string) => Type.String({ description, maxLength: 63, pattern: NAME_PATTERN });

/** A reference to a namespaced object whose status carries addresses: its name, and its namespace when another. */
const ObjectRef = (kind: string, description: string) =>
  Type.Object(
    {
      name: Type.String({ description: `Name of the ${kind}.`, maxLength: 253 }),
      namespace: Type.Optional(
        RefNamespace(
          `Namespace of the ${kind} (default: the GeoEndpoint's). Another namespace needs a ReferenceGrant there that allows it.`,
        ),
      ),
    },
    { description, additionalProperties: false },
  );

/** A region's name, or a reference to one (lower case, digits, '-'; maxLength bounds the CEL rules' cost). */
const RegionName = (description: string) => Type.String({ description, maxLength: 63, pattern: NAME_PATTERN });

export const RegionSchema = withRules(
  Type.Object(
    {
      name: RegionName('Name of the region, unique within the GeoEndpoint (e.g. us, eu, apac).'),
      locations: Type.Optional(
        Type.Array(
          withRules(LocationSchema, [
            ...LocationSchema['x-kubernetes-validations'],
            {
              rule: 'has(self.continent) || has(self.country) || has(self.region)',
              message: "a region's location needs a continent, country or region (coordinates are not matched)",
            },
            {
              rule: '!has(self.latitude)',
              message:
                "a region's location is matched by continent, country, subdivision and region; coordinates are not used",
            },
          ]),
          {
            description:
              "Where this region's clients are: a client belongs to the region whose location matches it most specifically (region > subdivision > country > continent; a tie goes to the region listed first). Clients no region matches go to defaultRegion.",
            maxItems: 64,
          },
        ),
      ),
      backups: Type.Optional(
        Type.Array(RegionName('Name of another region of this GeoEndpoint.'), {
          description:
            "Regions that answer, in this order, when this region has no healthy target of the query's address family. Only this list is walked (a backup's own backups are not): name every region a client may go to.",
          maxItems: 16,
        }),
      ),
    },
    {
      description: 'A region of the regional policy: where its clients are and where they go when it fails.',
      additionalProperties: false,
    },
  ),
  [
    {
      rule: '!has(self.backups) || !self.backups.exists(b, b == self.name)',
      message: 'a region cannot be its own backup',
      fieldPath: '.backups',
    },
    {
      rule: '!has(self.backups) || self.backups.all(b, self.backups.exists_one(c, c == b))',
      message: 'a region is named at most once in backups',
      fieldPath: '.backups',
    },
  ],
);
export type Region = Static<typeof RegionSchema>;

export const TargetSchema = withRules(
  Type.Object(
    {
      name: Type.String({
        description: 'Name of the target, unique within the GeoEndpoint; part of its stable target id.',
        // maxLength (implied by the pattern) bounds the API server's cost estimate of the uniqueness rule.
        maxLength: 63,
        pattern: NAME_PATTERN,
      }),
      service: Type.Optional(
        Type.Object(
          {
            name: Type.String({ description: 'Name of the Service.', maxLength: 63 }),
            namespace: Type.Optional(
              RefNamespace(
                "Namespace of the Service (default: the GeoEndpoint's). Another namespace needs a ReferenceGrant there that allows it.",
              ),
            ),
            useClusterIP: Type.Optional(
              Type.Boolean({
                description:
                  "Serve the Service's ClusterIP(s) instead of its load-balancer or external IPs: for clients inside the cluster, and for clusters without load balancers (kind).",
              }),
            ),
          },
          {
            description:
              "A Service: its load-balancer ingress (IPs, and the addresses its hostnames resolve to) or external IPs are served; it is healthy while its EndpointSlices have ready endpoints. A Service this cluster lacks is taken from the cluster set's ServiceImport of that name (its imported endpoints), else from a peer cluster's document.",
            additionalProperties: false,
          },
        ),
      ),
      ingress: Type.Optional(
        ObjectRef(
          'Ingress',
          'An Ingress (networking.k8s.io/v1): the addresses in its status.loadBalancer.ingress are served (IPs, and the addresses its hostnames resolve to).',
        ),
      ),
      gateway: Type.Optional(
        ObjectRef(
          'Gateway',
          'A Gateway API Gateway (gateway.networking.k8s.io/v1): its status.addresses of type IPAddress are served, and those of type Hostname resolved. Needs the Gateway API CRDs in the cluster.',
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
      location: Type.Optional({
        ...LocationSchema,
        description:
          "Where the target is, for the geo and proximity policies (default {}: a catch-all there; the regional policy uses the target's region instead).",
        default: {},
      }),
      weight: Defaulted(
        Type.Integer({
          description:
            'Relative weight for the weighted and regional policies (0 disables the target there; regional: within its region, over the healthy targets).',
          minimum: 0,
          maximum: 1000,
          default: 1,
        }),
      ),
      priority: Defaulted(
        Type.Integer({
          description: 'Priority tier for the failover policy: the lowest tier with a healthy target is served.',
          minimum: 0,
          maximum: 100,
          default: 0,
        }),
      ),
      region: Type.Optional(
        RegionName(
          'The region (spec.regions[].name) this target serves, for the regional policy; every target of a regional GeoEndpoint has one.',
        ),
      ),
      healthProbeRef: Type.Optional(
        Type.Object(
          { name: Type.String({ description: 'Name of a HealthProbe in the same namespace.', maxLength: 253 }) },
          { description: 'The HealthProbe that checks this target.', additionalProperties: false },
        ),
      ),
    },
    { description: 'One target of a GeoEndpoint.', additionalProperties: false },
  ),
  [
    {
      rule: '(has(self.service) ? 1 : 0) + (has(self.ingress) ? 1 : 0) + (has(self.gateway) ? 1 : 0) + (has(self.addresses) ? 1 : 0) == 1',
      message: 'a target has exactly one of service, ingress, gateway or addresses',
    },
  ],
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
      ttl: Type.Optional(
        Ttl(
          "TTL of the answers in seconds; defaults to the zone's routedTTL (60). Part of the failover time: resolvers may keep an answer this long after its target failed.",
        ),
      ),
      policy: Defaulted(
        StringEnum(Policies, {
          description:
            "How a target is chosen: geo (most specific location match, then fallback), proximity (nearest healthy target), weighted, failover (lowest priority tier with a healthy target), multivalue (up to maxAnswers healthy addresses), regional (the client's region, else its backups in order, then a weighted shuffle of that region's healthy targets).",
          default: 'geo',
        }),
      ),
      maxAnswers: Defaulted(
        Type.Integer({
          description: 'Most addresses in one answer (multivalue and regional; also caps the others).',
          minimum: 1,
          maximum: 32,
          default: 8,
        }),
      ),
      targets: Type.Array(TargetSchema, { description: 'Where the name can point.', minItems: 1, maxItems: 256 }),
      regions: Type.Optional(
        Type.Array(RegionSchema, {
          description: 'The regions of the regional policy (ignored by the others).',
          minItems: 1,
          maxItems: 32,
        }),
      ),
      defaultRegion: Type.Optional(
        RegionName(
          'The region of clients that no region location matches (unknown locations), for the regional policy.',
        ),
      ),
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
    {
      rule: "self.policy != 'regional' || has(self.regions)",
      message: 'the regional policy needs regions',
      fieldPath: '.regions',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.policy != 'regional' || has(self.defaultRegion)",
      message: 'the regional policy needs defaultRegion (the region of clients no region matches)',
      fieldPath: '.defaultRegion',
      reason: 'FieldValueRequired',
    },
    {
      rule: '!has(self.regions) || self.regions.all(r, self.regions.exists_one(s, s.name == r.name))',
      message: 'region names must be unique',
      fieldPath: '.regions',
    },
    {
      rule: '!has(self.defaultRegion) || !has(self.regions) || self.regions.exists(r, r.name == self.defaultRegion)',
      message: 'defaultRegion must name one of spec.regions',
      fieldPath: '.defaultRegion',
    },
    {
      rule: '!has(self.regions) || self.regions.all(r, !has(r.backups) || r.backups.all(b, self.regions.exists(s, s.name == b)))',
      message: 'every backup must name one of spec.regions',
      fieldPath: '.regions',
    },
    {
      rule: "self.policy != 'regional' || self.targets.all(t, has(t.region))",
      message: 'every target of the regional policy needs a region',
      fieldPath: '.targets',
    },
    {
      rule: '!has(self.regions) || self.targets.all(t, !has(t.region) || self.regions.exists(r, r.name == t.region))',
      message: "a target's region must name one of spec.regions",
      fieldPath: '.targets',
    },
    {
      rule: "self.policy != 'regional' || !has(self.regions) || self.regions.all(r, self.targets.exists(t, has(t.region) && t.region == r.name && t.weight > 0))",
      message: 'every region needs a target with weight > 0',
      fieldPath: '.regions',
    },
  ],
);
export type GeoEndpointSpec = Static<typeof GeoEndpointSpecSchema>;

export const TargetStatusSchema = Type.Object(
  {
    name: Type.String({ description: 'The target (spec.targets[].name).' }),
    source: Type.String({
      description:
        "Where its addresses came from: 'Service ns/name', 'Service ns/name (ClusterIP)', 'Ingress ns/name', 'Gateway ns/name', for a Service this cluster lacks 'ServiceImport ns/name (clusters: a,b)' (the Multi-Cluster Services API) or 'Peer <cluster>: Service ns/name' (a peer's document), or 'addresses' (the spec's own list).",
    }),
    addresses: Type.Array(Type.String(), { description: 'The addresses served for it.' }),
  },
  { description: 'One served target and where its addresses came from.' },
);
export type TargetStatus = Static<typeof TargetStatusSchema>;

export const FailoverStatusSchema = Type.Object(
  {
    worstCase: Type.String({ description: "The worst-case failover time, for people (e.g. '1m33s')." }),
    worstCaseSeconds: Type.Number({
      description:
        'The longest clients may still be sent to a checked target after it died: detection + publish + TTL.',
      minimum: 0,
    }),
    detectionSeconds: Type.Number({
      description: "The slowest HealthProbe's time to call a target down: failureThreshold × interval + timeout.",
      minimum: 0,
    }),
    publishSeconds: Type.Number({
      description: 'The allowance for the health table to reach the DNS pods.',
      minimum: 0,
    }),
    ttlSeconds: Type.Number({ description: 'The TTL resolvers may cache an answer for.', minimum: 0 }),
    budget: Type.String({ description: "The GeoZone's failoverBudget it is held to." }),
    withinBudget: Type.Boolean({ description: 'Whether worstCaseSeconds is within the budget.' }),
    unchecked: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Targets nothing checks (no healthProbeRef, not a Service): their loss is never noticed.',
        maxItems: 256,
      }),
    ),
    readinessOnly: Type.Optional(
      Type.Array(Type.String(), {
        description:
          "Service targets without a probe: noticed through their Pods' readiness, whose timing the operator cannot see.",
        maxItems: 256,
      }),
    ),
  },
  { description: 'How long failing over can take, and what it is made of (docs/routing.md, "Failover time").' },
);
export type FailoverStatus = Static<typeof FailoverStatusSchema>;

export const GeoEndpointStatusSchema = Type.Object(
  {
    conditions: Type.Optional(Conditions),
    healthyTargets: Type.Optional(Type.Integer({ description: 'Targets currently healthy.', minimum: 0 })),
    totalTargets: Type.Optional(Type.Integer({ description: 'Targets in spec.', minimum: 0 })),
    targetsSummary: Type.Optional(Type.String({ description: "healthy/total, for kubectl get (e.g. '3/4')." })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation last reconciled.', minimum: 0 })),
    targets: Type.Optional(
      Type.Array(TargetStatusSchema, {
        description: 'The targets served, each with the object its addresses came from.',
        maxItems: 256,
      }),
    ),
    failover: Type.Optional(FailoverStatusSchema),
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
    {
      name: 'Failover',
      type: 'string',
      jsonPath: '.status.failover.worstCase',
      description: 'Worst-case failover time (detection + publish + TTL).',
      priority: 1,
    },
  ],
};
