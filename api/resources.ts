// The geodns.io/v1alpha1 resources. These TypeBox schemas are the single source of truth: the TypeScript types
// below are derived from them, and crds/*.yaml are generated from them (scripts/gen-crds.ts; a test fails on drift).
// Every field carries a description so that `kubectl explain` teaches the API.
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';
import { Policies, type Policy } from './constants.ts';

export const GROUP = 'geodns.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A Kubernetes CEL validation rule (x-kubernetes-validations). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

function withRules<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules };
}

/** A string enum as Kubernetes wants it (`type: string` + `enum`), typed as the union of its values. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { description: string; default?: V[number] },
) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

const DNS_NAME_PATTERN =
  '^(\\*\\.)?(([a-zA-Z0-9_]|[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])\\.)*([a-zA-Z0-9_]|[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])\\.?$';
/** Gateway API's Duration: 1 to 4 groups of a number with h, m, s or ms. */
const DURATION_PATTERN = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';

export const DnsName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_NAME_PATTERN });

export const Ttl = (description: string) => Type.Integer({ description, minimum: 0, maximum: 2147483647 });

export const Continents = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;
export type ContinentCode = (typeof Continents)[number];

export const LocationSchema = withRules(
  Type.Object(
    {
      continent: Type.Optional(
        StringEnum(Continents, {
          description:
            'Continent code: AF (Africa), AN (Antarctica), AS (Asia), EU (Europe), NA (North America), OC (Oceania), SA (South America).',
        }),
      ),
      country: Type.Optional(
        Type.String({
          description: 'ISO 3166-1 alpha-2 country code, upper case (e.g. DE, US, JP).',
          pattern: '^[A-Z]{2}$',
        }),
      ),
      subdivision: Type.Optional(
        Type.String({
          description:
            'ISO 3166-2 subdivision code within the country, without the country prefix (e.g. CA for US-CA, BY for DE-BY). Matched only where the GeoIP database has subdivisions.',
          pattern: '^[A-Z0-9]{1,3}$',
        }),
      ),
      region: Type.Optional(
        Type.String({
          description:
            "Custom region name, matched against the region of the zone's custom networks (e.g. dc-frankfurt).",
          pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
        }),
      ),
      latitude: Type.Optional(
        Type.Number({
          description: 'Latitude in degrees (-90 to 90), for proximity routing.',
          minimum: -90,
          maximum: 90,
        }),
      ),
      longitude: Type.Optional(
        Type.Number({
          description: 'Longitude in degrees (-180 to 180), for proximity routing.',
          minimum: -180,
          maximum: 180,
        }),
      ),
    },
    {
      description:
        'Where something is. Any combination of continent, country, subdivision, custom region and coordinates; the most specific part that matches a client decides.',
      additionalProperties: false,
    },
  ),
  [
    { rule: 'has(self.latitude) == has(self.longitude)', message: 'latitude and longitude must be given together' },
    { rule: '!has(self.subdivision) || has(self.country)', message: 'subdivision requires country' },
  ],
);
export type Location = Static<typeof LocationSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Conditions and status
// ---------------------------------------------------------------------------------------------------------------

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

const Conditions = Type.Array(ConditionSchema, {
  description: 'Current state of the resource, as Kubernetes-style conditions.',
  maxItems: 8,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

// ---------------------------------------------------------------------------------------------------------------
// GeoZone
// ---------------------------------------------------------------------------------------------------------------

export const StaticRecordTypes = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'NS', 'PTR'] as const;
export type StaticRecordType = (typeof StaticRecordTypes)[number];

export const StaticRecordSchema = Type.Object(
  {
    name: Type.String({
      description:
        "Owner name relative to the apex ('@' for the apex itself, 'mail' for mail.<apex>), or a fully qualified name ending in a dot.",
      minLength: 1,
      maxLength: 253,
    }),
    type: StringEnum(StaticRecordTypes, { description: 'Record type.' }),
    ttl: Type.Optional(Ttl('TTL in seconds; defaults to spec.defaultTTL.')),
    values: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      description:
        "Record data in zone-file presentation format, one entry per record: '192.0.2.1' (A), '10 mail.example.com.' (MX), '0 issue \"letsencrypt.org\"' (CAA), '10 5 443 svc.example.com.' (SRV), 'some text' (TXT).",
      minItems: 1,
      maxItems: 64,
    }),
  },
  {
    description: 'A static resource record set served as is.',
    additionalProperties: false,
  },
);
export type StaticRecord = Static<typeof StaticRecordSchema>;

