// GeoZone: one authoritative zone, cluster-scoped like a Gateway (the platform team's resource): apex, SOA, name
// servers, static records, custom networks and which namespaces may publish names into it.
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.ts';
import { Defaulted, DnsName, LocationSchema, StringEnum, Ttl, withRules } from './schema.ts';
import { ageColumn, Conditions, readyColumn, resourceEnvelope, type KindInfo } from './meta.ts';

/** The TTL of routed names that set none (spec.routedTTL's default). */
export const DEFAULT_ROUTED_TTL = 60;
/** The failover budget of a zone that sets none (spec.failoverBudget's default): the reference design's 2 minutes. */
export const DEFAULT_FAILOVER_BUDGET = '2m';
/** How long a peer may go unheard before its targets are stale (spec.peerTimeout's default). */
export const DEFAULT_PEER_TIMEOUT = '30s';
/** The key of the peer Secret that holds the shared HMAC key (spec.peerAuth.secretRef.key's default). */
export const DEFAULT_PEER_SECRET_KEY = 'key';

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
      from: Defaulted(
        StringEnum(['All', 'List', 'Selector'] as const, {
          description:
            'Which namespaces may publish GeoEndpoints into this zone: All, the ones named in names (List), or the ones matching selector (Selector).',
          default: 'All',
        }),
      ),
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
    refresh: Defaulted(Type.Integer({ description: 'Refresh interval in seconds.', minimum: 1, default: 3600 })),
    retry: Defaulted(Type.Integer({ description: 'Retry interval in seconds.', minimum: 1, default: 600 })),
    expire: Defaulted(Type.Integer({ description: 'Expire time in seconds.', minimum: 1, default: 604800 })),
    minimum: Defaulted(
      Type.Integer({
        description: 'Negative-caching TTL in seconds (RFC 2308); NXDOMAIN/NODATA answers use min(SOA TTL, minimum).',
        minimum: 0,
        maximum: 86400,
        default: 60,
      }),
    ),
    ttl: Defaulted(Type.Integer({ description: 'TTL of the SOA record itself.', minimum: 0, default: 3600 })),
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

export const PeerSchema = Type.Object(
  {
    name: Type.String({
      description:
        "The other cluster's name, as its operator's --cluster-name says (an entry naming this cluster itself is skipped, so the list can be the same everywhere).",
      pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
      maxLength: 63,
    }),
    url: Type.String({
      description:
        "The base URL of that cluster's operator peer endpoint (geodns operator --peer-listen), e.g. https://geodns-peer.eu.example.net:8443.",
      pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$',
      maxLength: 2048,
    }),
  },
  { description: 'Another cluster serving the same zone.', additionalProperties: false },
);
export type Peer = Static<typeof PeerSchema>;

export const PeerAuthSchema = Type.Object(
  {
    secretRef: Type.Object(
      {
        name: Type.String({ description: "The Secret's name.", minLength: 1, maxLength: 253 }),
        key: Defaulted(
          Type.String({
            description: 'The data key holding the shared key (at least 32 bytes).',
            maxLength: 253,
            default: DEFAULT_PEER_SECRET_KEY,
          }),
        ),
      },
      {
        description:
          "A Secret in the operator's namespace holding the HMAC-SHA256 key every peer shares (the same in every cluster).",
        additionalProperties: false,
      },
    ),
  },
  { description: "How peers' documents are authenticated.", additionalProperties: false },
);
export type PeerAuth = Static<typeof PeerAuthSchema>;

/** The name of the DNSSEC algorithm a zone signs with when spec.dnssec sets none (RFC 8624: the one to use). */
export const DEFAULT_DNSSEC_ALGORITHM = 'ECDSAP256SHA256';
export const DnssecAlgorithms = ['ECDSAP256SHA256', 'ED25519'] as const;
export type DnssecAlgorithmName = (typeof DnssecAlgorithms)[number];