export const NameServerSchema = Type.Object(
  {
    name: DnsName('Fully qualified host name of the name server (e.g. ns1.geo.example.com).'),
    addresses: Type.Optional(
      Type.Array(
        Type.String({ description: 'IPv4 or IPv6 address.', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }),
        {
          description: 'Glue addresses; required when the name server is inside the zone, ignored otherwise.',
          maxItems: 16,
        },
      ),
    ),
  },
  { description: 'An authoritative name server of the zone.', additionalProperties: false },
);

export const CustomNetworkSchema = Type.Object(
  {
    cidr: Type.String({
      description: 'IPv4 or IPv6 network in CIDR notation (e.g. 10.20.0.0/16, fd00:1::/48).',
      pattern: '^([0-9.]+/[0-9]{1,2}|[0-9a-fA-F:.]+/[0-9]{1,3})$',
    }),
    location: LocationSchema,
  },
  {
    description:
      'A network whose clients are placed at the given location, before any GeoIP lookup; the most specific CIDR wins.',
    additionalProperties: false,
  },
);
export type CustomNetwork = Static<typeof CustomNetworkSchema>;

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Labels a namespace must carry, all of them.' }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ description: 'Label key.' }),
            operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const, {
              description: 'How the key relates to the values.',
            }),
            values: Type.Optional(Type.Array(Type.String(), { description: 'Values for In and NotIn.' })),
          },
          { description: 'A label selector requirement.', additionalProperties: false },
        ),
        { description: 'Label requirements, all of which must hold.' },
      ),
    ),
  },
  { description: 'A Kubernetes label selector over namespaces.', additionalProperties: false },
);
export type LabelSelector = Static<typeof LabelSelectorSchema>;

export const AllowedNamespacesSchema = withRules(
  Type.Object(
    {
      from: StringEnum(['All', 'List', 'Selector'] as const, {
        description:
          'Which namespaces may publish GeoEndpoints into this zone: All, the ones named in names (List), or the ones matching selector (Selector).',
        default: 'All',
      }),
      names: Type.Optional(
        Type.Array(Type.String({ maxLength: 63 }), { description: 'Namespace names, for from: List.', maxItems: 256 }),
      ),
      selector: Type.Optional(LabelSelectorSchema),
    },
    { description: 'Which namespaces may publish names into the zone.', additionalProperties: false },
  ),
  [
    { rule: "self.from != 'List' || (has(self.names) && size(self.names) > 0)", message: 'from: List requires names' },
    { rule: "self.from != 'Selector' || has(self.selector)", message: 'from: Selector requires selector' },
  ],
);
export type AllowedNamespaces = Static<typeof AllowedNamespacesSchema>;

export const SoaSchema = Type.Object(
  {
    primaryNameServer: Type.Optional(DnsName('MNAME: the primary name server; defaults to the first name server.')),
    hostmaster: DnsName('RNAME as a domain name: hostmaster.example.com stands for hostmaster@example.com.'),
    refresh: Type.Integer({ description: 'Refresh interval in seconds.', minimum: 1, default: 3600 }),
    retry: Type.Integer({ description: 'Retry interval in seconds.', minimum: 1, default: 600 }),
    expire: Type.Integer({ description: 'Expire time in seconds.', minimum: 1, default: 604800 }),
    minimum: Type.Integer({
      description: 'Negative-caching TTL in seconds (RFC 2308); NXDOMAIN/NODATA answers use min(SOA TTL, minimum).',
      minimum: 0,
      maximum: 86400,
      default: 60,
    }),
    ttl: Type.Integer({ description: 'TTL of the SOA record itself.', minimum: 0, default: 3600 }),
    serialFloor: Type.Optional(
      Type.Integer({
        description: 'Lowest serial to publish; the managed serial never goes below it (useful when migrating a zone).',
        minimum: 0,
        maximum: 4294967295,
      }),
    ),
  },
  {
    description: 'SOA fields. The serial is managed: it increases whenever the served content changes.',
    additionalProperties: false,
  },
);

export const GeoZoneSpecSchema = withRules(
  Type.Object(
    {
      apex: DnsName('The zone apex, e.g. geo.example.com. Delegate this name to the DNS server.'),
      soa: SoaSchema,
      nameServers: Type.Array(NameServerSchema, {
        description: 'The NS records at the apex; in-zone names need glue addresses.',
        minItems: 1,
        maxItems: 16,
      }),
      defaultTTL: Type.Integer({
        description: 'TTL in seconds for records and names that set none.',
        minimum: 0,
        maximum: 604800,
        default: 300,
      }),
      records: Type.Optional(
        Type.Array(StaticRecordSchema, { description: 'Static record sets served as is.', maxItems: 10000 }),
      ),
      networks: Type.Optional(
        Type.Array(CustomNetworkSchema, {
          description: 'Custom networks (CIDR to location) consulted before the GeoIP database.',
          maxItems: 10000,
        }),
      ),
      allowedNamespaces: Type.Optional(AllowedNamespacesSchema),
    },
    { description: 'GeoZone spec: one authoritative zone.', additionalProperties: false },
  ),
  [
    {
      rule: 'self.nameServers.all(n, self.nameServers.exists_one(m, m.name == n.name))',
      message: 'name server names must be unique',
      fieldPath: '.nameServers',
    },
  ],
);
export type GeoZoneSpec = Static<typeof GeoZoneSpecSchema>;