export const DnssecSchema = Type.Object(
  {
    enabled: Defaulted(
      Type.Boolean({
        description:
          'Sign the zone (docs/dnssec.md). The operator makes a key (or adopts keySecretRef\'s) and the DNS pods sign answers to queries with the DO bit. Setting it back to false keeps the keys and the signing: remove the DS at the parent first, or set unsign (docs/dnssec.md, "Turning it off").',
        default: false,
      }),
    ),
    algorithm: Defaulted(
      StringEnum(DnssecAlgorithms, {
        description:
          'The algorithm of the key the operator makes: ECDSAP256SHA256 (13) or ED25519 (15). Changing it later does not roll the key.',
        default: DEFAULT_DNSSEC_ALGORITHM,
      }),
    ),
    unsign: Type.Optional(
      Type.Boolean({
        description:
          'Take the zone off DNSSEC (with enabled: false; docs/dnssec.md, "Turning it off"): the DNS pods keep signing with the kept keys but publish the RFC 8078 delete records (CDS 0 0 0 00, CDNSKEY 0 3 0 AA==) in place of the CDS and CDNSKEY, so that a parent that scans removes the DS; status says when the parent has had no DS for its TTL and the keys can go.',
      }),
    ),
    keySecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ description: "The Secret's name.", minLength: 1, maxLength: 253 }),
        },
        {
          description:
            "Bring your own keys: a Secret in the operator's namespace holding BIND key pairs for this zone (K<zone>.+<alg>+<tag>.key and .private, as dnssec-keygen writes them). The operator checks and copies them instead of making a key.",
          additionalProperties: false,
        },
      ),
    ),
    parent: Type.Optional(
      Type.Object(
        {
          check: Defaulted(
            Type.Boolean({
              description:
                "Ask for the zone's DS at the parent and say in status.dnssec.parent whether it points at the zone's keys; a key roll then moves on by itself once the parent holds the new DS.",
              default: true,
            }),
          ),
          servers: Type.Optional(
            Type.Array(
              Type.String({
                description:
                  'An address and an optional port: 192.0.2.53, 192.0.2.53:5353, 2001:db8::53 or [2001:db8::53]:53.',
                maxLength: 64,
                pattern: '^(\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?|[0-9A-Fa-f:.]+)$',
              }),
              {
                description:
                  "The parent zone's name servers, asked directly (no cache between). Without them the operator's resolver is asked (--resolver, or the system's: in a pod, the cluster's DNS).",
                maxItems: 8,
              },
            ),
          ),
        },
        { description: "How the parent's DS is checked (docs/dnssec.md).", additionalProperties: false },
      ),
    ),
  },
  { description: 'DNSSEC signing of the zone (off by default).', additionalProperties: false },
);
export type Dnssec = Static<typeof DnssecSchema>;

/** spec.dnssec.unsign, which counts only with DNSSEC off (the CRD's rule says so at apply time). */
export function goingUnsigned(dnssec: Dnssec | undefined): boolean {
  return dnssec?.unsign === true && dnssec.enabled !== true;
}

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
      defaultTTL: Defaulted(
        Type.Integer({
          description: 'TTL in seconds for static records and name-server records that set none.',
          minimum: 0,
          maximum: 604800,
          default: 300,
        }),
      ),
      routedTTL: Defaulted(
        Type.Integer({
          description:
            'TTL in seconds for routed names (GeoEndpoints) that set none. Resolvers may keep an answer this long after its target failed: with the HealthProbe defaults, 60 keeps failover within 2 minutes (docs/routing.md, "Failover time").',
          minimum: 0,
          maximum: 604800,
          default: DEFAULT_ROUTED_TTL,
        }),
      ),
      failoverBudget: Defaulted(
        Type.String({
          description:
            'The longest a routed name of this zone should take to fail over (probe detection + publish + TTL). A GeoEndpoint over it is still served, with a warning in its Accepted condition and from geodns compile.',
          pattern: DURATION_PATTERN,
          default: DEFAULT_FAILOVER_BUDGET,
        }),
      ),
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
      peers: Type.Optional(
        Type.Array(PeerSchema, {
          description:
            "The other clusters serving this zone: each publishes its Service-backed targets' addresses and readiness to the others (docs/multi-cluster.md).",
          maxItems: 16,
        }),
      ),
      peerAuth: Type.Optional(PeerAuthSchema),
      dnssec: Type.Optional(DnssecSchema),
      peerTimeout: Defaulted(
        Type.String({
          description:
            'How long a peer may go unheard before it is stale: its targets keep their last addresses and health, and the PeersReachable condition says so.',
          pattern: DURATION_PATTERN,
          default: DEFAULT_PEER_TIMEOUT,
        }),
      ),
    },
    { description: 'GeoZone spec: one authoritative zone.', additionalProperties: false },
  ),
  [
    {
      rule: 'self.nameServers.all(n, self.nameServers.exists_one(m, m.name == n.name))',
      message: 'name server names must be unique',
      fieldPath: '.nameServers',
    },
    {
      rule: '!has(self.peers) || self.peers.all(p, self.peers.exists_one(q, q.name == p.name))',
      message: 'peer names must be unique',
      fieldPath: '.peers',
    },
    {
      rule: '!has(self.peers) || size(self.peers) == 0 || has(self.peerAuth)',
      message: 'peers require peerAuth',
      fieldPath: '.peerAuth',
    },
    {
      rule: '!has(self.dnssec) || !has(self.dnssec.unsign) || !self.dnssec.unsign || !has(self.dnssec.enabled) || !self.dnssec.enabled',
      message: 'dnssec.unsign takes the zone off DNSSEC: it needs dnssec.enabled false',
      fieldPath: '.dnssec.unsign',
    },
  ],
);
export type GeoZoneSpec = Static<typeof GeoZoneSpecSchema>;