export const GeoZoneStatusSchema = Type.Object(
  {
    conditions: Type.Optional(Conditions),
    serial: Type.Optional(
      Type.Integer({ description: 'The SOA serial currently published.', minimum: 0, maximum: 4294967295 }),
    ),
    contentHash: Type.Optional(Type.String({ description: 'Hash of the compiled content the serial belongs to.' })),
    endpoints: Type.Optional(Type.Integer({ description: 'Number of GeoEndpoints served in this zone.', minimum: 0 })),
    servingServers: Type.Optional(
      Type.Integer({ description: 'Ready DNS pods that answer the published serial.', minimum: 0 }),
    ),
    totalServers: Type.Optional(Type.Integer({ description: 'Ready DNS pods asked.', minimum: 0 })),
    serving: Type.Optional(
      Type.String({ description: "DNS pods on the published serial / ready DNS pods, for kubectl get (e.g. '3/3')." }),
    ),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation last reconciled.', minimum: 0 })),
  },
  { description: 'Observed state of the GeoZone.' },
);

// ---------------------------------------------------------------------------------------------------------------
// GeoEndpoint
// ---------------------------------------------------------------------------------------------------------------

export { Policies, type Policy };

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

// ---------------------------------------------------------------------------------------------------------------
// HealthProbe
// ---------------------------------------------------------------------------------------------------------------

export const ProbeTypes = ['HTTP', 'HTTPS', 'TCP'] as const;
export type ProbeType = (typeof ProbeTypes)[number];

export const StatusRangeSchema = withRules(
  Type.Object(
    {
      min: Type.Integer({ description: 'Lowest accepted status code.', minimum: 100, maximum: 599 }),
      max: Type.Integer({ description: 'Highest accepted status code.', minimum: 100, maximum: 599 }),
    },
    { description: 'An inclusive range of HTTP status codes.', additionalProperties: false },
  ),
  [{ rule: 'self.min <= self.max', message: 'min must not exceed max' }],
);

export const HealthProbeSpecSchema = withRules(
  Type.Object(
    {
      type: StringEnum(ProbeTypes, { description: 'HTTP, HTTPS or TCP (connect only).' }),
      port: Type.Integer({ description: 'Port to probe on every target address.', minimum: 1, maximum: 65535 }),
      path: Type.String({ description: 'HTTP(S) request path.', default: '/', pattern: '^/', maxLength: 2048 }),
      host: Type.Optional(Type.String({ description: 'HTTP Host header (and TLS SNI for HTTPS).', maxLength: 253 })),
      expectedStatus: Type.Array(StatusRangeSchema, {
        description: 'Accepted HTTP status ranges; default 200-399.',
        default: [{ min: 200, max: 399 }],
        minItems: 1,
        maxItems: 16,
      }),
      bodyMatch: Type.Optional(
        Type.String({
          description: 'A substring the HTTP response body must contain (first 64 KiB read).',
          maxLength: 1024,
        }),
      ),
      insecureSkipVerify: Type.Boolean({
        description: 'HTTPS: accept any certificate (self-signed targets). Default false: certificates are verified.',
        default: false,
      }),
      interval: Type.String({
        description: 'Time between probes (e.g. 10s, 500ms).',
        pattern: DURATION_PATTERN,
        default: '10s',
      }),
      timeout: Type.String({
        description: 'Time a probe may take; must be shorter than interval.',
        pattern: DURATION_PATTERN,
        default: '2s',
      }),
      failureThreshold: Type.Integer({
        description: 'Consecutive failures after which an address is down.',
        minimum: 1,
        maximum: 10,
        default: 3,
      }),
      successThreshold: Type.Integer({
        description: 'Consecutive successes after which a down address is up again.',
        minimum: 1,
        maximum: 10,
        default: 1,
      }),
    },
    { description: 'HealthProbe spec: how target addresses are checked.', additionalProperties: false },
  ),
  [
    {
      rule: 'duration(self.timeout) < duration(self.interval)',
      message: 'timeout must be shorter than interval',
      fieldPath: '.timeout',
    },
    {
      rule: "self.type != 'TCP' || (!has(self.bodyMatch) && !has(self.host))",
      message: 'bodyMatch and host apply to HTTP and HTTPS probes only',
    },
  ],
);
export type HealthProbeSpec = Static<typeof HealthProbeSpecSchema>;