export const DnssecKeyStatusSchema = Type.Object(
  {
    keyTag: Type.Integer({ description: 'The key tag (RFC 4034 Appendix B).', minimum: 0, maximum: 65535 }),
    algorithm: Type.Integer({ description: 'The DNSSEC algorithm number: 13 or 15.', minimum: 0, maximum: 255 }),
    flags: Type.Integer({ description: 'DNSKEY flags: 257 for a combined signing key.', minimum: 0, maximum: 65535 }),
    publicKey: Type.Optional(
      Type.String({
        description:
          "The DNSKEY's public key (base64): with flags and algorithm, the DNSKEY record another signer of the zone publishes.",
      }),
    ),
    state: Type.String({
      description:
        'Active: in the key Secret, published in DNSKEY and signing. Retained: spec.dnssec is off, but the key stays in the Secret (and the DNS pods sign with it) until someone removes it on purpose. During a key roll (annotation geodns.io/dnssec-roll): Published, the new key, in DNSKEY and signing beside the old until every DNS pod serves it and the DNSKEY TTL has passed; Retiring, the old key, removed once the parent holds the new DS and its TTL has passed.',
    }),
  },
  { description: 'A key of the zone.' },
);

export const DnssecDsSchema = Type.Object(
  {
    keyTag: Type.Integer({ description: 'The key tag of the DNSKEY the DS points at.', minimum: 0, maximum: 65535 }),
    rdata: Type.String({ description: "What a registrar asks for: '<key tag> <algorithm> 2 <SHA-256 digest>'." }),
    record: Type.String({ description: "The whole DS record, for a parent zone file: '<apex>. IN DS <rdata>'." }),
    cluster: Type.Optional(
      Type.String({
        description:
          "The peer cluster whose key it is (several clusters signing the zone with their own keys, docs/dnssec.md): the parent holds every cluster's DS. None: this cluster's key.",
      }),
    ),
  },
  { description: 'A DS record (digest type 2, SHA-256) to give the parent zone.' },
);

export const DnssecStatusSchema = Type.Object(
  {
    keyTags: Type.Optional(
      Type.String({ description: "The key tags in the key Secret, comma-separated, or 'off' (for kubectl get)." }),
    ),
    ds: Type.Optional(
      Type.Array(DnssecDsSchema, {
        description:
          "The DS records of the zone's key-signing keys, and of its peer clusters' (marked with the cluster).",
      }),
    ),
    keys: Type.Optional(Type.Array(DnssecKeyStatusSchema, { description: 'The keys of the zone in the key Secret.' })),
    roll: Type.Optional(
      Type.Object(
        {
          phase: Type.String({
            description:
              'Published (the new key beside the old, both signing), DSPending (the parent is to get the new DS: annotate geodns.io/dnssec-ds-updated with the new key tag once it has), Retiring (waiting out the parent DS TTL before the old key goes).',
          }),
          oldKeyTags: Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), { description: 'The keys rolled out.' }),
          newKeyTag: Type.Integer({ minimum: 0, maximum: 65535, description: 'The key rolled in.' }),
          since: Type.String({ description: 'When the phase began (RFC 3339).' }),
          next: Type.String({ description: 'What happens next, and when or on what.' }),
        },
        { description: 'A key roll in progress (docs/dnssec.md, "Rolling a key").' },
      ),
    ),
    parent: Type.Optional(
      Type.Object(
        {
          state: Type.String({
            description:
              'Matches (every DS at the parent points at a key of the zone), Partial (some point at keys the zone no longer has), Mismatch (none does: validating resolvers fail the zone), Missing (no DS: the zone is not validated), Unknown (the parent side could not be asked).',
          }),
          keyTags: Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), {
            description: "The zone's keys a DS at the parent points at.",
          }),
          records: Type.Array(Type.String(), {
            description: "The parent's DS records: '<key tag> <algorithm> <digest type> <digest>'.",
          }),
          source: Type.String({ description: 'Where the DS was asked for.' }),
          checked: Type.String({ description: 'When (RFC 3339).' }),
          message: Type.String({ description: 'What the answer means, or why there is none.' }),
        },
        { description: "The zone's DS at the parent, as last asked for (spec.dnssec.parent)." },
      ),
    ),
    serving: Type.Optional(
      Type.String({
        description:
          'DNS pods whose apex DNSKEY answer (asked with the DO bit, signed) holds exactly the key set of the published document / ready DNS pods, e.g. "3/3".',
      }),
    ),
  },
  { description: 'DNSSEC keys of the zone and the DS records for its parent.' },
);

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
    dnssec: Type.Optional(DnssecStatusSchema),
  },
  { description: 'Observed state of the GeoZone.' },
);

export const GeoZoneSchema = resourceEnvelope('GeoZone', GeoZoneSpecSchema, GeoZoneStatusSchema);
export type GeoZone = Static<typeof GeoZoneSchema>;

/** The CRD's names, scope and printer columns. */
export const GeoZoneKind: KindInfo<'GeoZone'> = {
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
    {
      name: 'DNSSEC',
      type: 'string',
      jsonPath: '.status.dnssec.keyTags',
      description: "The zone's DNSSEC key tags, or 'off'.",
    },
    {
      name: 'Parent DS',
      type: 'string',
      jsonPath: '.status.dnssec.parent.state',
      description: "Whether the parent's DS points at the zone's keys.",
    },
    {
      name: 'Keys Served',
      type: 'string',
      jsonPath: '.status.dnssec.serving',
      description: 'DNS pods publishing the current DNSSEC key set / ready DNS pods.',
    },
    readyColumn,
    ageColumn,
  ],
};