export const ProbedAddressSchema = Type.Object(
  {
    address: Type.String({ description: 'The probed address.' }),
    target: Type.Optional(Type.String({ description: 'The target id the address belongs to.' })),
    state: StringEnum(['Up', 'Down', 'Unknown'] as const, { description: 'Current health of the address.' }),
    lastChange: Type.Optional(
      Type.String({ description: 'When the state last changed (RFC 3339).', format: 'date-time' }),
    ),
    lastError: Type.Optional(Type.String({ description: 'The last failure, if any.' })),
    latencyMs: Type.Optional(Type.Number({ description: 'Duration of the last probe in milliseconds.', minimum: 0 })),
  },
  { description: 'Health of one probed address.' },
);

export const HealthProbeStatusSchema = Type.Object(
  {
    conditions: Type.Optional(Conditions),
    addresses: Type.Optional(
      Type.Array(ProbedAddressSchema, { description: 'Every probed address with its state.', maxItems: 4096 }),
    ),
    upSummary: Type.Optional(Type.String({ description: "up/total addresses, for kubectl get (e.g. '5/6')." })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation last reconciled.', minimum: 0 })),
  },
  { description: 'Observed state of the HealthProbe.' },
);

// ---------------------------------------------------------------------------------------------------------------
// Whole resources
// ---------------------------------------------------------------------------------------------------------------

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

function resource<K extends string, S extends TObject<TProperties>, St extends TSchema>(kind: K, spec: S, status: St) {
  return Type.Object({
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: Type.Optional(status),
  });
}

export const GeoZoneSchema = resource('GeoZone', GeoZoneSpecSchema, GeoZoneStatusSchema);
export const GeoEndpointSchema = resource('GeoEndpoint', GeoEndpointSpecSchema, GeoEndpointStatusSchema);
export const HealthProbeSchema = resource('HealthProbe', HealthProbeSpecSchema, HealthProbeStatusSchema);

export type GeoZone = Static<typeof GeoZoneSchema>;
export type GeoEndpoint = Static<typeof GeoEndpointSchema>;
export type HealthProbe = Static<typeof HealthProbeSchema>;
export type GeoResource = GeoZone | GeoEndpoint | HealthProbe;
export type ResourceKind = GeoResource['kind'];

/** What the CRD generator needs to know of each kind. */
export interface KindInfo {
  kind: ResourceKind;
  plural: string;
  singular: string;
  shortName: string;
  scope: 'Cluster' | 'Namespaced';
  description: string;
  spec: TSchema;
  status: TSchema;
  printerColumns: { name: string; type: string; jsonPath: string; description: string; priority?: number }[];
}

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };
const ready = {
  name: 'Ready',
  type: 'string',
  jsonPath: ".status.conditions[?(@.type=='Ready')].status",
  description: 'Whether the resource is ready.',
};

export const KINDS: readonly KindInfo[] = [
  {
    kind: 'GeoZone',
    plural: 'geozones',
    singular: 'geozone',
    shortName: 'gz',
    scope: 'Cluster',
    description:
      'An authoritative DNS zone served by kube-geodns: apex, SOA, name servers, static records and custom networks.',
    spec: GeoZoneSpecSchema,
    status: GeoZoneStatusSchema,
    printerColumns: [
      { name: 'Apex', type: 'string', jsonPath: '.spec.apex', description: 'The zone apex.' },
      { name: 'Serial', type: 'integer', jsonPath: '.status.serial', description: 'The published SOA serial.' },
      { name: 'Endpoints', type: 'integer', jsonPath: '.status.endpoints', description: 'GeoEndpoints served.' },
      {
        name: 'Serving',
        type: 'string',
        jsonPath: '.status.serving',
        description: 'DNS pods on the published serial / ready DNS pods.',
      },
      ready,
      age,
    ],
  },
  {
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
      ready,
      age,
    ],
  },
  {
    kind: 'HealthProbe',
    plural: 'healthprobes',
    singular: 'healthprobe',
    shortName: 'hp',
    scope: 'Namespaced',
    description: 'An HTTP, HTTPS or TCP health check applied to GeoEndpoint targets.',
    spec: HealthProbeSpecSchema,
    status: HealthProbeStatusSchema,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Probe type.' },
      { name: 'Port', type: 'integer', jsonPath: '.spec.port', description: 'Probed port.' },
      { name: 'Interval', type: 'string', jsonPath: '.spec.interval', description: 'Probe interval.' },
      { name: 'Up', type: 'string', jsonPath: '.status.upSummary', description: 'Up/total probed addresses.' },
      ready,
      age,
    ],
  },
];
